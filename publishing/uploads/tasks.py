"""Celery tasks of uploads."""

from __future__ import annotations

from celery import shared_task

from publishing.uploads.services import uploads_cleanup_expired


@shared_task(name="publishing.tasks.cleanup_expired_uploads", ignore_result=True)
def cleanup_expired_uploads() -> int:
    """Remove the data of partial uploads abandoned past UPLOAD_EXPIRY (beat, hourly)."""
    return len(uploads_cleanup_expired())
