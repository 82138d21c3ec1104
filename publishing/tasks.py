"""Celery tasks: thin wrappers that take ids and call the publisher or a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="publishing.tasks.publish_job", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def publish_job(job_id: int) -> str:
    from publishing.ftrack.publisher import publish

    return publish(job_id)


@shared_task(name="publishing.tasks.requeue_stalled_jobs", ignore_result=True)
def requeue_stalled_jobs() -> list[int]:
    from publishing.services.jobs import jobs_requeue_stalled

    return jobs_requeue_stalled()


@shared_task(name="publishing.tasks.cleanup_expired_uploads", ignore_result=True)
def cleanup_expired_uploads() -> int:
    """Remove the data of partial uploads abandoned past UPLOAD_EXPIRY (beat, hourly)."""
    from publishing.services.uploads import uploads_cleanup_expired

    return len(uploads_cleanup_expired())


# Tasks of other subjects live in their own modules; importing them here registers them with every
# worker, since Celery's autodiscovery only looks for publishing.tasks.
from publishing import tasks_credentials, tasks_webhooks  # noqa: E402,F401
