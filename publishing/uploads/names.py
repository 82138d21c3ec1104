"""Client-sent names and metadata made safe to store and show.

A name from the client is only ever displayed; paths on disk come from the upload's id (see
publishing/uploads/storage.py). Still, a name is cleaned so that it cannot mislead on a page either.
"""

from __future__ import annotations

import posixpath
import unicodedata

MAX_NAME = 200
MAX_EXTENSION = 16
MAX_METADATA_KEYS = 32
MAX_METADATA_VALUE = 1024


def _printable(text: str) -> str:
    # Drops control and format characters (NUL, newlines, right-to-left overrides, zero-width...).
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


def sanitise_filename(raw: str) -> str:
    name = unicodedata.normalize("NFC", raw).replace("\\", "/")
    # The last path segment only: "../../etc/passwd" is "passwd", "C:\\x\\y.mov" is "y.mov".
    name = posixpath.basename(name)
    name = _printable(name).strip()
    # No leading dots (hidden files, "..") and no trailing dots or spaces (Windows drops them).
    name = name.lstrip(".").rstrip(". ")
    if not name:
        return "upload"
    if len(name) > MAX_NAME:
        stem, ext = posixpath.splitext(name)
        ext = ext[:MAX_EXTENSION]
        name = stem[: MAX_NAME - len(ext)] + ext
    return name


def extension_of(filename: str) -> str:
    """Lower-case extension with its dot, e.g. ".mov"; "" when there is none."""
    ext = posixpath.splitext(filename)[1].lower()
    return ext if 1 < len(ext) <= MAX_EXTENSION else ""


def sanitise_metadata(metadata: dict[str, str]) -> dict[str, str]:
    clean = {}
    for key, value in list(metadata.items())[:MAX_METADATA_KEYS]:
        clean[_printable(key)[:64]] = _printable(value)[:MAX_METADATA_VALUE]
    return clean


def describe_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
