"""The Celery wiring: every scheduled task exists in the worker, and the upload sweep runs."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from factories import make_upload

import publishing.tasks  # noqa: F401 - the module every worker loads (autodiscovery)
from portal.celery import app
from publishing.models import Upload
from publishing.pipeline.tasks import publish_job
from publishing.uploads.tasks import cleanup_expired_uploads


def test_every_beat_entry_names_a_task_the_worker_registers():
    registered = set(app.tasks)
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled <= registered, scheduled - registered
    # The jobs the issues ask for are all scheduled.
    assert {
        "publishing.tasks.requeue_stalled_jobs",
        "publishing.tasks.cleanup_expired_uploads",
        "publishing.credentials_reverify",
        "publishing.webhooks_retry_due",
    } <= scheduled


def test_publishing_runs_on_its_own_queue_and_is_safe_to_deliver_twice():
    assert app.conf.task_routes["publishing.tasks.publish_job"] == {"queue": "publish"}
    assert app.conf.task_default_queue == "maintenance"
    assert publish_job.acks_late and publish_job.reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.accept_content == ["json"]


def test_cleanup_task_removes_abandoned_partial_uploads(producer):
    stale = make_upload(producer, expires_at=timezone.now() - timedelta(minutes=1), offset=10)
    fresh = make_upload(producer, expires_at=timezone.now() + timedelta(hours=1), offset=10)
    assert cleanup_expired_uploads.apply().get() == 1
    assert Upload.objects.get(pk=stale.pk).state == Upload.State.EXPIRED
    assert Upload.objects.get(pk=fresh.pk).state == Upload.State.RECEIVING
