"""The upload page in Chromium against the real portal (live_server), tus endpoint and ftrack dev server.

1. A producer drops a movie and a 10-frame PNG sequence; the frames become one item.
2. Both items upload to 100 % over tus.
3. The task is found with the typeahead search and picked through the project → task cascade.
4. A refusal from the server is shown next to the item; fixed, publishing lands on the batch page
   with two queued jobs.
"""

from __future__ import annotations

import os
import re
import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/review-portal-upload-page.png"


def _file_input(page):
    # Dashboard renders one input for files and one (webkitdirectory) for folders; we want the first.
    return page.locator("#uppy-dashboard input[type=file]:not([webkitdirectory])").first


def _uploads_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if "/api/uploads/" in request.url else None)
    return seen


def _item(page, kind: str):
    return page.locator(f"#upload-items li[data-kind={kind}]")


def test_upload_flow_publishes_movie_and_sequence(producer_page, live_server, media_dir):
    page = producer_page
    page.goto(live_server.url + reverse("publishing:upload"))
    expect(page.locator("#context-level-0 option", has_text="demo")).to_have_count(1)
    expect(page.locator("#upload-restrictions")).to_contain_text(".mov")
    submit = page.get_by_role("button", name="Publish")
    expect(submit).to_be_disabled()

    frames = sorted(media_dir.glob("shot.*.png"))
    assert len(frames) == 10
    _file_input(page).set_input_files([media_dir / "comp_v001.mov", *frames])

    # 1. Eleven files, two items: the frames are one sequence with its range.
    expect(page.locator("#upload-items > li")).to_have_count(2)
    sequence = _item(page, "sequence")
    expect(sequence).to_contain_text("shot.####.png — frames 1001–1010")
    expect(sequence).not_to_contain_text("missing")
    expect(sequence.get_by_label("Asset name")).to_have_value("shot")
    expect(_item(page, "movie").get_by_label("Asset name")).to_have_value("comp_v001")

    # 2. Upload over tus; the submit stays disabled until every file is in and a task is chosen.
    page.locator(".uppy-StatusBar-actionBtn--upload").click()
    expect(sequence.locator(".rp-item-percent")).to_have_text("100 %", timeout=60_000)
    expect(_item(page, "movie").locator(".rp-item-percent")).to_have_text("100 %", timeout=60_000)
    expect(page.locator("#upload-status")).to_contain_text("All files uploaded")
    expect(submit).to_be_disabled()
    expect(page.locator("#publish-submit-hint")).to_contain_text("choose a task")

    # 3a. Typeahead: the search lists matching tasks with their path; Escape closes, a click picks.
    search = page.get_by_role("combobox", name=re.compile("Search a task"))
    search.fill("compositing")
    results = page.get_by_role("listbox", name="Matching tasks and shots")
    expect(results).to_be_visible()
    search.press("ArrowDown")
    expect(search).to_have_attribute("aria-activedescendant", "context-result-0")
    search.press("Escape")
    expect(results).to_be_hidden()
    search.fill("composit")
    results.get_by_role("option").filter(has_text=re.compile(r"sq010 / sh010 / compositing")).click()
    expect(page.locator("[data-picker-chosen]")).to_have_text(
        "Publishing to demo / sq010 / sh010 / compositing"
    )
    # The project select follows the pick instead of still asking for a project.
    project_select = page.locator("[data-picker-levels]").get_by_label("Project", exact=True)
    expect(project_select.locator("option:checked")).to_have_text("demo")
    expect(submit).to_be_enabled()

    # 3b. The cascade: project → sequence → shot → task.
    levels = page.locator("[data-picker-levels]")
    levels.get_by_label("Project", exact=True).select_option(label="demo")
    levels.get_by_label("Sequence", exact=True).select_option(label="sq010")
    levels.get_by_label("Shot", exact=True).select_option(label="sh010")
    expect(page.locator("[data-picker-chosen]")).to_contain_text("is a Shot: choose one of its tasks")
    expect(submit).to_be_disabled()
    levels.get_by_label("Task", exact=True).select_option(label="compositing")
    expect(page.locator("[data-picker-chosen]")).to_have_text(
        "Publishing to demo / sq010 / sh010 / compositing"
    )

    expect(page.get_by_label("Asset type")).to_have_value("Upload")
    page.get_by_label("Comment").fill("First pass, please check the edges.")
    page.get_by_label("Filter ftrack users").fill("ana")
    page.locator("#reviewer-list li:visible input").first.check()
    expect(page.locator("[data-reviewer-summary]")).to_contain_text("Reviewers:")
    expect(page.get_by_label(re.compile("Encode for review"))).to_be_checked()
    page.screenshot(path=SCREENSHOT, full_page=True)

    # 4. A server-side refusal (400 with item_errors) shows next to the item it is about.
    movie_name = _item(page, "movie").get_by_label("Asset name")
    movie_name.fill("  ")
    submit.click()
    expect(_item(page, "movie").locator(".rp-item-error")).to_have_text("Give the asset a name.")
    expect(movie_name).to_have_attribute("aria-invalid", "true")
    expect(_item(page, "sequence").locator(".rp-item-error")).to_be_hidden()
    expect(page.locator("#publish-form-error")).to_contain_text("correct the highlighted fields")
    movie_name.fill("comp_v001")

    # 5. Publish → the batch page, one queued job per item.
    expect(submit).to_be_enabled()
    submit.click()
    page.wait_for_url(re.compile(r"/batches?/\d+"), timeout=30_000)
    jobs = page.get_by_role("list", name="Items of this batch").get_by_role("listitem")
    expect(jobs).to_have_count(2)
    expect(jobs.filter(has_text="Queued")).to_have_count(2)
    expect(jobs.filter(has_text="shot.%04d.png · frames 1001–1010 (10 files)")).to_have_count(1)
    expect(jobs.filter(has_text="comp_v001.mov")).to_have_count(1)
    expect(page.locator(".facts")).to_contain_text("First pass, please check the edges.")
    expect(page.locator(".facts")).to_contain_text("Ana")

    from publishing.models import PublishBatch

    batch = PublishBatch.objects.get()
    kinds = sorted(batch.jobs.values_list("kind", "asset_name", "frame_start", "frame_end"))
    assert kinds == [("movie", "comp_v001", None, None), ("sequence", "shot", 1001, 1010)]
    sequence_job = batch.jobs.get(kind="sequence")
    assert sequence_job.sequence_pattern == "shot.%04d.png"
    assert sequence_job.uploads.count() == 10
    # tus metadata as docs/internals.md promises: filename and filetype, no "null" relativePath.
    frame = sequence_job.uploads.get(filename="shot.1001.png")
    assert frame.metadata["filename"] == "shot.1001.png"
    assert frame.metadata["filetype"] == "image/png"
    assert "relativePath" not in frame.metadata


def test_upload_page_shows_gaps_and_refuses_wrong_types_before_sending(producer_page, live_server, media_dir):
    page = producer_page
    sent = _uploads_requests(page)
    page.goto(live_server.url + reverse("publishing:upload"))
    expect(page.locator("#context-level-0 option", has_text="demo")).to_have_count(1)

    # A text file is refused on the spot, with the allowed types in the message.
    _file_input(page).set_input_files(media_dir / "notes.txt")
    expect(page.locator("#upload-status")).to_contain_text("notes.txt was refused")
    expect(page.locator("#upload-status")).to_contain_text(".mov")
    expect(page.locator("#upload-items > li")).to_have_count(0)

    # A sequence with holes: the gaps are listed before anything is uploaded.
    skipped = ("shot.1004.png", "shot.1007.png")
    frames = [f for f in sorted(media_dir.glob("shot.*.png")) if f.name not in skipped]
    _file_input(page).set_input_files(frames)
    sequence = _item(page, "sequence")
    expect(page.locator("#upload-items > li")).to_have_count(1)
    expect(sequence).to_contain_text("shot.####.png — frames 1001–1010, 2 missing: 1004, 1007")
    expect(sequence.locator(".rp-item-gap")).to_contain_text("2 frames missing")
    expect(sequence.locator(".rp-item-percent")).to_have_text("0 %")

    # Refused again when added to a non-empty list ("Add more"), and the list is untouched.
    page.get_by_role("button", name="Add more").click()
    _file_input(page).set_input_files([media_dir / "notes.txt", media_dir / "comp_v001.mov"])
    expect(page.locator("#upload-status")).to_contain_text("notes.txt was refused")
    expect(page.locator("#upload-items > li")).to_have_count(2)

    # A dropped folder keeps its path: its frames become one item labelled with the folder.
    page.get_by_role("button", name="Add more").click()
    page.locator("#uppy-dashboard input[type=file][webkitdirectory]").first.set_input_files(
        media_dir / "plates"
    )
    folder_item = page.locator("#upload-items li", has_text="plates/bg_####.png")
    expect(folder_item).to_contain_text("plates/bg_####.png — frames 1–3")
    expect(folder_item.get_by_label("Asset name")).to_have_value("bg")
    expect(page.locator("#upload-items > li")).to_have_count(3)
    expect(page.get_by_role("button", name="Publish")).to_be_disabled()
    assert sent == [], f"nothing may be sent before the producer starts the upload: {sent}"


# What Golden Retriever has stored in IndexedDB for this page's Uppy (its id is the per-user
# `restoreKey` of the page's upload-config): one entry per file of its snapshot, whether the file is complete and whether its bytes are stored; null before the first save.
# Both are written asynchronously after the state changed: the snapshot on a 500 ms throttle, the
# blobs one after another (and deleted once a file has uploaded). A reload before they are committed
# restores an older snapshot: a file saved without its bytes comes back as a "ghost" (Uppy disables
# "Upload" until it is added again), a list saved before its last file completed comes back instead
# of being forgotten. So the test polls this before each reload rather than reloading at a guessed
# moment, with page.evaluate: page.wait_for_function takes the Promise an async function returns as
# truthy and so would not wait at all.
_STORED_FOR_RESTORE = """async () => {
  const key = JSON.parse(document.getElementById('upload-config').textContent).restoreKey;
  const db = await new Promise((resolve) => {
    const request = indexedDB.open('uppy-blobs');
    // Never create the database ourselves: that would be a v1 database Uppy must upgrade.
    request.onupgradeneeded = (event) => event.target.transaction.abort();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
  });
  if (!db) return null;
  try {
    if (!db.objectStoreNames.contains('files') || !db.objectStoreNames.contains('metadata')) return null;
    const read = (request) => new Promise((resolve) => { request.onsuccess = () => resolve(request.result); });
    const tx = db.transaction(['files', 'metadata']);
    const blobs = await read(tx.objectStore('files').index('store').getAll(key));
    const record = await read(tx.objectStore('metadata').get(key));
    if (!record) return null;
    const stored = new Set(blobs.map((blob) => blob.fileID));
    return Object.values(JSON.parse(record.metadata).files || {}).map((file) => ({
      complete: Boolean(file.progress.complete && !file.error),
      bytes: stored.has(file.id),
    }));
  } finally {
    db.close();
  }
}"""


def _wait_until_stored(page, ready, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready(page.evaluate(_STORED_FOR_RESTORE)):
        if time.monotonic() > deadline:
            pytest.fail(f"Golden Retriever did not store {what} within {timeout} s")
        page.wait_for_timeout(100)


def test_upload_page_restores_dropped_files_after_reload(producer_page, live_server, media_dir):
    page = producer_page
    page.goto(live_server.url + reverse("publishing:upload"))
    files = [media_dir / "comp_v001.mov", *sorted(media_dir.glob("shot.*.png"))[:3]]
    _file_input(page).set_input_files(files)
    expect(page.locator("#upload-items > li")).to_have_count(2)
    _wait_until_stored(
        page,
        lambda stored: stored is not None and len(stored) == len(files) and all(f["bytes"] for f in stored),
        f"the list of {len(files)} files and their bytes",
    )

    page.reload()
    # Every file came back with its bytes: no ghost asks to be added again, "Upload" is enabled.
    expect(page.locator("#upload-status")).to_have_text("Restored your last upload.")
    expect(page.locator("#upload-items > li")).to_have_count(2)
    expect(_item(page, "sequence")).to_contain_text("shot.####.png — frames 1001–1003")

    # The restored files still upload (their bytes came back from IndexedDB).
    expect(page.locator(".uppy-StatusBar-actionBtn--upload")).to_be_enabled()
    page.locator(".uppy-StatusBar-actionBtn--upload").click()
    expect(page.locator("#upload-status")).to_contain_text("All files uploaded", timeout=60_000)
    expect(_item(page, "sequence").locator(".rp-item-percent")).to_have_text("100 %")
    expect(_item(page, "movie").locator(".rp-item-percent")).to_have_text("100 %")

    # Golden Retriever forgets a fully uploaded list; re-adding the files finishes them without
    # sending their bytes again (tus resumes from the stored fingerprint: HEAD only).
    _wait_until_stored(
        page, lambda stored: stored is None or all(f["complete"] for f in stored), "the completed list"
    )
    page.reload()
    expect(page.locator("#context-level-0 option", has_text="demo")).to_have_count(1)
    expect(page.locator("#upload-items > li")).to_have_count(0)
    methods = []
    page.on("request", lambda r: methods.append(r.method) if "/api/uploads/" in r.url else None)
    _file_input(page).set_input_files(files)
    page.locator(".uppy-StatusBar-actionBtn--upload").click()
    expect(page.locator("#upload-status")).to_contain_text("All files uploaded", timeout=60_000)
    expect(_item(page, "movie").locator(".rp-item-percent")).to_have_text("100 %")
    assert methods and set(methods) == {"HEAD"}, methods


def test_unfinished_upload_says_until_when_it_is_kept(producer_page, live_server, settings, tmp_path):
    """Issue 3: the retention is on the page, and a paused upload says until when its part is kept."""
    settings.UPLOAD_CHUNK_SIZE = 256 * 1024
    big = tmp_path / "long_take_v001.mov"
    big.write_bytes(os.urandom(2 * 1024 * 1024))  # eight chunks
    page = producer_page
    # The first chunk goes through; the next ones hang, so the upload is caught mid-way.
    patches: list[str] = []

    def hold_after_first_chunk(route):
        if route.request.method != "PATCH":
            return route.continue_()
        patches.append(route.request.url)
        if len(patches) == 1:
            return route.continue_()
        return None  # never answered: the request stays pending until Uppy aborts it

    page.route("**/api/uploads/**", hold_after_first_chunk)
    page.goto(live_server.url + reverse("publishing:upload"))
    expect(page.locator("#upload-expiry")).to_have_text(
        "Unfinished uploads are kept for 24 hours, then removed."
    )
    _file_input(page).set_input_files(big)
    movie = _item(page, "movie")
    expiry = movie.locator(".rp-item-expiry")
    expect(expiry).to_be_hidden()

    page.locator(".uppy-StatusBar-actionBtn--upload").click()
    expect(movie.locator(".rp-item-percent")).to_have_text("12 %")
    # While it is being sent, no expiry is shown (each chunk moves it on anyway).
    expect(expiry).to_be_hidden()
    page.get_by_role("button", name="Pause", exact=True).click()
    # Paused: kept UPLOAD_EXPIRY (24 h) after the last chunk, i.e. tomorrow at about this time.
    expect(expiry).to_be_visible()
    expect(expiry).to_have_text(re.compile(r"^Kept until \d\d:\d\d tomorrow$"))

    from publishing.models import Upload

    upload = Upload.objects.get(filename="long_take_v001.mov")
    shown = page.evaluate(
        "iso => { const d = new Date(iso); return `${String(d.getHours()).padStart(2, '0')}:"
        "${String(d.getMinutes()).padStart(2, '0')}`; }",
        upload.expires_at.isoformat(),
    )
    expect(expiry).to_have_text(f"Kept until {shown} tomorrow")

    # After a reload the restored, unfinished upload still says it (expires_at from the server).
    _wait_until_stored(page, lambda stored: stored and stored[0]["bytes"], "the paused file and its bytes")
    page.wait_for_timeout(700)  # the throttled snapshot holds the tus upload URL by now
    page.reload()
    expect(page.locator("#upload-status")).to_contain_text("Restored your last upload")
    expect(_item(page, "movie").locator(".rp-item-expiry")).to_have_text(f"Kept until {shown} tomorrow")


def _restore_key(page) -> str:
    return page.evaluate("() => JSON.parse(document.getElementById('upload-config').textContent).restoreKey")


# Both producers of the shared-profile test log in with this (A's is reset once A has logged out).
_PASSWORD = "shared-profile-password-for-tests"


def _log_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def _log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def test_restored_list_belongs_to_the_producer_who_dropped_it(
    producer_page, live_server, media_dir, ftrack_producer
):
    """Two producers sharing one browser profile never get each other's file list restored."""
    from factories import make_user

    from ftrack_devserver.seed import DEMO_USERS
    from publishing.vault.credentials import credential_save

    other = make_user("sam.producer", role="producer", password=_PASSWORD, first_name="Sam")
    credential_save(user=other, api_user="producer", api_key=DEMO_USERS["producer"])

    # Producer A drops files; Golden Retriever stores them under A's own key.
    page = producer_page
    upload_url = live_server.url + reverse("publishing:upload")
    page.goto(upload_url)
    key_a = _restore_key(page)
    assert key_a == f"review-portal-upload-{ftrack_producer.pk}"
    files = [media_dir / "comp_v001.mov", *sorted(media_dir.glob("shot.*.png"))[:3]]
    _file_input(page).set_input_files(files)
    expect(page.locator("#upload-items > li")).to_have_count(2)
    _wait_until_stored(
        page,
        lambda stored: stored is not None and len(stored) == len(files) and all(f["bytes"] for f in stored),
        f"the list of {len(files)} files and their bytes",
    )
    _log_out(page)
    ftrack_producer.set_password(_PASSWORD)  # only now: it would have ended A's session
    ftrack_producer.save()

    # Producer B, same browser context: a key of their own and nothing restored.
    _log_in(page, live_server, other.username)
    page.goto(upload_url)
    expect(page.locator("#context-level-0 option", has_text="demo")).to_have_count(1)
    assert _restore_key(page) == f"review-portal-upload-{other.pk}" != key_a
    assert page.evaluate(_STORED_FOR_RESTORE) is None
    page.wait_for_timeout(500)  # Golden Retriever restores asynchronously: give it the time to
    expect(page.locator("#upload-items > li")).to_have_count(0)
    expect(page.locator("#upload-status")).not_to_contain_text("Restored")
    expect(page.locator(".uppy-Dashboard-Item")).to_have_count(0)
    _log_out(page)

    # Producer A again: A's list comes back.
    _log_in(page, live_server, ftrack_producer.username)
    page.goto(upload_url)
    expect(page.locator("#upload-status")).to_have_text("Restored your last upload.")
    expect(page.locator("#upload-items > li")).to_have_count(2)
    expect(_item(page, "sequence")).to_contain_text("shot.####.png — frames 1001–1003")
    expect(_item(page, "movie").get_by_label("Asset name")).to_have_value("comp_v001")
