"""``manage.py requeue_stalled [--dry-run]``: the publish watchdog, run by hand.

Hands back to the queue the jobs whose worker stopped reporting (heartbeat older than
PUBLISH_STALL_AFTER) and the queued or retrying jobs whose message was lost. The same function runs
on a schedule in the workers; this is for operators who want it now.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from publishing.models import PublishJob
from publishing.pipeline.jobs import jobs_requeue_stalled, stall_after

Status = PublishJob.Status


def stalled_jobs():
    """What ``jobs_requeue_stalled`` would pick up now (for --dry-run)."""
    cutoff = timezone.now() - stall_after()
    return PublishJob.objects.filter(
        Q(status=Status.RUNNING, heartbeat_at__lt=cutoff)
        | Q(status=Status.RETRYING, next_attempt_at__lt=cutoff)
        | Q(status=Status.QUEUED, updated_at__lt=cutoff)
    ).order_by("id")


class Command(BaseCommand):
    help = "Re-queue publish jobs whose worker died or whose queue message was lost."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list the stalled jobs; re-queue nothing")

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            jobs = list(stalled_jobs())
            for job in jobs:
                self.stdout.write(f"Would re-queue job {job.pk} {job.asset_name} ({job.status}, {job.stage})")
            self.stdout.write(f"{len(jobs)} stalled job(s).")
            return
        requeued = jobs_requeue_stalled()
        for job_id in requeued:
            self.stdout.write(f"Re-queued job {job_id}")
        self.stdout.write(f"Re-queued {len(requeued)} job(s).")
