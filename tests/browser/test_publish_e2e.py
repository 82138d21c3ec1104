"""Issue 5, end to end in Chromium: a producer drops a movie, submits, and watches it publish.

Full stack: the portal (live_server), the tus endpoint, a real Celery worker subprocess on the same
test database, the ftrack dev server (encode + thumbnail for real) and an SMTP sink.

1. The producer drops a 1-second movie on /upload/, uploads it, picks demo → sq010 → sh010 →
   compositing and publishes.
2. On the dashboard, without any reload, the row goes to "published", its thumbnail loads (the
   image really decoded: naturalWidth > 0) and the header's bell counts the new notification.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Set on the page once it is open: a reload or navigation would wipe it.
MARK_PAGE = "() => { window.__stillTheSamePage = true; }"
SAME_PAGE = "() => window.__stillTheSamePage === true"
THUMBNAIL_DECODED = "img => img.complete && img.naturalWidth > 0"


def test_producer_sees_the_movie_published_with_its_thumbnail_live(
    pipeline, producer_page, ftrack_producer, live_server, media_dir, settings
):
    settings.NOTIFICATIONS_POLL_SECONDS = 1  # the bell polls every 20 s in real life
    page = producer_page
    page.goto(live_server.url + reverse("publishing:upload"))
    expect(page.locator("[data-unread-count]")).to_have_text("0")

    # 1. Drop, upload over tus, choose the task through the cascade, publish.
    page.locator("#uppy-dashboard input[type=file]:not([webkitdirectory])").first.set_input_files(
        media_dir / "comp_v001.mov"
    )
    item = page.locator("#upload-items > li[data-kind=movie]")
    expect(item).to_have_count(1)
    page.locator(".uppy-StatusBar-actionBtn--upload").click()
    expect(item.locator(".rp-item-percent")).to_have_text("100 %", timeout=60_000)
    levels = page.locator("[data-picker-levels]")
    levels.get_by_label("Project", exact=True).select_option(label="demo")
    levels.get_by_label("Sequence", exact=True).select_option(label="sq010")
    levels.get_by_label("Shot", exact=True).select_option(label="sh010")
    levels.get_by_label("Task", exact=True).select_option(label="compositing")
    expect(page.locator("[data-picker-chosen]")).to_have_text(
        "Publishing to demo / sq010 / sh010 / compositing"
    )
    page.get_by_label("Comment").fill("Dailies tonight")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(r"/batches/\d+/$"), timeout=30_000)

    # 2. The dashboard, watched without reloading.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Publishes").click()
    page.wait_for_url(re.compile(r"/dashboard/$"))
    page.evaluate(MARK_PAGE)
    row = page.locator("#dashboard-rows tr.job-row").filter(has_text="comp_v001")
    expect(row).to_have_count(1)
    expect(row).to_have_class(re.compile(r"\bjob-row--published\b"), timeout=120_000)
    expect(row.get_by_role("link", name="Review page")).to_be_visible()
    thumbnail = row.locator("img.job-row__thumb")
    expect(thumbnail).to_be_visible()
    page.wait_for_function(THUMBNAIL_DECODED, arg=thumbnail.element_handle(), timeout=30_000)
    expect(page.locator("[data-unread-count]")).to_have_text("1", timeout=15_000)
    expect(page.locator(".bell")).to_have_class(re.compile(r"\bbell--unread\b"))
    assert page.evaluate(SAME_PAGE), "the dashboard was reloaded"

    # The bell leads to the notification, which leads back to the batch.
    page.locator(".bell").click()
    note = page.get_by_role("list", name=re.compile("Your notifications")).get_by_role("listitem")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("Your batch: 1 version(s) published.")
    note.get_by_role("button", name="Mark read").click()
    expect(page.locator("[data-unread-count]")).to_have_text("0")

    # One email for the batch reached the SMTP sink.
    [(recipients, message)] = pipeline["smtp"].messages
    assert recipients == [ftrack_producer.email]
    assert "comp_v001 v1" in message
