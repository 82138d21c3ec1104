"""The Redis layer under ftrack sessions: per-user namespaces, committed data only, expiry."""

from __future__ import annotations

import uuid

import pytest
import redis
from ftrack_support import actions_since, give_credential, last_seq

from publishing.ftrack import sessions
from publishing.ftrack.cache import RedisCache, server_tag

pytestmark = pytest.mark.django_db


def test_redis_cache_follows_the_ftrack_cache_interface(redis_url):
    client = redis.Redis.from_url(redis_url)
    cache = RedisCache(client, f"test:{uuid.uuid4().hex}:", ttl=30)
    with pytest.raises(KeyError):
        cache.get("missing")
    with pytest.raises(KeyError):
        cache.remove("missing")
    cache.set("('User', ['1'])", '{"a": 1}')
    assert cache.get("('User', ['1'])") == '{"a": 1}'
    assert cache.keys() == ["('User', ['1'])"]
    assert 0 < client.ttl(cache.prefix + "('User', ['1'])") <= 30
    cache.clear()
    assert cache.keys() == []


def _redis_keys(redis_url, server_url, user) -> list[str]:
    client = redis.Redis.from_url(redis_url)
    pattern = f"ftrack:{server_tag(server_url)}:u:{user.pk}-*:e:*"
    return [k.decode() for k in client.scan_iter(match=pattern)]


def test_entities_reach_redis_only_once_committed(producer, ftrack_settings, ftrack_server, redis_url):
    give_credential(producer, "producer")
    session = sessions.session_for(producer)
    project = session.query('select id, name from Project where name is "demo"').one()
    assert any(project["id"] in key for key in _redis_keys(redis_url, ftrack_server.url, producer))

    asset_type = session.query('select id from AssetType where name is "Upload"').one()
    shot = session.query('select id from Shot where name is "sh010"').first()
    asset_id = str(uuid.uuid4())
    session.create(
        "Asset", {"id": asset_id, "name": f"cache-{asset_id[:8]}", "type": asset_type, "parent": shot}
    )
    assert not any(asset_id in key for key in _redis_keys(redis_url, ftrack_server.url, producer))
    session.rollback()  # never committed: nothing about it may remain anywhere
    assert not any(asset_id in key for key in _redis_keys(redis_url, ftrack_server.url, producer))


def test_private_project_never_served_to_another_user(
    producer, coordinator, ftrack_settings, ftrack_server, redis_url
):
    give_credential(coordinator, "coordinator")
    give_credential(producer, "producer")
    coordinator_session = sessions.session_for(coordinator)
    secret = coordinator_session.query('select id, name from Project where name is "secret"').one()
    assert any(secret["id"] in key for key in _redis_keys(redis_url, ftrack_server.url, coordinator))

    # A brand-new producer session: its memory layer is empty, so a leak could only come from Redis.
    producer_session = sessions.session_for(producer)
    mark = last_seq(ftrack_server)
    assert producer_session.get("Project", secret["id"]) is None
    # The miss went to the server (which applied the producer's permissions).
    assert actions_since(ftrack_server, mark, user="producer")["query"] >= 1
    assert not any(secret["id"] in key for key in _redis_keys(redis_url, ftrack_server.url, producer))


def test_a_second_session_of_the_same_user_reads_from_redis(producer, ftrack_settings, ftrack_server):
    give_credential(producer, "producer")
    first = sessions.session_for(producer)
    project = first.query('select id, name, full_name from Project where name is "demo"').one()
    sessions.close_all_sessions()
    second = sessions.session_for(producer)
    mark = last_seq(ftrack_server)
    cached = second.get("Project", project["id"])
    assert cached["name"] == "demo"
    assert actions_since(ftrack_server, mark, user="producer")["query"] == 0


def test_an_unreachable_redis_is_an_empty_cache_not_an_error():
    """A Redis restart must not fail the publish that happens to be running: misses, dropped writes."""
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cache = RedisCache(redis.Redis(port=port, socket_connect_timeout=0.2), "ftrack:test:", ttl=60)
    cache.set("key", "value")
    with pytest.raises(KeyError):
        cache.get("key")
    with pytest.raises(KeyError):
        cache.remove("key")
