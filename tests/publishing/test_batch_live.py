"""The batch page follows its jobs live: a producer who lands on it after Publish sees each job's
stage, progress and result without reloading (the same live rows as the dashboard)."""

from __future__ import annotations

import os

import pytest
from dashboard_factories import make_uploading, open_logged_in
from playwright.sync_api import expect

from publishing.models import PublishJob

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.django_db
def test_batch_rows_fragment_carries_stage_and_active_count(producer, client_for):
    job = make_uploading(producer, progress=0.4, stage_started_seconds_ago=5, asset_name="frag_asset")
    response = client_for(producer).get(f"/batches/{job.batch_id}/rows/")
    assert response.status_code == 200
    assert response["X-Active-Jobs"] == "1"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert f'id="job-{job.pk}"' in html and "Uploading to ftrack" in html and 'value="40"' in html
    assert "<html" not in html  # a fragment, not a page

    PublishJob.objects.filter(pk=job.pk).update(
        status=PublishJob.Status.PUBLISHED, stage=PublishJob.Stage.DONE
    )
    response = client_for(producer).get(f"/batches/{job.batch_id}/rows/")
    assert response["X-Active-Jobs"] == "0"
    assert "Published" in response.content.decode()


@pytest.mark.django_db
def test_batch_rows_of_someone_elses_batch_are_not_found(producer, other_producer, client_for):
    job = make_uploading(producer, progress=0.1, stage_started_seconds_ago=1)
    assert client_for(other_producer).get(f"/batches/{job.batch_id}/rows/").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_batch_page_updates_live_without_reload(page, live_server, producer):
    job = make_uploading(producer, progress=0.2, stage_started_seconds_ago=3, asset_name="live_batch_asset")
    open_logged_in(page, live_server, producer, f"/batches/{job.batch_id}/")
    item = page.locator(f"#job-{job.pk}")
    expect(item).to_contain_text("Uploading to ftrack")
    expect(item.locator("progress")).to_have_attribute("value", "20")
    page.evaluate("window.__sameDocument = true")

    PublishJob.objects.filter(pk=job.pk).update(stage=PublishJob.Stage.ENCODE, progress=0.7)
    expect(item).to_contain_text("Encoding for review")
    expect(item.locator("progress")).to_have_attribute("value", "70")

    PublishJob.objects.filter(pk=job.pk).update(
        status=PublishJob.Status.PUBLISHED, stage=PublishJob.Stage.DONE, progress=1.0
    )
    expect(item.locator(".pill")).to_have_text("Published")
    assert page.evaluate("window.__sameDocument") is True
