"""Celery tasks of the pipeline: thin wrappers that take ids and call the publisher or a service."""

from __future__ import annotations

from celery import shared_task

from publishing.pipeline.jobs import jobs_requeue_stalled
from publishing.pipeline.publisher import publish


@shared_task(
    name="publishing.tasks.publish_job", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def publish_job(job_id: int) -> str:

    return publish(job_id)


@shared_task(name="publishing.tasks.requeue_stalled_jobs", ignore_result=True)
def requeue_stalled_jobs() -> list[int]:

    return jobs_requeue_stalled()
