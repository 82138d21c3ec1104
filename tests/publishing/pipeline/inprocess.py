"""Running the publisher in the test process (no Celery): for counting round trips and staging crashes.

The jobs are written directly (not through ``batch_create``), so no message reaches a worker.
"""

from __future__ import annotations

from publishing.models import JobUpload, PublishBatch, PublishJob


def queued_job(
    owner, context_id: str, uploads, *, asset_name: str, kind: str = "movie", encode=True, reviewers=()
):
    """A queued job (and its batch) written directly, not sent to any queue."""
    batch = PublishBatch.objects.create(
        owner=owner, comment="c", reviewers=list(reviewers), encode_for_review=encode
    )
    job = PublishJob.objects.create(
        batch=batch, kind=kind, context_id=context_id, asset_name=asset_name, asset_type="Upload", comment="c"
    )
    for position, upload in enumerate(uploads):
        JobUpload.objects.create(job=job, upload=upload, position=position)
    return job
