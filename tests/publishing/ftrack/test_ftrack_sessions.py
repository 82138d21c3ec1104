"""Session pool, credential checks and the schema cache, against the dev server."""

from __future__ import annotations

import pytest
from ftrack_support import actions_since, give_credential, last_seq

from publishing.core.errors import FtrackCredentialRejected, FtrackUnavailable
from publishing.ftrack import sessions

pytestmark = pytest.mark.django_db


def test_verify_credential_returns_the_ftrack_user(ftrack_settings):
    user = sessions.verify_credential("reviewer.ana", "demo-key-reviewer-ana")
    assert user["username"] == "reviewer.ana"
    assert user["id"]


def test_verify_credential_rejects_a_wrong_key_without_echoing_it(ftrack_settings):
    with pytest.raises(FtrackCredentialRejected) as caught:
        sessions.verify_credential("producer", "wrong-key-123")
    assert "producer" in caught.value.message
    assert "wrong-key-123" not in caught.value.message
    assert not caught.value.retryable


def test_verify_credential_when_ftrack_is_down(settings, ftrack_settings):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.FTRACK_SERVER = f"http://127.0.0.1:{port}"
    settings.FTRACK_TIMEOUT = 2
    with pytest.raises(FtrackUnavailable) as caught:
        sessions.verify_credential("producer", "demo-key-producer")
    assert caught.value.retryable


def test_pool_reuses_a_session_until_the_credential_changes(producer, ftrack_settings):
    credential = give_credential(producer, "producer")
    first = sessions.session_for(producer)
    assert sessions.session_for(producer) is first
    credential.version += 1
    credential.save()
    producer.refresh_from_db()
    second = sessions.session_for(producer)
    assert second is not first
    assert first.closed
    assert len(sessions.pool()) == 1


def test_pool_is_bounded_and_drops_idle_sessions(producer, coordinator, admin_user, ftrack_settings):
    ftrack_settings.FTRACK_SESSION_POOL_SIZE = 2
    ftrack_settings.FTRACK_SESSION_IDLE_TIMEOUT = 3600
    for user, name in ((producer, "producer"), (coordinator, "coordinator"), (admin_user, "admin")):
        give_credential(user, name)
    oldest = sessions.session_for(producer)
    sessions.session_for(coordinator)
    sessions.session_for(admin_user)
    assert len(sessions.pool()) == 2
    assert oldest.closed  # least recently used went first

    sessions.pool().idle_timeout = 0  # everything is idle now
    fresh = sessions.session_for(producer)
    assert len(sessions.pool()) == 1
    assert not fresh.closed


def test_a_new_session_fetches_no_schemas_once_cached(producer, ftrack_settings, ftrack_server):
    give_credential(producer, "producer")
    sessions.session_for(producer)  # warms the schema cache of this server
    sessions.close_all_sessions()
    mark = last_seq(ftrack_server)
    session = sessions.session_for(producer)
    assert session.types["AssetVersion"]
    counts = actions_since(ftrack_server, mark, user="producer")
    assert counts["query_server_information"] == 1
    assert counts["query_schemas"] == 0


def test_close_all_sessions_closes_them(producer, ftrack_settings):
    give_credential(producer, "producer")
    session = sessions.session_for(producer)
    sessions.close_all_sessions()
    assert session.closed
    assert len(sessions.pool()) == 0
