"""Handing work to Celery: by task name, and only once the database says it happened.

Every subject enqueues through here. ``after_commit`` is the one place that waits for the
transaction (a worker must never pick up a row that is not committed yet, nor one that was rolled
back); ``send`` names the task by its registered name, so no module has to import the tasks of
another (that is what made ``jobs → tasks → publisher → jobs`` a cycle), and a broker outage is
logged instead of turning a saved row into an error page: every queue has a sweep that re-sends
what is due (the publish watchdog, the webhook retry sweep).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

from portal.celery import app

log = logging.getLogger(__name__)


def send(task: str, *args: Any, countdown: float | None = None) -> bool:
    """Put ``task(*args)`` on its queue now (routing by name, see CELERY_TASK_ROUTES)."""
    try:
        app.send_task(task, args=list(args), countdown=countdown)
    except Exception:
        log.warning("could not queue %s%s; its sweep will send it again", task, tuple(args), exc_info=True)
        return False
    return True


def after_commit(func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Call ``func(*args, **kwargs)`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(functools.partial(func, *args, **kwargs))
