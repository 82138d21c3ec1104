"""Issue 11 in Chromium: one drop, three shots, each item to its own task, published for real.

The producer drops ``sq010_sh020_comp_v001.mov`` (placed by its name), the folder
``sq020_sh030_comp/`` with ``plate.mov`` (placed by its folder) and ``sq010_sh010.mov`` (shot
sh010 has two tasks: ambiguous). Publish stays disabled until the producer chooses the task of the
ambiguous item in its own select; then one batch of three jobs on three tasks is published by the
real worker on the dev server.
"""

from __future__ import annotations

import re
import shutil
import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_one_drop_three_shots_each_to_its_own_task(pipeline, producer_page, live_server, media_dir, tmp_path):
    from publishing.models import PublishJob

    shutil.copy(media_dir / "comp_v001.mov", tmp_path / "sq010_sh020_comp_v001.mov")
    shutil.copy(media_dir / "comp_v001.mov", tmp_path / "sq010_sh010.mov")
    (tmp_path / "sq020_sh030_comp").mkdir()
    shutil.copy(media_dir / "comp_v001.mov", tmp_path / "sq020_sh030_comp" / "plate.mov")

    page = producer_page
    page.goto(live_server.url + reverse("publishing:upload"))
    page.locator("#uppy-dashboard input[type=file]:not([webkitdirectory])").first.set_input_files(
        [tmp_path / "sq010_sh020_comp_v001.mov", tmp_path / "sq010_sh010.mov"]
    )
    page.get_by_role("button", name="Add more").click()
    page.locator("#uppy-dashboard input[type=file][webkitdirectory]").first.set_input_files(
        tmp_path / "sq020_sh030_comp"
    )
    rows = page.locator("#upload-items > li")
    expect(rows).to_have_count(3)
    page.locator(".uppy-StatusBar-actionBtn--upload").click()
    for index in range(3):
        expect(rows.nth(index).locator(".rp-item-percent")).to_have_text("100 %", timeout=60_000)

    # Choosing the project is enough for the name matching to place what it can.
    page.locator("[data-picker-levels]").get_by_label("Project", exact=True).select_option(label="demo")
    by_name = rows.filter(has_text="sq010_sh020_comp_v001.mov")
    expect(by_name.locator(".rp-item-target")).to_contain_text("→ demo / sq010 / sh020 / compositing")
    expect(by_name.locator(".rp-item-target")).to_contain_text("will be v001 of sh020_comp")
    expect(by_name.locator(".rp-item-target")).to_contain_text("rule 1: {sequence}_{shot}_{task}_v{version}")
    by_folder = rows.filter(has_text="sq020_sh030_comp/plate.mov")
    expect(by_folder.locator(".rp-item-target")).to_contain_text("→ demo / sq020 / sh030 / compositing")
    expect(by_folder.locator(".rp-item-target")).to_contain_text("folder")
    ambiguous = rows.filter(has_text="sq010_sh010.mov")
    expect(ambiguous.locator(".rp-item-target")).to_contain_text("Choose the task")
    submit = page.get_by_role("button", name="Publish")
    expect(submit).to_be_disabled()
    expect(page.locator("#publish-submit-hint")).to_contain_text("choose a task for 1 item")

    ambiguous.get_by_label("Task for sq010_sh010.mov").select_option(label="demo / sq010 / sh010 / animation")
    expect(ambiguous.locator(".rp-item-target")).to_contain_text(
        "→ demo / sq010 / sh010 / animation (chosen by you)"
    )
    expect(submit).to_be_enabled()
    submit.click()
    page.wait_for_url(re.compile(r"/batches/\d+/$"), timeout=30_000)

    jobs = PublishJob.objects.order_by("id")
    assert sorted(jobs.values_list("context_path", flat=True)) == [
        "demo / sq010 / sh010 / animation",
        "demo / sq010 / sh020 / compositing",
        "demo / sq020 / sh030 / compositing",
    ]
    assert len({job.batch_id for job in jobs}) == 1
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and set(jobs.values_list("status", flat=True)) - {
        "published",
        "failed",
    }:
        time.sleep(1)
    assert list(jobs.values_list("status", flat=True)) == ["published"] * 3
    # The batch page shows each job's own path.
    page.reload()
    for path in ("sq010 / sh010 / animation", "sq010 / sh020 / compositing", "sq020 / sh030 / compositing"):
        expect(page.locator("main")).to_contain_text(path)
