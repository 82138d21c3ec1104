"""Celery task of the credential vault: the scheduled re-verification of every stored key.

Recommended beat entry (the lead wires it in portal/celery.py): every night at 03:30,
``{"task": "publishing.credentials_reverify", "schedule": crontab(hour=3, minute=30)}``.
"""

from __future__ import annotations

from celery import shared_task

from publishing.vault.credentials import credentials_reverify_all


@shared_task(name="publishing.credentials_reverify", ignore_result=True)
def credentials_reverify() -> dict[str, int]:

    return credentials_reverify_all()
