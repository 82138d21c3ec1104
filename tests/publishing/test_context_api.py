"""The context picker's JSON API against the real ftrack dev server, with each user's own key."""

from __future__ import annotations

import socket
import uuid

import pytest

from publishing.core.crypto import encrypt_secret
from publishing.models import FtrackCredential

ENDPOINTS = [
    "/api/ftrack/projects/",
    "/api/ftrack/children/?parent=x",
    "/api/ftrack/search/?q=sh0",
    "/api/ftrack/users/",
    "/api/ftrack/asset-types/",
]


@pytest.fixture
def ftrack(settings, ftrack_server, redis_url):
    from publishing.ftrack.sessions import close_all_sessions

    settings.FTRACK_SERVER = ftrack_server.url
    settings.REDIS_URL = redis_url
    close_all_sessions()
    yield ftrack_server
    close_all_sessions()


def _key(user, api_user, key):
    FtrackCredential.objects.create(user=user, api_user=api_user, api_key_encrypted=encrypt_secret(key))
    return user


@pytest.fixture
def producer_api(ftrack, producer, client_for):
    return client_for(_key(producer, "producer", "demo-key-producer"))


def _named(rows, name):
    return next(r for r in rows if r["name"] == name)


def test_context_api_walks_project_sequence_shot_task(producer_api):
    projects = producer_api.get("/api/ftrack/projects/")
    assert projects.status_code == 200
    names = [p["name"] for p in projects.json()]
    assert "demo" in names and "secret" not in names
    demo = _named(projects.json(), "demo")
    assert set(demo) >= {"id", "name", "full_name"}

    sequences = producer_api.get(f"/api/ftrack/children/?parent={demo['id']}").json()
    assert {"sq010", "sq020"} <= {s["name"] for s in sequences}
    sq010 = _named(sequences, "sq010")
    assert sq010["has_children"] is True

    shots = producer_api.get(f"/api/ftrack/children/?parent={sq010['id']}").json()
    assert {"sh010", "sh020", "sh030"} <= {s["name"] for s in shots}
    tasks = producer_api.get(f"/api/ftrack/children/?parent={_named(shots, 'sh010')['id']}").json()
    assert {("compositing", "Task"), ("animation", "Task")} <= {(t["name"], t["type"]) for t in tasks}


def test_context_api_search_finds_tasks_with_paths(producer_api):
    demo = _named(producer_api.get("/api/ftrack/projects/").json(), "demo")
    response = producer_api.get("/api/ftrack/search/", {"q": "composit", "project": demo["id"]})
    assert response.status_code == 200
    paths = {row["path"] for row in response.json()}
    assert "demo / sq010 / sh010 / compositing" in paths
    assert {row["project_id"] for row in response.json()} == {demo["id"]}
    assert not any(path.startswith("secret") for path in paths)
    assert producer_api.get("/api/ftrack/search/?q=").json() == []
    assert producer_api.get("/api/ftrack/search/", {"q": "x" * 101}).status_code == 400


def test_context_api_users_and_asset_types(producer_api):
    users = producer_api.get("/api/ftrack/users/").json()
    assert {"reviewer.ana", "reviewer.ben", "producer"} <= {u["username"] for u in users}
    assert all(set(u) >= {"id", "username", "name"} for u in users)
    types = producer_api.get("/api/ftrack/asset-types/").json()
    assert {"Upload", "Animation"} <= {t["name"] for t in types}


def test_context_api_children_needs_parent(producer_api):
    response = producer_api.get("/api/ftrack/children/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "parent" in response.json()["error"]["details"]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_context_api_missing_credential_is_409(producer, client_for, url):
    response = client_for(producer).get(url)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "missing_credential" and error["message"]


def test_context_api_rejected_credential_is_403_without_the_key(ftrack, producer, client_for):
    # A username nobody has used before: no cached answer can hide the rejection.
    api_user = f"nobody-{uuid.uuid4().hex[:8]}"
    client = client_for(_key(producer, api_user, "wrong-key-abc"))
    response = client.get("/api/ftrack/projects/")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "credential_rejected"
    assert api_user in error["message"]
    assert "wrong-key-abc" not in response.content.decode()


def test_context_api_ftrack_down_is_503(settings, redis_url, producer, client_for):
    from publishing.ftrack.sessions import close_all_sessions

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.FTRACK_SERVER = f"http://127.0.0.1:{port}"
    settings.REDIS_URL = redis_url
    close_all_sessions()
    client = client_for(_key(producer, "producer", "demo-key-producer"))
    response = client.get("/api/ftrack/projects/")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "ftrack_unavailable"
    assert "demo-key-producer" not in response.content.decode()
    close_all_sessions()


@pytest.mark.parametrize("url", ENDPOINTS)
def test_context_api_refuses_anonymous_and_outsiders(client, outsider, client_for, url):
    anonymous = client.get(url)
    assert anonymous.status_code in (401, 403)
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    refused = client_for(outsider).get(url)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"


def test_context_api_coordinator_sees_private_project(ftrack, coordinator, client_for):
    client = client_for(_key(coordinator, "coordinator", "demo-key-coordinator"))
    names = {p["name"] for p in client.get("/api/ftrack/projects/").json()}
    assert {"demo", "secret"} <= names


def test_context_api_accepts_token_auth(ftrack, producer, client):
    from factories import make_token

    _key(producer, "producer", "demo-key-producer")
    response = client.get("/api/ftrack/asset-types/", HTTP_AUTHORIZATION=f"Token {make_token(producer)}")
    assert response.status_code == 200
