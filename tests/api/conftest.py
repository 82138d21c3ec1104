"""Fixtures of the API tests: token clients for the cast, a job of each producer, the dev server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "publishing" / "ftrack"))

from factories import make_token, make_upload  # noqa: E402

CAST = ["anonymous", "outsider", "producer", "other_producer", "coordinator", "admin_user"]


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


def make_job(owner, *, status="failed", asset_name="plate", project_id="proj-1", **fields):
    """A batch with one job (and its upload) owned by ``owner``; no ftrack involved."""
    from publishing.models import JobUpload, PublishBatch, PublishJob

    batch = PublishBatch.objects.create(owner=owner, comment="please look")
    job = PublishJob.objects.create(
        batch=batch,
        context_id="ctx-1",
        context_path="demo / sq010 / sh010 / compositing",
        project_id=project_id,
        asset_name=asset_name,
        status=status,
        stage="upload" if status == "failed" else "queued",
        error_code="ftrack_unavailable" if status == "failed" else "",
        **fields,
    )
    upload = make_upload(owner, filename=f"{asset_name}.mov", state="ready", kind="movie")
    JobUpload.objects.create(job=job, upload=upload, position=0)
    return job


@pytest.fixture
def jobs(producer, other_producer):
    """One failed job of the producer and one of the other producer."""
    return {"producer": make_job(producer), "other_producer": make_job(other_producer, asset_name="bg")}


@pytest.fixture
def ftrack(settings, ftrack_server, redis_url, tmp_path_factory):
    """The portal pointed at the dev server, with fresh sessions and no cached answers."""
    from ftrack_support import flush_namespace

    from publishing.ftrack import sessions

    settings.FTRACK_SERVER = ftrack_server.url
    settings.REDIS_URL = redis_url
    settings.FTRACK_SCHEMA_CACHE_DIR = str(tmp_path_factory.getbasetemp() / "ftrack-schema")
    flush_namespace(redis_url, ftrack_server.url)
    sessions.close_all_sessions()
    sessions._pool = None
    yield ftrack_server
    sessions.close_all_sessions()
    sessions._pool = None


@pytest.fixture
def enqueued(monkeypatch):
    """Job ids handed to the publish queue (recorded, not sent: no worker runs in these tests)."""
    from publishing.services import jobs as job_services

    sent: list[int] = []
    monkeypatch.setattr(job_services, "job_enqueue", lambda job_id, **kw: sent.append(job_id))
    return sent
