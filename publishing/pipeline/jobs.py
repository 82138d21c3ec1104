"""Life cycle of a PublishJob outside the publish flow itself: enqueue, claim, retry, cancel, watchdog.

A job runs when a worker *claims* it with a conditional UPDATE; whoever loses the race does
nothing. A running job proves it is alive by its heartbeat (``heartbeat_at``, refreshed while it
uploads or waits for ftrack); the watchdog hands jobs whose heartbeat went quiet back to the queue.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from publishing.core import enqueue
from publishing.core.roles import is_coordinator
from publishing.models import JobEvent, PublishJob

log = logging.getLogger(__name__)

Status = PublishJob.Status
TERMINAL = (Status.PUBLISHED, Status.FAILED, Status.CANCELLED)


class JobStateError(Exception):
    """The job is not in a state that allows this action (e.g. cancelling a published job)."""


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def stall_after() -> timedelta:
    return timedelta(seconds=int(settings.PUBLISH_STALL_AFTER))


PUBLISH_TASK = "publishing.tasks.publish_job"  # registered name (pipeline/tasks.py)


def job_enqueue(job_id: int, *, countdown: float | None = None) -> None:
    """Hand a job to the publish queue now; after writing rows use ``enqueue.after_commit``.

    When the broker is down the row stays queued/retrying and the watchdog re-sends it.
    """
    enqueue.send(PUBLISH_TASK, job_id, countdown=countdown)


def job_claim(job_id: int, *, worker: str) -> PublishJob | None:
    """Take the job for this worker, or return None when it is not ours to run.

    Claimable: queued or waiting to retry; or "running" when its holder is gone (a process on this
    host that no longer exists, which is how a SIGKILLed worker's job comes back, or a heartbeat
    older than PUBLISH_STALL_AFTER).
    """
    job = PublishJob.objects.filter(pk=job_id).first()
    if job is None:
        return None
    now = timezone.now()
    if job.status in (Status.QUEUED, Status.RETRYING):
        condition = Q(status=job.status)
    elif job.status == Status.RUNNING and (
        _holder_is_dead(job.claimed_by) or job.heartbeat_at is None or job.heartbeat_at < now - stall_after()
    ):
        condition = Q(status=Status.RUNNING, claimed_by=job.claimed_by)
    else:
        return None
    taken = PublishJob.objects.filter(condition, pk=job_id).update(
        status=Status.RUNNING,
        claimed_by=worker,
        heartbeat_at=now,
        next_attempt_at=None,
        started_at=job.started_at or now,
        updated_at=now,
    )
    if not taken:
        return None
    JobEvent.objects.create(job_id=job_id, kind="claim", stage=job.stage, message=f"taken by {worker}")
    return PublishJob.objects.select_related("batch", "batch__owner").get(pk=job_id)


def _holder_is_dead(claimed_by: str) -> bool:
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(int(pid))


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _may_manage(job: PublishJob, actor) -> bool:

    return actor is not None and (actor.pk == job.batch.owner_id or is_coordinator(actor))


def job_retry(*, job: PublishJob, actor) -> PublishJob:
    """Run a failed job again, from the stage that failed (finished stages and their ftrack ids are kept)."""
    if not _may_manage(job, actor):
        raise PermissionDenied("Only the producer of this job or a coordinator can retry it.")
    resume = {}
    if job.error_code in ("encode_failed", "not_playable"):
        # Following the same failed ftrack Job again would fail again: encode anew, then verify.
        durations = {k: v for k, v in (job.stage_durations or {}).items() if k not in ("encode", "verify")}
        resume = {"ftrack_encode_job_id": "", "stage_durations": durations}
    with transaction.atomic():
        updated = PublishJob.objects.filter(pk=job.pk, status=Status.FAILED).update(
            **resume,
            status=Status.QUEUED,
            attempts=0,
            error_code="",
            error_message="",
            is_retryable=False,
            next_attempt_at=None,
            claimed_by="",
            finished_at=None,
            updated_at=timezone.now(),
        )
        if not updated:
            raise JobStateError("Only a failed job can be retried.")
        JobEvent.objects.create(
            job=job, kind="retry", stage=job.stage, actor=actor, message=f"retry from stage {job.stage}"
        )
        enqueue.after_commit(job_enqueue, job.pk)
    job.refresh_from_db()
    return job


def job_cancel(*, job: PublishJob, actor) -> PublishJob:
    """Cancel a job that has not started (or is waiting to retry). A running job cannot be cancelled."""
    if not _may_manage(job, actor):
        raise PermissionDenied("Only the producer of this job or a coordinator can cancel it.")
    with transaction.atomic():
        updated = PublishJob.objects.filter(pk=job.pk, status__in=[Status.QUEUED, Status.RETRYING]).update(
            status=Status.CANCELLED,
            finished_at=timezone.now(),
            next_attempt_at=None,
            updated_at=timezone.now(),
        )
        if not updated:
            raise JobStateError("Only a queued job, or one waiting to retry, can be cancelled.")
        JobEvent.objects.create(job=job, kind="cancel", stage=job.stage, actor=actor, message="cancelled")
    job.refresh_from_db()
    return job


def jobs_requeue_stalled() -> list[int]:
    """Watchdog: give jobs whose worker stopped reporting back to the queue; returns their ids.

    * running with a heartbeat older than PUBLISH_STALL_AFTER (the worker died or hangs);
    * waiting to retry long past their time, or queued for that long (their message was lost).
    A duplicate message is harmless: only one worker wins the claim.
    """
    now = timezone.now()
    cutoff = now - stall_after()
    requeued: list[int] = []
    # Running jobs whose worker went quiet, or whose process on this host is gone (a worker that lost
    # its broker connection, or was killed, while its message vanished with a Redis restart).
    recently = now - timedelta(seconds=2)
    running = PublishJob.objects.filter(status=Status.RUNNING, heartbeat_at__lt=recently)
    for job in running:
        stale = job.heartbeat_at is not None and job.heartbeat_at < cutoff
        if not (stale or _holder_is_dead(job.claimed_by)):
            continue
        moved = PublishJob.objects.filter(
            pk=job.pk, status=Status.RUNNING, heartbeat_at=job.heartbeat_at
        ).update(status=Status.QUEUED, claimed_by="", updated_at=now)
        if moved:
            JobEvent.objects.create(
                job=job,
                kind="requeue",
                stage=job.stage,
                message=f"no heartbeat from {job.claimed_by or 'its worker'} since {job.heartbeat_at:%H:%M:%S}",
            )
            requeued.append(job.pk)
    waiting = list(
        PublishJob.objects.filter(
            Q(status=Status.RETRYING, next_attempt_at__lt=cutoff)
            | Q(status=Status.QUEUED, updated_at__lt=cutoff)
        ).values_list("pk", flat=True)
    )
    # Touch them so that a long backlog is re-sent once per stall period, not on every tick.
    PublishJob.objects.filter(pk__in=waiting, status=Status.QUEUED).update(updated_at=now)
    PublishJob.objects.filter(pk__in=waiting, status=Status.RETRYING).update(
        updated_at=now, next_attempt_at=now
    )
    requeued.extend(waiting)
    for job_id in requeued:
        job_enqueue(job_id)
    if requeued:
        log.warning("watchdog re-queued %d publish job(s): %s", len(requeued), requeued)
    return requeued
