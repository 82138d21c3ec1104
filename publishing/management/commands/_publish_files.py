"""Local files for ``manage.py publish``: grouping frames into sequences, staging through the upload
service (the same path a tus upload takes after its last byte: MD5, probe, staging storage)."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path

from publishing.uploads.services import Chunk, upload_create, upload_receive

MOVIE_EXTENSIONS = {".mov", ".mp4", ".m4v", ".mxf", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv"}
# name.####.ext, name_####.ext, name####.ext: the frame number is the last digits before the
# extension (the upload page's rule, frontend/src/sequences.js).
FRAME_PATTERN = re.compile(r"^(.*?)([._]?)(\d+)(\.[^.]+)$")


@dataclass
class LocalItem:
    kind: str  # movie | image | sequence
    paths: list[Path]
    frames: list[int] = field(default_factory=list)
    pattern: str = ""

    @property
    def label(self) -> str:
        if self.kind != "sequence":
            return self.paths[0].name
        return f"{self.pattern} (frames {self.frames[0]}-{self.frames[-1]}, {len(self.frames)} files)"

    @property
    def size(self) -> int:
        return sum(path.stat().st_size for path in self.paths)


def group_items(paths: list[Path]) -> list[LocalItem]:
    """One item per movie or still, one per run of frames sharing folder, name, padding and extension."""
    groups: dict[tuple, list[tuple[int, Path]]] = {}
    order: list[tuple] = []
    for path in paths:
        match = None if path.suffix.lower() in MOVIE_EXTENSIONS else FRAME_PATTERN.match(path.name)
        key: tuple
        if match is None:
            key = ("single", str(path))
            groups[key] = [(0, path)]
        else:
            prefix, separator, digits, extension = match.groups()
            key = (str(path.parent), prefix, separator, extension, len(digits))
            groups.setdefault(key, []).append((int(digits), path))
        if key not in order:
            order.append(key)
    items = []
    for key in order:
        members = sorted(groups[key])
        if key[0] == "single" or len(members) == 1:
            path = members[0][1]
            kind = "movie" if path.suffix.lower() in MOVIE_EXTENSIONS else "image"
            items.append(LocalItem(kind=kind, paths=[path]))
            continue
        _, prefix, separator, extension, width = key
        padding = f"%0{width}d" if width > 1 else "%d"
        items.append(
            LocalItem(
                kind="sequence",
                paths=[path for _, path in members],
                frames=[frame for frame, _ in members],
                pattern=f"{prefix}{separator}{padding}{extension}",
            )
        )
    return items


def stage_file(owner, path: Path):
    """Copy one local file into staging as an Upload of ``owner``; returns the finished row.

    Streams in the upload service's 1 MiB pieces with the MD5 computed during the copy, then probes
    it: the row ends ``ready`` or ``rejected`` (with the reason) exactly as after a tus upload.
    Raises ``UploadRefused`` for sizes or types the portal does not take.
    """

    size = path.stat().st_size
    metadata = {"filename": path.name, "filetype": mimetypes.guess_type(path.name)[0] or ""}
    upload = upload_create(owner=owner, size=size, metadata=metadata)
    with open(path, "rb") as stream:
        return upload_receive(upload=upload, chunk=Chunk(offset=0, length=size, stream=stream))
