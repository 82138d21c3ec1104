"""Rate limits on login, upload creation (tus POST) and batch submission, against the real Redis."""

from __future__ import annotations

import base64
import logging
import time

import pytest
import requests
from django.test import Client
from django.urls import reverse
from factories import make_token, make_user

from publishing.core import ratelimit
from publishing.core.ratelimit import Rate

pytestmark = pytest.mark.usefixtures("private_ratelimits")


def _login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_rate_parsing():
    assert Rate.parse("10/5m") == Rate(10, 300)
    assert Rate.parse("120/m") == Rate(120, 60)
    assert Rate.parse("30/h") == Rate(30, 3600)
    assert Rate.parse("5/10s") == Rate(5, 10)
    assert Rate.parse("off") is None and Rate.parse("") is None and Rate.parse("0/m") is None
    with pytest.raises(Exception, match="10/5m"):
        Rate.parse("ten a minute")


def test_failed_logins_lock_the_username_with_a_clear_message(settings, db):
    settings.LOGIN_RATE_LIMIT = "3/5m"
    settings.LOGIN_IP_RATE_LIMIT = "100/5m"
    make_user("lena", role="producer", password="right-password")
    make_user("mo", role="producer", password="mo-password")
    client = Client()
    for _ in range(3):
        assert _login(client, "lena", "wrong").status_code == 200
    # Now even the right password is refused, without being checked.
    refused = _login(client, "Lena", "right-password")
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert 0 < wait <= 300
    minutes = -(-wait // 60)
    assert f"Too many attempts, try again in {minutes} minute" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not locked out.
    assert _login(Client(), "mo", "mo-password").status_code == 302


def test_lock_ends_with_its_window(settings, db, monkeypatch):
    settings.LOGIN_RATE_LIMIT = "2/m"
    make_user("lena", role="producer", password="right-password")
    client = Client()
    for _ in range(2):
        _login(client, "lena", "wrong")
    assert _login(client, "lena", "right-password").status_code == 429
    later = time.time() + 61
    monkeypatch.setattr(ratelimit.time, "time", lambda: later)
    assert _login(client, "lena", "right-password").status_code == 302


def test_success_clears_the_username_count(settings, db):
    settings.LOGIN_RATE_LIMIT = "3/5m"
    make_user("lena", role="producer", password="right-password")
    for _ in range(2):
        _login(Client(), "lena", "wrong")
    assert _login(Client(), "lena", "right-password").status_code == 302
    for _ in range(2):
        assert _login(Client(), "lena", "wrong").status_code == 200
    assert _login(Client(), "lena", "right-password").status_code == 302


def test_failed_logins_from_one_address_are_limited_across_usernames(settings, db):
    settings.LOGIN_RATE_LIMIT = "100/5m"
    settings.LOGIN_IP_RATE_LIMIT = "4/5m"
    make_user("lena", role="producer", password="right-password")
    for name in ("a", "b", "c", "d"):
        assert _login(Client(), name, "guess").status_code == 200
    assert _login(Client(), "lena", "right-password").status_code == 429
    # A different client address is not affected.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert _login(other, "lena", "right-password").status_code == 302


def _create(url: str, token: str, name: str = "a.mov") -> requests.Response:
    encoded = base64.b64encode(name.encode()).decode()
    return requests.post(
        url,
        headers={
            "Tus-Resumable": "1.0.0",
            "Authorization": f"Token {token}",
            "Upload-Length": "10",
            "Upload-Metadata": f"filename {encoded}",
        },
        timeout=10,
    )


def test_upload_creation_is_limited_per_user(settings, tus_endpoint, producer, other_producer):
    settings.UPLOAD_CREATE_RATE_LIMIT = "3/m"
    token = make_token(producer)
    created = [_create(tus_endpoint, token) for _ in range(3)]
    assert [r.status_code for r in created] == [201, 201, 201]
    refused = _create(tus_endpoint, token)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Tus-Resumable"] == "1.0.0"
    assert "Too many uploads started" in refused.text and "Try again in" in refused.text
    # Appending to an upload already created is not creation: it goes on.
    patch = requests.patch(
        created[0].headers["Location"],
        data=b"0123456789",
        headers={
            "Tus-Resumable": "1.0.0",
            "Authorization": f"Token {token}",
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
        timeout=10,
    )
    assert patch.status_code == 204
    # Another producer has their own allowance.
    assert _create(tus_endpoint, make_token(other_producer)).status_code == 201


def test_batch_submission_is_limited_per_user(settings, producer, client_for):
    settings.BATCH_SUBMIT_RATE_LIMIT = "2/m"
    client = client_for(producer)
    url = reverse("api:batch-list")  # where the upload page and scripts both submit
    answers = [client.post(url, "{}", content_type="application/json") for _ in range(2)]
    assert [a.status_code for a in answers] == [400, 400]  # counted even when invalid
    for refused in (
        client.post(url, "{}", content_type="application/json"),
        client.post(url, "{}", content_type="application/json"),
    ):
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 0 < int(refused["Retry-After"]) <= 60


def test_limits_are_not_enforced_when_redis_is_down(settings, db, caplog):
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    settings.LOGIN_RATE_LIMIT = "1/5m"
    make_user("lena", role="producer", password="right-password")
    with caplog.at_level(logging.WARNING, logger="publishing.core.ratelimit"):
        assert _login(Client(), "lena", "wrong").status_code == 200
        assert _login(Client(), "lena", "right-password").status_code == 302
    assert "rate limits not enforced" in caplog.text
