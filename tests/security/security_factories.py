"""A job with one uploaded file, owned by a given producer (for the security tests)."""

from __future__ import annotations

from factories import make_upload

from publishing.models import JobUpload, PublishBatch, PublishJob

# Text only the owner's answers may contain (asset name, batch comment).
OWNER_MARKERS = ("owner-asset-7f3c", "owner-comment-91ab")


def make_job(owner, *, asset_name: str, filename: str = "plate.mov", comment: str = "for review", **fields):
    batch = PublishBatch.objects.create(owner=owner, comment=comment)
    values = {
        "context_id": "task-1",
        "context_path": "demo / sq010 / sh010 / compositing",
        "project_id": "project-demo",
        "asset_name": asset_name,
    }
    values.update(fields)
    job = PublishJob.objects.create(batch=batch, **values)
    upload = make_upload(owner, filename=filename, state="ready")
    JobUpload.objects.create(job=job, upload=upload, position=0)
    return job
