"""The dashboard in Chromium: rows follow the job's stage and progress without a reload."""

from __future__ import annotations

import os

import pytest
from dashboard_factories import make_failed, make_uploading, open_logged_in
from playwright.sync_api import expect

from publishing.models import PublishJob

# live_server runs Django in a thread; Playwright's sync API looks async to Django's guard.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.publishing.dashboard_urlconf"),
]


SCREENSHOT = "/tmp/review-portal-dashboard.png"


def test_dashboard_rows_update_live_without_reload(page, live_server, producer):
    make_failed(producer, "credential_rejected", asset_name="older_failure")
    job = make_uploading(producer, progress=0.2, stage_started_seconds_ago=20, asset_name="live_asset")
    open_logged_in(page, live_server, producer, "/dashboard/")
    row = page.locator(f"#job-{job.pk}")
    expect(row.locator("progress")).to_have_attribute("value", "20")
    expect(row).to_contain_text("Uploading to ftrack")
    expect(row).to_contain_text("left")  # an ETA while the upload runs
    page.evaluate("window.__sameDocument = true")

    PublishJob.objects.filter(pk=job.pk).update(stage=PublishJob.Stage.ENCODE, progress=0.8)
    expect(row.locator("progress")).to_have_attribute("value", "80")
    expect(row).to_contain_text("Encoding for review")

    PublishJob.objects.filter(pk=job.pk).update(
        status=PublishJob.Status.PUBLISHED, stage=PublishJob.Stage.DONE, progress=1.0, ftrack_version_id="v1"
    )
    expect(row).to_contain_text("Published")
    expect(row.get_by_role("link", name="Review page")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True
    page.screenshot(path=SCREENSHOT, full_page=True)
