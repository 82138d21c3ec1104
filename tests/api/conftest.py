"""Fixtures of the API tests: token clients for the cast, a job of each producer, the dev server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "publishing" / "ftrack"))

from api_support import make_job  # noqa: E402
from factories import make_token  # noqa: E402


@pytest.fixture
def api_for(db):
    """api_for(user or None) -> a DRF APIClient sending that user's token (None: anonymous)."""
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(user)}")
        return client

    return make


@pytest.fixture
def cast(producer, other_producer, coordinator, admin_user, outsider):
    return {
        "anonymous": None,
        "outsider": outsider,
        "producer": producer,
        "other_producer": other_producer,
        "coordinator": coordinator,
        "admin_user": admin_user,
    }


@pytest.fixture
def jobs(producer, other_producer):
    """One failed job of the producer and one of the other producer."""
    return {"producer": make_job(producer), "other_producer": make_job(other_producer, asset_name="bg")}


@pytest.fixture
def ftrack(portal_on_devserver):
    """The portal pointed at the dev server, with fresh sessions and no cached answers."""
    return portal_on_devserver


@pytest.fixture
def enqueued(monkeypatch):
    """Job ids handed to the publish queue (recorded, not sent: no worker runs in these tests)."""
    from publishing.pipeline import jobs as job_services

    sent: list[int] = []
    monkeypatch.setattr(job_services, "job_enqueue", lambda job_id, **kw: sent.append(job_id))
    return sent
