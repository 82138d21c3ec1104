"""The Celery app: Redis broker and results, JSON only, publishing on its own queue.

Run a worker with ``celery -A portal worker -Q publish,maintenance`` and the scheduler with
``celery -A portal beat``. Publishing is long and holds a ftrack session; maintenance (the
watchdog) is short, so it gets its own queue and can never wait behind a 10 GB upload.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")

app.conf.update(
    accept_content=["json"],
    task_serializer="json",
    result_serializer="json",
    # A publish must survive its worker dying: acknowledge only when it is done, and put it back
    # when the process running it is killed. Every stage checks ftrack first, so a second run
    # resumes instead of duplicating.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_default_queue="maintenance",
    task_routes={
        "publishing.tasks.publish_job": {"queue": "publish"},
        "publishing.tasks.requeue_stalled_jobs": {"queue": "maintenance"},
    },
    # Generous for multi-GB uploads; the soft limit lets the job record why it stopped.
    task_soft_time_limit=int(os.environ.get("PUBLISH_SOFT_TIME_LIMIT", 4 * 3600)),
    task_time_limit=int(os.environ.get("PUBLISH_HARD_TIME_LIMIT", 4 * 3600 + 300)),
    # Redis redelivers an unacknowledged message after this long; longer than the hard limit so a
    # slow publish is not handed to a second worker while the first still runs.
    broker_transport_options={
        "visibility_timeout": 5 * 3600,
        # Lets several portals (or test runs) share one Redis without taking each other's messages.
        **(
            {"global_keyprefix": os.environ["CELERY_KEY_PREFIX"]}
            if os.environ.get("CELERY_KEY_PREFIX")
            else {}
        ),
    },
    broker_connection_retry_on_startup=True,
    worker_cancel_long_running_tasks_on_connection_loss=True,
    beat_schedule={
        "requeue-stalled-publish-jobs": {
            "task": "publishing.tasks.requeue_stalled_jobs",
            "schedule": float(os.environ.get("PUBLISH_WATCHDOG_EVERY", 60)),
        },
        # Abandoned partial uploads: UPLOAD_EXPIRY is hours, so an hourly sweep is prompt enough.
        "cleanup-expired-uploads": {"task": "publishing.tasks.cleanup_expired_uploads", "schedule": 3600.0},
        # Re-check every stored ftrack key at night, so a revoked key is found before the next publish.
        "reverify-credentials": {
            "task": "publishing.credentials_reverify",
            "schedule": crontab(hour=3, minute=30),
        },
        # Webhook deliveries whose backoff has run out get their next attempt.
        "retry-due-webhooks": {"task": "publishing.webhooks_retry_due", "schedule": 30.0},
    },
)

app.autodiscover_tasks(["publishing"])
