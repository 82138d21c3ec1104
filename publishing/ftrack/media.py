"""The worker's own media work with ffmpeg: thumbnails, JPEG stills, review movies of sequences.

ffmpeg reads the staging files where they are: a local path, or a short-lived signed URL when
staging is S3. Outputs go to a temporary folder the caller owns.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import imageio_ffmpeg
from django.core.files.storage import storages

from publishing.core.errors import MediaUndecodable

BROWSER_STILLS = {".jpg", ".jpeg", ".png"}
BROWSER_MOVIES = {".mp4", ".m4v"}
FFMPEG_TIMEOUT = 3600


def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def staging_input(storage_path: str) -> str:
    """What ffmpeg should open for a staging file: its local path, else a signed URL."""
    storage = storages["staging"]
    try:
        return storage.path(storage_path)
    except NotImplementedError:
        # S3 (django-storages) signs the URL; its url() takes how long the signature lasts.
        if hasattr(storage, "bucket"):
            return storage.url(storage_path, expire=3600)  # type: ignore[call-arg]
        return storage.url(storage_path)


Tick = Callable[[], None] | None


def run_ffmpeg(args: list[str], *, what: str, on_tick: Tick = None) -> None:
    """Run ffmpeg; ``on_tick`` is called about once a second so a long encode keeps the job's heartbeat."""
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args]
    tick = on_tick
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        deadline = time.monotonic() + FFMPEG_TIMEOUT
        while True:
            try:
                proc.wait(timeout=1.0)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    proc.kill()
                    proc.wait()
                    raise MediaUndecodable(f"{what} took too long") from None
                if tick:
                    tick()
        if proc.returncode != 0:
            errors.seek(0)
            text = errors.read().decode("utf-8", "replace").strip()
            last = (text.splitlines() or ["ffmpeg failed"])[-1]
            raise MediaUndecodable(f"{what}: {last[:200]}")


def is_browser_movie(filename: str, probe: dict) -> bool:
    return (
        Path(filename).suffix.lower() in BROWSER_MOVIES
        and probe.get("video_codec") == "h264"
        and probe.get("pix_fmt") in (None, "yuv420p", "yuvj420p")
    )


def is_browser_still(filename: str) -> bool:
    return Path(filename).suffix.lower() in BROWSER_STILLS


def make_thumbnail(source: str, workdir: str, *, at_seconds: float = 0.0, on_tick: Tick = None) -> str:
    out = os.path.join(workdir, "thumbnail.jpg")
    seek = ["-ss", f"{at_seconds:.3f}"] if at_seconds > 0 else []
    run_ffmpeg(
        [*seek, "-i", source, "-frames:v", "1", "-vf", "scale='min(1280,iw)':-2", "-q:v", "3", out],
        what="making the thumbnail",
        on_tick=on_tick,
    )
    return out


def make_jpeg(source: str, workdir: str, *, on_tick: Tick = None) -> str:
    out = os.path.join(workdir, "review.jpg")
    run_ffmpeg(
        ["-i", source, "-frames:v", "1", "-q:v", "2", out],
        what="converting the still for review",
        on_tick=on_tick,
    )
    return out


def make_sequence_movie(
    frame_files: list[tuple[int, str]], fps: float, workdir: str, *, on_tick: Tick = None
) -> str:
    """H.264 MP4 of the frames in order at ``fps``; frames are linked (not copied) when local."""
    frames_dir = Path(workdir) / "frames"
    frames_dir.mkdir()
    ext = Path(frame_files[0][1]).suffix.lower() or ".png"
    for index, (_frame, source) in enumerate(frame_files):
        target = frames_dir / f"f{index:07d}{ext}"
        if os.path.exists(source):
            os.symlink(os.path.abspath(source), target)
        else:  # remote staging: fetch this one frame (the review movie is derived data anyway)
            _download(source, target)
    out = os.path.join(workdir, "review.mp4")
    run_ffmpeg(
        [
            "-framerate",
            f"{fps:g}",
            "-start_number",
            "0",
            "-i",
            str(frames_dir / f"f%07d{ext}"),
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-vf",
            "scale=trunc(iw/2)*2:trunc(ih/2)*2",
            "-r",
            f"{fps:g}",
            "-movflags",
            "+faststart",
            out,
        ],
        what="building the review movie of the sequence",
        on_tick=on_tick,
    )
    return out


def _download(url: str, target: Path) -> None:
    import requests

    with requests.get(url, stream=True, timeout=120) as response, open(target, "wb") as fh:
        response.raise_for_status()
        for block in response.iter_content(1024 * 1024):
            fh.write(block)


def workdir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="portal-publish-")
