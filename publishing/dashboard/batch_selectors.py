"""Reads that span relations, scoped to what the asking user may see."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from publishing.core import roles
from publishing.models import JobUpload, PublishBatch, PublishJob


def batches_visible_to(user) -> QuerySet[PublishBatch]:
    """Coordinators and admins see every batch; everybody else only their own."""
    batches = PublishBatch.objects.select_related("owner")
    if not roles.is_coordinator(user):
        batches = batches.filter(owner=user)
    return batches


def batches_for_list(user) -> QuerySet[PublishBatch]:
    active = [PublishJob.Status.QUEUED, PublishJob.Status.RUNNING, PublishJob.Status.RETRYING]
    return (
        batches_visible_to(user)
        .annotate(
            job_count=Count("jobs"),
            published_count=Count("jobs", filter=Q(jobs__status=PublishJob.Status.PUBLISHED)),
            failed_count=Count("jobs", filter=Q(jobs__status=PublishJob.Status.FAILED)),
            active_count=Count("jobs", filter=Q(jobs__status__in=active)),
        )
        .order_by("-created_at", "-id")
    )


def batch_detail(user, batch_id: int) -> PublishBatch | None:
    """The batch with its jobs and their files in order, or None when absent or not visible."""
    job_uploads = JobUpload.objects.select_related("upload").order_by("position")
    jobs = PublishJob.objects.order_by("id").prefetch_related(Prefetch("job_uploads", queryset=job_uploads))
    return (
        batches_visible_to(user).prefetch_related(Prefetch("jobs", queryset=jobs)).filter(pk=batch_id).first()
    )
