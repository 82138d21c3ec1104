"""The credentials page against the real ftrack dev server: verify, store encrypted, never show the key."""

from __future__ import annotations

import pytest
from django.db import connection

from publishing.core.crypto import decrypt_secret
from publishing.models import FtrackCredential
from publishing.vault.credentials import credential_api_key, credential_save

GOOD_KEY = "demo-key-producer"


@pytest.fixture
def ftrack(settings, ftrack_server, redis_url):
    from publishing.ftrack.sessions import close_all_sessions

    settings.FTRACK_SERVER = ftrack_server.url
    settings.REDIS_URL = redis_url
    close_all_sessions()
    yield ftrack_server
    close_all_sessions()


def _raw_key_column(user) -> str:
    # Read the column with SQL: what an attacker with a database dump would see.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT api_key_encrypted FROM {FtrackCredential._meta.db_table} WHERE user_id = %s", [user.pk]
        )
        return cursor.fetchone()[0]


def test_credentials_good_key_is_verified_and_stored_encrypted(ftrack, producer, client_for):
    client = client_for(producer)
    response = client.post("/credentials/", {"api_user": "producer", "api_key": GOOD_KEY})

    assert response.status_code == 302
    credential = FtrackCredential.objects.get(user=producer)
    assert credential.api_user == "producer"
    assert credential.verified_at is not None and credential.is_healthy
    raw = _raw_key_column(producer)
    assert GOOD_KEY not in raw
    assert decrypt_secret(raw) == GOOD_KEY
    assert credential_api_key(credential) == GOOD_KEY

    page = client.get("/credentials/")
    html = page.content.decode()
    assert "Verified as <strong>producer</strong>" in html
    assert GOOD_KEY not in html
    assert raw not in html


def test_credentials_bad_key_is_refused_and_not_stored(ftrack, producer, client_for):
    response = client_for(producer).post(
        "/credentials/", {"api_user": "producer", "api_key": "wrong-key-123"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "ftrack rejected this API key for user producer." in html
    assert "wrong-key-123" not in html
    assert not FtrackCredential.objects.filter(user=producer).exists()


def test_credentials_bad_key_keeps_the_previous_credential(ftrack, producer, client_for):
    credential_save(user=producer, api_user="producer", api_key=GOOD_KEY)
    client_for(producer).post("/credentials/", {"api_user": "producer", "api_key": "not-the-key"})

    credential = FtrackCredential.objects.get(user=producer)
    assert credential.version == 1
    assert credential_api_key(credential) == GOOD_KEY


def test_credentials_replacing_the_key_bumps_the_version(ftrack, producer):
    first = credential_save(user=producer, api_user="producer", api_key=GOOD_KEY)
    second = credential_save(user=producer, api_user="reviewer.ana", api_key="demo-key-reviewer-ana")

    assert first.pk == second.pk
    assert second.version == 2
    assert second.api_user == "reviewer.ana"
    assert credential_api_key(second) == "demo-key-reviewer-ana"


def test_credentials_ftrack_down_stores_nothing(settings, producer, client_for):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens there once the socket is closed: ftrack is "down".
    settings.FTRACK_SERVER = f"http://127.0.0.1:{port}"
    response = client_for(producer).post("/credentials/", {"api_user": "producer", "api_key": GOOD_KEY})

    assert response.status_code == 400
    assert "ftrack is not answering" in response.content.decode()
    assert GOOD_KEY not in response.content.decode()
    assert not FtrackCredential.objects.filter(user=producer).exists()


def test_credentials_key_is_never_logged(ftrack, producer, client_for, caplog):
    caplog.set_level("DEBUG")
    client_for(producer).post("/credentials/", {"api_user": "producer", "api_key": GOOD_KEY})
    client_for(producer).post("/credentials/", {"api_user": "producer", "api_key": "rejected-key-xyz"})

    assert FtrackCredential.objects.filter(user=producer).exists()
    assert GOOD_KEY not in caplog.text
    assert "rejected-key-xyz" not in caplog.text


def test_credentials_form_renders_labelled_password_field(producer, client_for):
    html = client_for(producer).get("/credentials/").content.decode()

    assert 'type="password"' in html
    assert 'autocomplete="off"' in html
    assert '<label for="id_api_user">' in html and '<label for="id_api_key">' in html
    assert "No ftrack credential yet" in html


def test_credentials_saved_key_returns_to_next(ftrack, producer, client_for):
    response = client_for(producer).post(
        "/credentials/?next=/upload/", {"api_user": "producer", "api_key": GOOD_KEY, "next": "/upload/"}
    )
    assert response.status_code == 302 and response["Location"] == "/upload/"


def test_credentials_next_to_another_site_is_ignored(ftrack, producer, client_for):
    response = client_for(producer).post(
        "/credentials/", {"api_user": "producer", "api_key": GOOD_KEY, "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/credentials/"


def test_credentials_page_refuses_anonymous_and_outsiders(client, outsider, client_for):
    assert client.get("/credentials/")["Location"].startswith("/accounts/login/")
    assert client_for(outsider).get("/credentials/").status_code == 403
