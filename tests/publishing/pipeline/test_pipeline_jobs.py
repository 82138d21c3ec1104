"""Job services without a worker: claiming, retry and cancel rules, the watchdog's choices, backoff."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from publishing.models import JobEvent, PublishBatch, PublishJob
from publishing.pipeline import jobs
from publishing.pipeline.publisher import retry_delay

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(producer):
    batch = PublishBatch.objects.create(owner=producer)
    return PublishJob.objects.create(batch=batch, context_id="ctx", asset_name="plate")


def test_only_one_worker_wins_the_claim(job):
    assert jobs.job_claim(job.pk, worker="host-a:1") is not None
    assert jobs.job_claim(job.pk, worker="host-b:2") is None
    job.refresh_from_db()
    assert (job.status, job.claimed_by) == ("running", "host-a:1")


def test_a_running_job_of_a_dead_local_process_can_be_claimed(job):
    import socket

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    PublishJob.objects.filter(pk=job.pk).update(
        status="running", claimed_by=f"{socket.gethostname()}:{dead.pid}", heartbeat_at=timezone.now()
    )
    assert jobs.job_claim(job.pk, worker=f"{socket.gethostname()}:{os.getpid()}") is not None


def test_a_running_job_with_a_live_holder_is_not_claimed(job):
    import socket

    PublishJob.objects.filter(pk=job.pk).update(
        status="running", claimed_by=f"{socket.gethostname()}:{os.getpid()}", heartbeat_at=timezone.now()
    )
    assert jobs.job_claim(job.pk, worker="elsewhere:9") is None


def test_cancel_rules(job, producer, other_producer, coordinator):
    with pytest.raises(PermissionDenied):
        jobs.job_cancel(job=job, actor=other_producer)
    jobs.job_cancel(job=job, actor=coordinator)
    job.refresh_from_db()
    assert job.status == "cancelled" and job.finished_at
    assert JobEvent.objects.filter(job=job, kind="cancel", actor=coordinator).exists()
    assert jobs.job_claim(job.pk, worker="w:1") is None  # a cancelled job never runs
    with pytest.raises(jobs.JobStateError):
        jobs.job_cancel(job=job, actor=producer)


def test_retry_resumes_from_the_failed_stage(
    job, producer, other_producer, django_capture_on_commit_callbacks
):
    PublishJob.objects.filter(pk=job.pk).update(
        status="failed",
        stage="encode",
        attempts=3,
        error_code="encode_failed",
        error_message="ftrack could not encode",
        ftrack_version_id="v-1",
        ftrack_component_id="c-1",
    )
    job.refresh_from_db()
    with pytest.raises(PermissionDenied):
        jobs.job_retry(job=job, actor=other_producer)
    with django_capture_on_commit_callbacks() as callbacks:
        jobs.job_retry(job=job, actor=producer)
    assert len(callbacks) == 1  # enqueued once the retry is committed
    job.refresh_from_db()
    assert (job.status, job.stage, job.attempts, job.error_code) == ("queued", "encode", 0, "")
    assert (job.ftrack_version_id, job.ftrack_component_id) == ("v-1", "c-1")
    with pytest.raises(jobs.JobStateError):
        jobs.job_retry(job=job, actor=producer)


def test_watchdog_picks_stalled_and_lost_jobs_only(
    job, producer, settings, django_capture_on_commit_callbacks
):
    from unittest import mock

    old = timezone.now() - timedelta(seconds=settings.PUBLISH_STALL_AFTER + 5)
    batch = job.batch
    stalled = job
    PublishJob.objects.filter(pk=stalled.pk).update(status="running", claimed_by="x:1", heartbeat_at=old)
    alive = PublishJob.objects.create(
        batch=batch, context_id="c", asset_name="a", status="running", heartbeat_at=timezone.now()
    )
    lost_retry = PublishJob.objects.create(batch=batch, context_id="c", asset_name="b", status="retrying")
    PublishJob.objects.filter(pk=lost_retry.pk).update(next_attempt_at=old)
    waiting = PublishJob.objects.create(batch=batch, context_id="c", asset_name="d", status="retrying")
    PublishJob.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now() + timedelta(seconds=30))

    # The broker is not under test here: record what would be sent.
    with mock.patch.object(jobs, "job_enqueue") as enqueue:
        requeued = jobs.jobs_requeue_stalled()
    assert sorted(requeued) == sorted([stalled.pk, lost_retry.pk])
    assert sorted(c.args[0] for c in enqueue.call_args_list) == sorted(requeued)
    stalled.refresh_from_db()
    assert (stalled.status, stalled.claimed_by) == ("queued", "")
    alive.refresh_from_db()
    assert alive.status == "running"
    with mock.patch.object(jobs, "job_enqueue"):
        assert jobs.jobs_requeue_stalled() == []  # each lost job is re-sent once per stall period


def test_backoff_doubles_up_to_the_ceiling(settings):
    settings.PUBLISH_RETRY_BASE = 10
    settings.PUBLISH_RETRY_CEILING = 60
    assert [retry_delay(n) for n in range(1, 6)] == [10, 20, 40, 60, 60]
