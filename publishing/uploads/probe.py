"""What is inside an uploaded file: container, codecs, resolution, frame rate, frame count, duration.

Reads the headers with PyAV and decodes the first picture, which is quick even for big movies and
catches files whose headers look fine but whose data is damaged. A file we cannot read is not an
error here: it comes back with a plain `reject_reason` for the producer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av

STILL_EXTENSIONS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr", ".dpx", ".tga", ".bmp", ".gif"}
# Demuxers that hold a single picture rather than a movie.
_STILL_FORMATS = {"image2", "gif", "webp_pipe"}

UNREADABLE = "This file is not a movie or image we can read: the data is damaged or the format is unknown."
NO_PICTURE = "This file has no picture in it (no video stream), so it cannot be reviewed."


@dataclass
class Probe:
    kind: str  # "movie", "image" or "" when rejected
    info: dict = field(default_factory=dict)
    reject_reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reject_reason


def _number(value) -> float | None:
    if value is None:
        return None
    return round(float(value), 3)


def probe_media(path: Path | str) -> Probe:
    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        return Probe(kind="", reject_reason=UNREADABLE)
    with container:
        if not container.streams.video:
            return Probe(kind="", info={"container": container.format.name}, reject_reason=NO_PICTURE)
        video = container.streams.video[0]
        try:
            first = next(container.decode(video=0), None)
        except (av.FFmpegError, OSError, ValueError):
            first = None
        if first is None:
            return Probe(kind="", info={"container": container.format.name}, reject_reason=UNREADABLE)
        return _describe(container, video, first, suffix=Path(str(path)).suffix.lower())


def _describe(container, video, first_frame, *, suffix: str) -> Probe:
    fmt = container.format.name
    is_still = suffix in STILL_EXTENSIONS or fmt in _STILL_FORMATS or fmt.endswith("_pipe")
    codec = video.codec_context.name
    audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
    info = {
        "container": fmt,
        "video_codec": codec,
        "audio_codec": audio,
        "width": first_frame.width or video.codec_context.width,
        "height": first_frame.height or video.codec_context.height,
        "pix_fmt": first_frame.format.name if first_frame.format else None,
    }
    if is_still:
        info.update({"fps": None, "frame_count": 1, "duration": None})
        return Probe(kind="image", info=info)

    rate = video.average_rate or video.guessed_rate
    fps = _number(rate)
    duration = None
    if video.duration is not None and video.time_base:
        duration = float(video.duration * video.time_base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    frames = video.frames or (round(duration * float(rate)) if duration and rate else None)
    info.update(
        {
            "fps": fps,
            "fps_exact": str(Fraction(rate)) if rate else None,
            "frame_count": frames,
            "duration": _number(duration),
        }
    )
    return Probe(kind="movie", info=info)
