"""Fixtures for the Playwright tests: Debian's Chromium, a logged-in producer, tiny media files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

# live_server runs Django in a thread while Playwright drives the browser from this (async-looking)
# thread; Django's async-safety guard would refuse ORM calls from the test body without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
PRODUCER_PASSWORD = "producer-password-for-tests"


@pytest.fixture(scope="session", autouse=True)
def upload_bundle() -> Path:
    """static/dist/upload.js, rebuilt when a frontend source is newer (a stale bundle tests old code)."""
    bundle = ROOT / "static" / "dist" / "upload.js"
    sources = [p for p in (ROOT / "frontend" / "src").rglob("*") if p.is_file()]
    built = bundle.stat().st_mtime if bundle.exists() else 0
    if built and all(p.stat().st_mtime <= built for p in sources):
        return bundle
    if not (ROOT / "frontend" / "node_modules").is_dir():
        pytest.fail("static/dist/upload.js is missing or older than frontend/src: run `make frontend`")
    subprocess.run(["npm", "run", "--silent", "build"], cwd=ROOT / "frontend", check=True, timeout=120)
    return bundle


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """A 1-second 64x64 movie, ten 64x64 PNG frames shot.1001.png … shot.1010.png, a text file, a folder."""
    import imageio_ffmpeg
    from factories import make_movie

    folder = tmp_path_factory.mktemp("media")
    make_movie(folder / "comp_v001.mov", size="64x64")
    # One ffmpeg run for all ten frames: ten runs would cost seconds on a busy 2-core machine.
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10", "-frames:v", "10",
            "-start_number", "1001", str(folder / "shot.%04d.png"),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    (folder / "notes.txt").write_text("not media\n")
    # A folder as producers drop it: bg_0001.png … bg_0003.png inside plates/.
    (folder / "plates").mkdir()
    for number in (1, 2, 3):
        shutil.copy(folder / f"shot.{1000 + number}.png", folder / "plates" / f"bg_{number:04d}.png")
    return folder


@pytest.fixture
def ftrack_producer(transactional_db, settings, ftrack_server):
    """A portal producer whose verified ftrack credential is the dev server's demo `producer`."""
    from factories import make_user

    from ftrack_devserver.seed import DEMO_USERS
    from publishing.vault.credentials import credential_save

    settings.FTRACK_SERVER = ftrack_server.url
    user = make_user("pat.producer", role="producer", password=PRODUCER_PASSWORD, first_name="Pat")
    # The real service: the key is verified against the dev server before it is stored.
    credential_save(user=user, api_user="producer", api_key=DEMO_USERS["producer"])
    return user


@pytest.fixture
def producer_page(page, live_server, ftrack_producer):
    """The browser, logged in through the real login form as the producer."""
    from django.urls import reverse

    page.set_default_timeout(15_000)
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill(ftrack_producer.username)
    page.get_by_label("Password").fill(PRODUCER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return page
