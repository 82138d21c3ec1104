"""Encode uploaded media for web review, like ftrack's encode_media does.

A movie becomes an H.264 MP4 (yuv420p, even dimensions, at most 1080 lines, ``+faststart``
so a browser can start playing before the download ends, AAC audio when the source has
sound) plus a JPEG thumbnail taken from the middle frame. A still image (png, jpg, exr,
tif, dpx...) becomes a JPEG only: ``mp4_path`` is None.

Frame numbering follows ftrack's ``ftr_meta``: ``frame_in`` is 0 and ``frame_out`` is the
number of frames in the MP4 (so ``frame_out - frame_in`` is the frame count). For a still,
``frame_in`` 0, ``frame_out`` 1 and ``frame_rate`` 0.0.

``width``/``height`` are the size of the review media (the MP4 for a movie, the JPEG for a
still); ``image_width``/``image_height`` are the JPEG's.

The ffmpeg binary comes from the imageio-ffmpeg wheel; probing uses PyAV.
"""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass
from fractions import Fraction

import av

logger = logging.getLogger(__name__)

# Height cap of ftrack's ftrackreview-mp4 (the 1080p review size).
MAX_HEIGHT = 1080
# Formats PyAV reports for single images (the image2 demuxer and the *_pipe probes).
STILL_FORMATS = {
    "image2",
    "png_pipe",
    "jpeg_pipe",
    "tiff_pipe",
    "exr_pipe",
    "dpx_pipe",
    "bmp_pipe",
    "webp_pipe",
}
STILL_EXTENSIONS = {".png", ".jpg", ".jpeg", ".exr", ".tif", ".tiff", ".dpx", ".bmp", ".tga", ".webp"}
# Scale to at most MAX_HEIGHT lines keeping the aspect ratio, both sides even (yuv420p needs it).
SCALE_FILTER = f"scale=-2:'trunc(min(ih,{MAX_HEIGHT})/2)*2',setsar=1"
# EXR pixels are scene-linear; without this the JPEG looks far too dark.
EXR_FILTER = "zscale=tin=linear:t=iec61966-2-1,"
# One frame, good quality (2-31, lower is better), written as a single image file.
JPEG_OPTIONS = ("-frames:v", "1", "-q:v", "3", "-update", "1")
ENCODE_TIMEOUT = 3600


class EncodeError(Exception):
    """The media could not be decoded or encoded; ``reason`` is a plain sentence without braces."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class EncodeResult:
    mp4_path: str | None
    jpg_path: str
    frame_in: int
    frame_out: int
    frame_rate: float
    width: int
    height: int
    image_width: int
    image_height: int


@dataclass(frozen=True)
class _Probe:
    still: bool
    frames: int
    frame_rate: float
    duration: float
    has_audio: bool


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def encode(src_path: str, out_dir: str, *, ffmpeg: str | None = None) -> EncodeResult:
    """Encode ``src_path`` into ``out_dir`` (``review.mp4`` and ``thumbnail.jpg``)."""
    ffmpeg = ffmpeg or ffmpeg_exe()
    os.makedirs(out_dir, exist_ok=True)
    probe = _probe(src_path)
    jpg_path = os.path.join(out_dir, "thumbnail.jpg")
    extension = os.path.splitext(src_path)[1].lower()
    pre_filter = EXR_FILTER if extension == ".exr" else ""
    if probe.still:
        _run(ffmpeg, ["-i", src_path, "-vf", pre_filter + SCALE_FILTER, *JPEG_OPTIONS, jpg_path])
        image_width, image_height, _, _ = _video_facts(jpg_path)
        return EncodeResult(None, jpg_path, 0, 1, 0.0, image_width, image_height, image_width, image_height)

    mp4_path = os.path.join(out_dir, "review.mp4")
    args = ["-i", src_path, "-map", "0:v:0"]
    if probe.has_audio:
        args += ["-map", "0:a:0", "-c:a", "aac", "-b:a", "160k", "-ac", "2"]
    else:
        args += ["-an"]
    args += [
        "-vf", pre_filter + SCALE_FILTER + ",format=yuv420p",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-profile:v", "high",
        "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-sn", "-dn", "-map_metadata", "-1",
        mp4_path,
    ]  # fmt: skip
    _run(ffmpeg, args)
    width, height, frames, frame_rate = _video_facts(mp4_path)

    # Seek before -i (fast) to the middle of the movie for a representative frame.
    middle = max(0.0, probe.duration / 2 - 0.5 / max(frame_rate, 1.0)) if probe.duration else 0.0
    _run(ffmpeg, ["-ss", f"{middle:.3f}", "-i", mp4_path, *JPEG_OPTIONS, jpg_path])
    if not os.path.exists(jpg_path):  # seeking past the last keyframe may give nothing
        _run(ffmpeg, ["-i", mp4_path, *JPEG_OPTIONS, jpg_path])
    image_width, image_height, _, _ = _video_facts(jpg_path)
    return EncodeResult(
        mp4_path, jpg_path, 0, frames or probe.frames, frame_rate or probe.frame_rate,
        width, height, image_width, image_height,
    )  # fmt: skip


def _probe(src_path: str) -> _Probe:
    if not os.path.isfile(src_path):
        raise EncodeError("The media file is missing.")
    try:
        with av.open(src_path) as container:
            if not container.streams.video:
                raise EncodeError("The file has no picture: it is neither a movie nor an image.")
            stream = container.streams.video[0]
            if stream.codec_context.width <= 0 or stream.codec_context.height <= 0:
                raise EncodeError("The file could not be decoded: its picture size is unknown.")
            extension = os.path.splitext(src_path)[1].lower()
            still = container.format.name in STILL_FORMATS or (
                extension in STILL_EXTENSIONS and (stream.frames or 1) <= 1
            )
            # Decode one frame first: a header that parses is no proof that the pictures do.
            if next(container.decode(stream), None) is None:
                _undecodable()
            rate = float(stream.average_rate or stream.guessed_rate or 0)
            duration = _duration(container, stream)
            frames = stream.frames or (round(duration * rate) if duration and rate else 0)
            if not still and not frames:
                container.seek(0)
                frames = sum(1 for p in container.demux(stream) if p.size)  # last resort
            return _Probe(still, frames, rate, duration, bool(container.streams.audio))
    except EncodeError:
        raise
    except (av.FFmpegError, StopIteration, ValueError, OSError) as error:
        logger.info("probe of %s failed: %s", src_path, error)
        _undecodable()


def _undecodable():
    raise EncodeError("The file could not be decoded as a movie or an image.")


def _duration(container, stream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0


def _video_facts(path: str) -> tuple[int, int, int, float]:
    """(width, height, frame count, frame rate) of an encoded output."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        frames = stream.frames or sum(1 for p in container.demux(stream) if p.size)
        rate = float(stream.average_rate or Fraction(0))
        return stream.codec_context.width, stream.codec_context.height, frames, rate


def _run(ffmpeg: str, args: list[str]) -> None:
    command = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=ENCODE_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise EncodeError("Encoding took too long and was stopped.")
    except OSError as error:
        logger.error("cannot run ffmpeg: %s", error)
        raise EncodeError("The encoder could not be started.")
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        logger.warning("ffmpeg failed (%s): %s", result.returncode, result.stderr[-2000:])
        # Braces would break str(ftrack_api ServerError) on the client: keep them out.
        last = last.replace("{", "(").replace("}", ")")[:200]
        raise EncodeError(f"The encoder could not convert the file: {last}")
