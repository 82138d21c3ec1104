"""Publish jobs in every state, for the dashboard and job page tests."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone
from factories import make_upload

from publishing.models import JobEvent, JobUpload, PublishBatch, PublishJob

_names = itertools.count(1)


def make_job(owner, *, filename: str | None = None, batch=None, created_at=None, **fields) -> PublishJob:
    """A job of ``owner`` with one uploaded file; ``fields`` override PublishJob columns."""
    batch = batch or PublishBatch.objects.create(owner=owner, comment="for review")
    n = next(_names)
    values = {
        "context_id": f"task-{n}",
        "context_path": "demo / sq010 / sh010 / compositing",
        "project_id": "project-demo",
        "asset_name": f"asset{n}",
    }
    values.update(fields)
    job = PublishJob.objects.create(batch=batch, **values)
    upload = make_upload(owner, filename=filename or f"shot{n}_v001.mov", state="ready")
    JobUpload.objects.create(job=job, upload=upload, position=0)
    if created_at is not None:
        # created_at is auto_now_add: set it afterwards for date-range tests.
        PublishJob.objects.filter(pk=job.pk).update(created_at=created_at)
        job.refresh_from_db()
    return job


def make_failed(owner, code: str, message: str = "it broke", **fields) -> PublishJob:
    return make_job(
        owner,
        status=PublishJob.Status.FAILED,
        stage=fields.pop("stage", PublishJob.Stage.UPLOAD),
        error_code=code,
        error_message=message,
        attempts=fields.pop("attempts", 5),
        **fields,
    )


def make_uploading(owner, *, progress: float, stage_started_seconds_ago: float, **fields) -> PublishJob:
    job = make_job(
        owner,
        status=PublishJob.Status.RUNNING,
        stage=PublishJob.Stage.UPLOAD,
        progress=progress,
        started_at=timezone.now() - timedelta(seconds=stage_started_seconds_ago + 5),
        **fields,
    )
    JobEvent.objects.create(
        job=job,
        kind="stage",
        stage=PublishJob.Stage.UPLOAD,
        message="Uploading to ftrack",
        at=timezone.now() - timedelta(seconds=stage_started_seconds_ago),
    )
    return job


def open_logged_in(page, live_server, user, path: str) -> None:
    """Open ``path`` in the Playwright page as ``user`` (a forced login's session cookie)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.set_default_timeout(15_000)
    page.goto(live_server.url + path)
