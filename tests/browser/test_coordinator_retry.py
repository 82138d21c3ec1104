"""Issue 5, end to end in Chromium: a coordinator sees why a job failed, has it fixed, retries it,
and watches it publish.

1. A producer's stored ftrack key stops working (ftrack rejects it); their movie fails at once with
   a reason, and the dashboard groups it by cause with what to do.
2. The producer saves a working key (the vault's real service, verified against the dev server).
3. The coordinator clicks Retry on the row and, without reloading, sees it reach "published".
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "publishing" / "pipeline"))

from pipeline_support import admin_session, ready_upload, submit, task_id, wait_until  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COORDINATOR_PASSWORD = "coordinator-password-for-tests"
MARK_PAGE = "() => { window.__stillTheSamePage = true; }"
SAME_PAGE = "() => window.__stillTheSamePage === true"


def _break_key(user) -> None:
    """What a revoked key looks like to the portal: ftrack refuses the stored key from now on."""
    from publishing.core.crypto import encrypt_secret
    from publishing.models import FtrackCredential

    credential = FtrackCredential.objects.get(user=user)
    credential.api_key_encrypted = encrypt_secret("revoked-key")
    credential.version += 1  # the worker's session pool opens a new session for a new version
    credential.save(update_fields=["api_key_encrypted", "version"])


def test_coordinator_retries_a_failed_job_after_the_key_is_fixed(
    pipeline, ftrack_producer, ftrack_server, page, live_server, media_dir
):
    from factories import make_user

    from ftrack_devserver.seed import DEMO_USERS
    from publishing.models import PublishJob
    from publishing.vault.credentials import credential_save

    # 1. The producer's batch is accepted (key still good), then the key is revoked before the
    #    worker picks the job up: the job runs into ftrack's refusal.
    with admin_session(ftrack_server) as session:
        task = task_id(session)
    upload = ready_upload(ftrack_producer, media_dir / "comp_v001.mov")
    with transaction.atomic():  # the job is handed to the worker only when this block commits
        batch = submit(
            ftrack_producer,
            task,
            [{"kind": "movie", "asset_name": "comp_retry", "upload_ids": [str(upload.pk)]}],
        )
        _break_key(ftrack_producer)
    job = PublishJob.objects.get(batch=batch)
    wait_until(
        lambda: PublishJob.objects.filter(pk=job.pk, status="failed").exists(),
        timeout=60,
        message="the job to fail",
    )
    job.refresh_from_db()
    assert job.error_code == "credential_rejected"

    # The coordinator opens the dashboard: the failure is grouped by cause, in plain words.
    make_user("cora.coordinator", role="coordinator", password=COORDINATOR_PASSWORD)
    page.set_default_timeout(15_000)
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill("cora.coordinator")
    page.get_by_label("Password").fill(COORDINATOR_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.url + reverse("publishing:dashboard"))
    failures = page.locator("section.failures")
    expect(failures).to_contain_text(f"ftrack rejected the API key for {ftrack_producer.username}")
    expect(failures).to_contain_text("update it on the credentials page")
    expect(failures).to_contain_text("1 job")
    row = page.locator(f"#job-{job.pk}")
    expect(row).to_have_class(re.compile(r"\bjob-row--failed\b"))
    expect(row.locator(".job__error")).to_contain_text("ftrack rejected the API key")

    # 2. The producer saves a working key (verified against ftrack before it is stored).
    credential_save(user=ftrack_producer, api_user="producer", api_key=DEMO_USERS["producer"])

    # 3. Retry from the row; from here on the page is only watched, never reloaded.
    row.get_by_role("button", name="Retry").click()
    page.wait_for_url(re.compile(r"/dashboard/"))
    expect(page.locator(".messages")).to_contain_text("Retrying comp_retry")
    page.evaluate(MARK_PAGE)
    row = page.locator(f"#job-{job.pk}")
    expect(row).to_have_class(re.compile(r"\bjob-row--published\b"), timeout=120_000)
    thumbnail = row.locator("img.job-row__thumb")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle(), timeout=30_000
    )
    assert page.evaluate(SAME_PAGE), "the dashboard was reloaded"
    expect(page.locator("section.failures")).to_have_count(0)

    # The retry is on the job's timeline: who did it.
    job.refresh_from_db()
    retry = job.events.get(kind="retry")
    assert retry.actor.username == "cora.coordinator"
    assert job.status == "published" and job.ftrack_version_id
