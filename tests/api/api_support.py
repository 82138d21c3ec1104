"""Helpers the API tests import by name (a conftest is not importable reliably: several exist)."""

from __future__ import annotations

from factories import make_upload

CAST = ["anonymous", "outsider", "producer", "other_producer", "coordinator", "admin_user"]


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
