"""Uploads: create, receive chunks, complete (checksum + probe + staging), terminate, expire.

The tus view (publishing/uploads/tus.py) parses HTTP and calls these; they know nothing of HTTP beyond the
status code each refusal maps to.

Receiving a chunk, in order:
1. claim the upload's PATCH lease with a conditional UPDATE (a concurrent PATCH gets 409);
2. check the client's offset against ours (409 when they differ);
3. stream the body to the partial file (upload_stream: preallocated buffers, hashing on a second
   thread), feeding the running MD5 and, if the client sent one, the chunk checksum;
4. on a checksum mismatch cut the file back to the old offset (460), otherwise record the new offset;
5. when the last byte is in: MD5, probe, move into staging storage, state ready/rejected;
6. release the lease.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from publishing.models import Upload
from publishing.uploads import storage
from publishing.uploads import stream as upload_stream
from publishing.uploads.names import describe_size, extension_of, sanitise_filename, sanitise_metadata
from publishing.uploads.probe import UNREADABLE, Probe, probe_media

log = logging.getLogger(__name__)

READ_SIZE = 1024 * 1024
# How often a long PATCH renews its lease and checks that nobody took it over.
LEASE_REFRESH_SECONDS = 10
CHECKSUM_ALGORITHMS = ("md5", "sha1")


class UploadRefused(Exception):
    """A request we turn down; `status` is the HTTP status, the message is for the producer."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class UploadNotFound(UploadRefused):
    status = 404

    def __init__(self):
        super().__init__("No such upload.")


class UploadGone(UploadRefused):
    status = 410

    def __init__(self):
        super().__init__(
            "This upload expired before it was finished and its data was removed; start it again."
        )


class ChecksumMismatch(UploadRefused):
    status = 460


@dataclass
class Chunk:
    """One PATCH body: where the client says it starts, how long it is, its optional checksum."""

    offset: int
    length: int
    stream: object  # anything with .read(n)
    checksum: tuple[str, bytes] | None = None


# --- running MD5 ----------------------------------------------------------------------------------
# hashlib state cannot be stored in the database, so it lives in this process, keyed by upload id,
# together with the offset it covers. A chunk that continues exactly there extends it; anything else
# (resumed in another process, restarted server, evicted entry) drops it and completion falls back
# to one full read of the file.
_MAX_RUNNING_HASHES = 256
_running: OrderedDict[uuid.UUID, tuple[int, object]] = OrderedDict()
_running_lock = threading.Lock()


def _running_take(upload_id: uuid.UUID, offset: int):
    with _running_lock:
        entry = _running.pop(upload_id, None)
    if entry is None:
        return hashlib.md5() if offset == 0 else None
    covered, md5 = entry
    return md5 if covered == offset else None


def _running_put(upload_id: uuid.UUID, offset: int, md5) -> None:
    with _running_lock:
        _running[upload_id] = (offset, md5)
        while len(_running) > _MAX_RUNNING_HASHES:
            _running.popitem(last=False)


def _running_drop(upload_id: uuid.UUID) -> None:
    with _running_lock:
        _running.pop(upload_id, None)


# --- lookups --------------------------------------------------------------------------------------
def upload_for_owner(*, upload_id: uuid.UUID, owner) -> Upload:
    """The owner's upload; anyone else is told it does not exist (no hint that it does)."""
    upload = Upload.objects.filter(pk=upload_id, owner=owner).first()
    if upload is None:
        raise UploadNotFound()
    if upload_is_expired(upload):
        raise UploadGone()
    return upload


def upload_is_expired(upload: Upload, *, now: datetime | None = None) -> bool:
    if upload.state == Upload.State.EXPIRED:
        return True
    now = now or timezone.now()
    return (
        upload.state == Upload.State.RECEIVING and upload.expires_at is not None and upload.expires_at <= now
    )


def upload_partial_path(upload: Upload) -> Path:
    return storage.partial_path(upload.id, extension_of(upload.filename))


# --- create ---------------------------------------------------------------------------------------
def upload_create(*, owner, size: int, metadata: dict[str, str]) -> Upload:
    if size <= 0:
        raise UploadRefused("The file is empty (0 bytes). Choose a file that has content.")
    if size > settings.MAX_UPLOAD_SIZE:
        raise UploadRefused(
            f"The file is {describe_size(size)}, more than the {describe_size(settings.MAX_UPLOAD_SIZE)} limit.",
            status=413,
        )
    metadata = sanitise_metadata(metadata)
    raw_name = metadata.get("filename") or metadata.get("name") or ""
    if not raw_name:
        raise UploadRefused("The upload has no file name (Upload-Metadata must include filename).")
    filename = sanitise_filename(raw_name)
    extension = extension_of(filename)
    allowed = settings.ALLOWED_UPLOAD_EXTENSIONS
    if extension not in allowed:
        raise UploadRefused(
            f"Files of type {extension or '(no extension)'} cannot be published. Allowed: {', '.join(allowed)}.",
            status=415,
        )
    upload_id = uuid.uuid4()
    partial = storage.partial_path(upload_id, extension)
    storage.create_partial(partial)
    upload = Upload.objects.create(
        id=upload_id,
        owner=owner,
        filename=filename,
        content_type=metadata.get("filetype", "")[:127],
        size=size,
        storage_path=storage.staging_path(upload_id, extension),
        metadata=metadata,
        expires_at=timezone.now() + settings.UPLOAD_EXPIRY,
    )
    log.info("upload %s created by user %s: %s bytes", upload.id, owner.pk, size)
    return upload


# --- receive --------------------------------------------------------------------------------------
def upload_receive(*, upload: Upload, chunk: Chunk) -> Upload:
    """Append one chunk; completes the upload when its last byte arrives. Returns the fresh row."""
    if chunk.checksum and chunk.checksum[0] not in CHECKSUM_ALGORITHMS:
        raise UploadRefused(
            f"Checksum algorithm {chunk.checksum[0]!r} is not supported; use one of {', '.join(CHECKSUM_ALGORITHMS)}."
        )
    if upload.state != Upload.State.RECEIVING:
        raise UploadRefused("This upload is already complete.", status=409)
    if chunk.offset != upload.offset:
        raise UploadRefused(
            f"Upload-Offset {chunk.offset} does not match the {upload.offset} bytes received so far; "
            "ask for the current offset (HEAD) and resume from there.",
            status=409,
        )
    if chunk.offset + chunk.length > upload.size:
        raise UploadRefused(
            f"This chunk would take the upload past its declared size of {upload.size} bytes.", status=413
        )
    token = _claim(upload)
    try:
        upload.refresh_from_db()
        # Re-check under the lease: another PATCH may have finished just before we claimed it.
        if upload.state != Upload.State.RECEIVING or chunk.offset != upload.offset:
            raise UploadRefused(
                f"Upload-Offset {chunk.offset} does not match the {upload.offset} bytes received so far.",
                status=409,
            )
        new_offset, md5 = _write_chunk(upload, chunk, token)
        now = timezone.now()
        # The expiry slides with activity: only an upload nobody touches for UPLOAD_EXPIRY is abandoned.
        Upload.objects.filter(pk=upload.pk, patch_lock=token).update(
            offset=new_offset, expires_at=now + settings.UPLOAD_EXPIRY, patch_lock_at=now
        )
        upload.offset = new_offset
        upload.expires_at = now + settings.UPLOAD_EXPIRY
        if md5 is not None:
            _running_put(upload.id, new_offset, md5)
        if upload.offset >= upload.size:
            upload_complete(upload=upload, md5=md5)
    finally:
        _release(upload, token)
    upload.refresh_from_db()
    return upload


def _claim(upload: Upload) -> str:
    token = uuid.uuid4().hex
    now = timezone.now()
    stale = now - settings.UPLOAD_LOCK_TIMEOUT
    claimed = (
        Upload.objects.filter(pk=upload.pk, state=Upload.State.RECEIVING)
        .filter(Q(patch_lock="") | Q(patch_lock_at__lt=stale))
        .update(patch_lock=token, patch_lock_at=now)
    )
    if not claimed:
        raise UploadRefused(
            "Another request is writing to this upload right now; wait for it, then resume from its offset.",
            status=409,
        )
    return token


def _release(upload: Upload, token: str) -> None:
    Upload.objects.filter(pk=upload.pk, patch_lock=token).update(patch_lock="", patch_lock_at=None)


def _write_chunk(upload: Upload, chunk: Chunk, token: str) -> tuple[int, object | None]:
    """Stream the chunk to disk; returns (new offset, running md5 or None when it is not known)."""
    md5 = _running_take(upload.id, chunk.offset)
    before = md5.copy() if (md5 is not None and chunk.checksum) else None
    algorithm, expected = chunk.checksum or ("", b"")
    checker = hashlib.new(algorithm) if algorithm else None
    written = _stream_to_file(upload, chunk, token, [md5, checker])
    if checker is not None:
        complete = written == chunk.length
        if not complete or checker.digest() != expected:
            # Nothing of a chunk that fails (or cannot finish) its checksum is kept.
            with open(upload_partial_path(upload), "r+b") as fh:
                fh.truncate(chunk.offset)
            if complete:
                if before is not None:
                    _running_put(upload.id, chunk.offset, before)
                raise ChecksumMismatch(
                    f"The chunk's {algorithm} checksum does not match the data received; "
                    "the chunk was discarded, send it again."
                )
            return chunk.offset, before
    return chunk.offset + written, md5


def _stream_to_file(upload: Upload, chunk: Chunk, token: str, hashes) -> int:
    last_refresh = time.monotonic()

    def still_ours() -> None:
        nonlocal last_refresh
        if time.monotonic() - last_refresh <= LEASE_REFRESH_SECONDS:
            return
        last_refresh = time.monotonic()
        if not Upload.objects.filter(pk=upload.pk, patch_lock=token).update(patch_lock_at=timezone.now()):
            # Our lease went stale and another PATCH owns the file now: stop touching it.
            raise UploadRefused(
                "This request took too long and was superseded; resume the upload.", status=409
            )

    # Bytes beyond the recorded offset are left-overs of a write that was never acknowledged
    # (a crash mid-chunk): stream_into_file cuts them before writing.
    return upload_stream.stream_into_file(
        upload_partial_path(upload),
        offset=chunk.offset,
        length=chunk.length,
        source=chunk.stream,
        hashes=hashes,
        still_ours=still_ours,
    )


# --- complete -------------------------------------------------------------------------------------
def upload_complete(*, upload: Upload, md5=None) -> Upload:
    """All bytes are in: checksum, probe, move into staging storage, and say whether it is usable."""
    partial = upload_partial_path(upload)
    if md5 is None:
        md5 = _md5_of_file(partial)
    # The producer is about to be told the file is safe: make it so before saying it.
    _flush_to_disk(partial)
    _running_drop(upload.id)
    upload.md5_base64 = base64.b64encode(md5.digest()).decode()
    upload.state = Upload.State.COMPLETE
    upload.completed_at = timezone.now()
    # A complete file is kept until it is published or an admin removes it: no expiry any more.
    upload.expires_at = None
    upload.save(update_fields=["md5_base64", "state", "completed_at", "expires_at", "updated_at"])

    try:
        probe = probe_media(partial)
    except Exception:
        # A probe that crashes must not leave the upload stuck half-complete; it counts as unreadable.
        log.exception("probe of upload %s failed", upload.id)
        probe = Probe(kind="", reject_reason=UNREADABLE)
    upload.probe = probe.info
    upload.kind = probe.kind
    upload.reject_reason = probe.reject_reason
    upload.storage_path = storage.move_to_staging(partial, upload.storage_path)
    upload.state = Upload.State.READY if probe.ok else Upload.State.REJECTED
    upload.save(update_fields=["probe", "kind", "reject_reason", "storage_path", "state", "updated_at"])
    log.info("upload %s complete: %s %s", upload.id, upload.state, upload.kind or "")
    return upload


def _flush_to_disk(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _md5_of_file(path: Path):
    md5 = hashlib.md5()
    with open(path, "rb") as fh:
        while piece := fh.read(READ_SIZE):
            md5.update(piece)
    return md5


# --- terminate and expire -------------------------------------------------------------------------
def upload_terminate(*, upload: Upload) -> None:
    if upload.job_links.exists():
        raise UploadRefused("This file is part of a publish job and cannot be deleted.", status=409)
    _remove_files(upload)
    upload.delete()


def _remove_files(upload: Upload) -> None:
    _running_drop(upload.id)
    upload_partial_path(upload).unlink(missing_ok=True)
    if upload.state != Upload.State.RECEIVING:
        storage.delete_staged(upload.storage_path)


def uploads_cleanup_expired(*, now: datetime | None = None, dry_run: bool = False) -> list[Upload]:
    """Remove the data of partial uploads past their expiry; the rows stay, marked expired (410)."""
    now = now or timezone.now()
    # A PATCH holding a live lease is still writing: leave that upload alone.
    not_being_written = Q(patch_lock="") | Q(patch_lock_at__lt=now - settings.UPLOAD_LOCK_TIMEOUT)
    candidates = Upload.objects.filter(not_being_written, state=Upload.State.RECEIVING, expires_at__lte=now)
    expired = list(candidates)
    if dry_run:
        return expired
    removed = []
    for upload in expired:
        # Conditional: a PATCH that claimed the upload meanwhile wins and the upload lives on.
        if candidates.filter(pk=upload.pk).update(state=Upload.State.EXPIRED):
            _remove_files(upload)
            upload.state = Upload.State.EXPIRED
            removed.append(upload)
    if removed:
        log.info("expired %d abandoned partial uploads", len(removed))
    return removed
