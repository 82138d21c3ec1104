"""encoder.encode on tiny media generated with the imageio-ffmpeg binary, checked with PyAV."""

from __future__ import annotations

import json
import os
import subprocess
import time

import av
import pytest
import requests

from ftrack_devserver import encoder


def _ffmpeg(*args: str) -> None:
    subprocess.run([encoder.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("media")
    paths = {
        "movie": root / "shot.mov",
        "odd": root / "odd.mov",
        "tall": root / "tall.mp4",
        "png": root / "still.png",
        "exr": root / "still.exr",
        "wav": root / "sound.wav",
    }
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=64x64:rate=25:duration=1",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
        "-c:v", "mpeg4", "-c:a", "pcm_s16le", "-shortest", str(paths["movie"]),
    )  # fmt: skip
    _ffmpeg(*"-f lavfi -i testsrc=size=67x35:rate=24:duration=0.5 -c:v mpeg4".split(), str(paths["odd"]))
    _ffmpeg(*"-f lavfi -i testsrc=size=720x1280:rate=25 -frames:v 2 -c:v mpeg4".split(), str(paths["tall"]))
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=80x48", "-frames:v", "1", str(paths["png"]))
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=32x32", "-frames:v", "1", "-pix_fmt", "gbrpf32le", "-c:v", "exr",
        str(paths["exr"]),
    )  # fmt: skip
    _ffmpeg("-f", "lavfi", "-i", "sine=duration=0.2", str(paths["wav"]))
    return {name: str(path) for name, path in paths.items()}


def _decoded_frames(path: str) -> list:
    with av.open(path) as container:
        return [frame.reformat(format="gray") for frame in container.decode(video=0)]


def test_movie_becomes_browser_playable_h264_with_ftrack_frame_range(media, tmp_path):
    result = encoder.encode(media["movie"], str(tmp_path))

    assert result.mp4_path and os.path.dirname(result.mp4_path) == str(tmp_path)
    with av.open(result.mp4_path) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        assert video.codec_context.pix_fmt == "yuv420p"
        assert container.streams.audio and container.streams.audio[0].codec_context.name == "aac"
    frames = _decoded_frames(result.mp4_path)
    assert len(frames) == 25
    assert (frames[0].width, frames[0].height) == (64, 64)
    # ftrack's ftr_meta convention: frameIn 0, frameOut = frame count.
    assert (result.frame_in, result.frame_out, result.frame_rate) == (0, 25, 25.0)
    assert (result.width, result.height) == (64, 64)
    # +faststart: the index (moov) precedes the media data so playback starts before the download ends.
    data = open(result.mp4_path, "rb").read()
    assert 0 < data.index(b"moov") < data.index(b"mdat")


def test_movie_thumbnail_is_a_jpeg_of_a_middle_frame(media, tmp_path):
    result = encoder.encode(media["movie"], str(tmp_path))
    with av.open(result.jpg_path) as container:
        assert container.streams.video[0].codec_context.name == "mjpeg"
    (thumb,) = _decoded_frames(result.jpg_path)
    assert (thumb.width, thumb.height) == (result.image_width, result.image_height) == (64, 64)
    # testsrc draws a running frame counter, so the first and the middle frame differ.
    first = bytes(_decoded_frames(result.mp4_path)[0].planes[0])
    assert bytes(thumb.planes[0]) != first


def test_odd_sizes_become_even_and_tall_movies_are_capped_at_1080_lines(media, tmp_path):
    odd = encoder.encode(media["odd"], str(tmp_path / "odd"))
    assert odd.width % 2 == 0 and odd.height % 2 == 0
    assert (odd.width, odd.height) == (66, 34)  # 67x35 keeps its aspect on 34 lines
    assert odd.frame_out == 12 and odd.frame_rate == 24.0

    tall = encoder.encode(media["tall"], str(tmp_path / "tall"))
    assert tall.height == 1080 and tall.width == 608  # 720x1280 scaled by 1080/1280, rounded to even
    (frame, *_) = _decoded_frames(tall.mp4_path)
    assert (frame.width, frame.height) == (608, 1080)


@pytest.mark.parametrize("name, size", [("png", (80, 48)), ("exr", (32, 32))])
def test_still_gives_a_jpeg_and_no_movie(media, tmp_path, name, size):
    result = encoder.encode(media[name], str(tmp_path))
    assert result.mp4_path is None
    assert not any(f.endswith(".mp4") for f in os.listdir(tmp_path))
    (image,) = _decoded_frames(result.jpg_path)
    assert (image.width, image.height) == size == (result.width, result.height)
    assert (result.frame_in, result.frame_out, result.frame_rate) == (0, 1, 0.0)
    pixels = bytes(image.planes[0])
    assert 40 < sum(pixels) / len(pixels) < 220  # not black: EXR's linear light was converted


def test_corrupt_movie_raises_plain_reason(tmp_path):
    corrupt = tmp_path / "broken.mov"
    corrupt.write_bytes(os.urandom(20_000))
    with pytest.raises(encoder.EncodeError) as error:
        encoder.encode(str(corrupt), str(tmp_path / "out"))
    reason = error.value.reason
    assert reason == str(error.value) == "The file could not be decoded as a movie or an image."
    assert not os.path.exists(tmp_path / "out" / "review.mp4")


def test_truncated_movie_and_sound_only_file_are_refused(media, tmp_path):
    truncated = tmp_path / "cut.mov"
    truncated.write_bytes(open(media["movie"], "rb").read()[:3000])
    for path in (str(truncated), media["wav"], str(tmp_path / "missing.mov")):
        with pytest.raises(encoder.EncodeError) as error:
            encoder.encode(path, str(tmp_path / "out"))
        assert "{" not in error.value.reason and "}" not in error.value.reason
        assert error.value.reason.endswith(".")


def test_ffmpeg_failure_becomes_encode_error(media, tmp_path):
    with pytest.raises(encoder.EncodeError) as error:
        encoder.encode(media["movie"], str(tmp_path), ffmpeg="/bin/false")
    assert error.value.reason.startswith("The encoder could not convert the file")


# -- end to end: ftrack_api's encode_media against the dev server ---------------------------------


def _wait_for_job(session, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = session.query(f'select status, data from Job where id is "{job_id}"').one()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError("the encode job did not finish")


def _new_version(session, asset_name):
    task = session.query(
        'Task where name is "compositing" and parent.name is "sh010" and parent.parent.name is "sq010"'
    ).first()
    asset_type = session.query('AssetType where name is "Upload"').first()
    asset = session.create("Asset", {"name": asset_name, "parent": task["parent"], "type": asset_type})
    version = session.create("AssetVersion", {"asset": asset, "task": task})
    session.commit()
    return version


def test_devserver_encode_media_gives_playable_mp4_with_ftr_meta_and_thumbnail(make_session, media, tmp_path):
    session = make_session("producer")
    version = _new_version(session, "encode-e2e")
    job = version.encode_media(media["movie"])
    job = _wait_for_job(session, job["id"])
    assert job["status"] == "done", job["data"]
    outputs = {o["format"]: o["component_id"] for o in json.loads(job["data"])["output"]}
    assert set(outputs) == {"video/mp4", "image/jpeg"}

    mp4 = session.query(
        f'select name, metadata, version_id from FileComponent where id is "{outputs["video/mp4"]}"'
    ).one()
    assert mp4["name"] == "ftrackreview-mp4" and mp4["version_id"] == version["id"]
    meta = json.loads(mp4["metadata"]["ftr_meta"])
    assert meta == {"frameIn": 0, "frameOut": 25, "frameRate": 25.0, "width": 64, "height": 64}

    server_location = session.query('Location where name is "ftrack.server"').one()
    download = requests.get(server_location.get_url(mp4), timeout=30)
    assert download.status_code == 200
    (tmp_path / "got.mp4").write_bytes(download.content)
    assert len(_decoded_frames(str(tmp_path / "got.mp4"))) == 25

    session.populate(version, "thumbnail_id")
    assert version["thumbnail_id"] == outputs["image/jpeg"]


def test_devserver_encode_media_of_a_corrupt_file_fails_the_job_with_a_reason(make_session, tmp_path):
    corrupt = tmp_path / "broken.mov"
    corrupt.write_bytes(os.urandom(30_000))
    session = make_session("producer")
    version = _new_version(session, "encode-e2e-broken")
    job = _wait_for_job(session, version.encode_media(str(corrupt))["id"])
    assert job["status"] == "failed"
    assert json.loads(job["data"])["reason"] == "The file could not be decoded as a movie or an image."
