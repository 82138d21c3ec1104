"""A logged-in producer's tus upload keeps going for hours; an idle session still expires.

The clock is moved rather than waited for: Django's sessions read `django.utils.timezone.now`, which
the test shifts by 20 minutes between chunks (2 h 40 min in all) with a 30-minute session age.
"""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from factories import make_user

CHUNKS = 8
CHUNK = b"x" * 1000
PAUSE = timedelta(minutes=20)


class Clock:
    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def browser_session(db, settings, private_ratelimits):
    """A client logged in through the login form, as the browser is."""
    settings.SESSION_COOKIE_AGE = 30 * 60
    make_user("lena", role="producer", password="lena-password")
    client = Client()
    assert client.post(reverse("login"), {"username": "lena", "password": "lena-password"}).status_code == 302
    return client


TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}


def _create(client) -> str:
    name = base64.b64encode(b"plate.mov").decode()
    answer = client.generic(
        "POST",
        reverse("tus:collection"),
        b"",
        HTTP_UPLOAD_LENGTH=str(CHUNKS * len(CHUNK)),
        HTTP_UPLOAD_METADATA=f"filename {name}",
        **TUS,
    )
    assert answer.status_code == 201, answer.content
    return answer["Location"]


def _patch(client, location: str, offset: int):
    return client.generic(
        "PATCH",
        location,
        CHUNK,
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET=str(offset),
        **TUS,
    )


def test_chunks_over_hours_keep_the_session_alive(browser_session, clock):
    location = _create(browser_session)
    for number in range(CHUNKS):
        clock.advance(PAUSE)  # each pause is shorter than the session age, the sum far longer
        answer = _patch(browser_session, location, number * len(CHUNK))
        assert answer.status_code == 204, (number, answer.status_code, answer.content)
    assert int(answer["Upload-Offset"]) == CHUNKS * len(CHUNK)
    # Still logged in after 2 h 40 min: the pages open.
    assert browser_session.get(reverse("publishing:batches")).status_code == 200


def test_an_idle_session_expires(browser_session, clock):
    location = _create(browser_session)
    assert _patch(browser_session, location, 0).status_code == 204
    clock.advance(timedelta(minutes=31))
    answer = browser_session.head(location, **TUS)
    assert answer.status_code == 401
    page = browser_session.get(reverse("publishing:batches"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("login"))


def test_without_a_sliding_session_the_upload_would_be_cut(browser_session, clock, settings):
    # The first test can fail: the same pattern with a fixed expiry loses the login half-way.
    settings.SESSION_SAVE_EVERY_REQUEST = False
    location = _create(browser_session)
    statuses = []
    for number in range(CHUNKS):
        clock.advance(PAUSE)
        statuses.append(_patch(browser_session, location, number * len(CHUNK)).status_code)
    assert 401 in statuses
