"""The media probe: real files made with ffmpeg, alone and at the end of a real tus upload."""

from __future__ import annotations

import os

import pytest
from factories import make_movie, make_png
from tusclient import client as tus_client

from publishing.models import Upload
from publishing.uploads.probe import NO_PICTURE, UNREADABLE, probe_media


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe-media")
    make_movie(folder / "shot.mov")
    make_movie(folder / "shot.mp4", rate=24, size="80x48")
    make_png(folder / "frame.png")
    (folder / "garbage.mov").write_bytes(os.urandom(64 * 1024))
    (folder / "garbage.exr").write_bytes(b"\x76\x2f\x31\x01" + os.urandom(4096))  # EXR magic, then noise
    # A real movie cut in half: headers promise frames the file no longer has.
    whole = (folder / "shot.mov").read_bytes()
    (folder / "truncated.mov").write_bytes(whole[: len(whole) // 3])
    return folder


def test_probe_movie_reports_container_codec_size_rate_frames_duration(media_dir):
    probe = probe_media(media_dir / "shot.mov")
    assert probe.ok
    assert probe.kind == "movie"
    info = probe.info
    assert "mov" in info["container"]
    assert info["video_codec"] == "h264"
    assert (info["width"], info["height"]) == (64, 64)
    assert info["fps"] == 25.0
    assert info["frame_count"] == 25
    assert info["duration"] == pytest.approx(1.0, abs=0.05)


def test_probe_other_movie_size_and_rate(media_dir):
    info = probe_media(media_dir / "shot.mp4").info
    assert (info["width"], info["height"], info["fps"], info["frame_count"]) == (80, 48, 24.0, 24)


def test_probe_png_is_a_still_image(media_dir):
    probe = probe_media(media_dir / "frame.png")
    assert probe.ok
    assert probe.kind == "image"
    assert probe.info["video_codec"] == "png"
    assert (probe.info["width"], probe.info["height"]) == (64, 48)
    assert probe.info["frame_count"] == 1


@pytest.mark.parametrize("name", ["garbage.mov", "garbage.exr", "truncated.mov"])
def test_probe_garbage_is_rejected_with_a_plain_reason(media_dir, name):
    probe = probe_media(media_dir / name)
    assert not probe.ok
    assert probe.kind == ""
    assert probe.reject_reason == UNREADABLE


def test_probe_file_without_picture_is_rejected(tmp_path):
    import subprocess

    import imageio_ffmpeg

    sound = tmp_path / "tone.mp4"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=duration=0.5",
            str(sound),
        ],
        check=True,
    )
    assert probe_media(sound).reject_reason == NO_PICTURE


@pytest.mark.parametrize(
    ("name", "state", "kind"),
    [("shot.mov", "ready", "movie"), ("frame.png", "ready", "image"), ("garbage.mov", "rejected", "")],
)
def test_upload_is_probed_on_completion(tus_endpoint, tus_headers, producer, media_dir, name, state, kind):
    path = media_dir / name
    uploader = tus_client.TusClient(tus_endpoint, headers=tus_headers(producer)).uploader(
        str(path), metadata={"filename": name}
    )
    uploader.upload()
    upload = Upload.objects.get(pk=uploader.url.rsplit("/", 1)[1])
    assert upload.state == state
    assert upload.kind == kind
    if state == "ready":
        assert upload.probe["width"] == 64
        assert upload.reject_reason == ""
    else:
        assert "damaged or the format is unknown" in upload.reject_reason
