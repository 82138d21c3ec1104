"""The Celery app. Every option is a ``CELERY_*`` setting in portal/settings.py.

Run a worker with ``celery -A portal worker -Q publish,maintenance`` and the scheduler with
``celery -A portal beat``. Tasks are registered from ``publishing.tasks`` (autodiscovery).
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["publishing"])
