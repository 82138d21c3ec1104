"""Where uploaded bytes live.

While a tus upload is receiving, its chunks are appended to a partial file on the web host's local
disk (`UPLOAD_PARTIAL_DIR/<uuid><ext>`). On completion the file moves into the staging storage
(`storages["staging"]`: a local folder or S3) under `uploads/<uuid>/<uuid><ext>`, where workers
read it without needing the web host's disk. Every path is derived from the upload's id and its
checked extension, never from a name the client sent.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages


def staging_storage():
    return storages["staging"]


def partial_path(upload_id: uuid.UUID, extension: str) -> Path:
    # The extension is kept because ffmpeg's image demuxers (TGA, DPX...) recognise stills by it.
    return Path(settings.UPLOAD_PARTIAL_DIR) / f"{upload_id}{extension}"


def staging_path(upload_id: uuid.UUID, extension: str) -> str:
    return f"uploads/{upload_id}/{upload_id}{extension}"


def create_partial(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # "x" so that a (vanishingly unlikely) id collision can never overwrite someone else's bytes.
    with open(path, "xb"):
        pass


def move_to_staging(local: Path, name: str) -> str:
    """Move a finished partial file into staging storage; returns the name it is stored under."""
    storage = staging_storage()
    if isinstance(storage, FileSystemStorage):
        target = Path(storage.path(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Same filesystem: a rename, no copy, however big the file is.
            os.replace(local, target)
        except OSError:
            shutil.move(local, target)
        return name
    with open(local, "rb") as fh:
        # django-storages' S3 backend streams from the file object (multipart), memory stays flat.
        stored = storage.save(name, File(fh, name=os.path.basename(name)))
    local.unlink(missing_ok=True)
    return stored


def delete_staged(name: str) -> None:
    if name:
        storage = staging_storage()
        if storage.exists(name):
            storage.delete(name)
