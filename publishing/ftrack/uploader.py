"""Streaming files into the ftrack.server location.

ftrack_api's own server upload first copies the whole file into a temporary file to compute its
MD5. We already have the MD5 from upload time, so we call the same documented operations
directly and stream from staging storage:

1. create the FileComponent locally (no wire traffic yet);
2. ``get_upload_metadata`` (component id, file name, size, base64 MD5) -> URL + headers;
3. PUT the bytes straight from the staging file, counting them for the progress bar
   (or, when the server offers the multi-part form, PUT parts in parallel, then complete);
4. create the ComponentLocation (resource identifier = component id) and commit both at once.

Idempotence: callers pass the component id they recorded on the job beforehand; ``ensure_*``
first asks ftrack whether that component is already in the server location.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.files.storage import storages

from publishing.ftrack.lookups import SERVER_LOCATION_ID

READ_BLOCK = 1024 * 1024
MULTIPART_THRESHOLD = 64 * 1024 * 1024  # below this one PUT is as fast and simpler
MULTIPART_PARALLEL = 4
PUT_ATTEMPTS = 3  # a PUT of the same bytes to the same URL is idempotent: retry it in place

Progress = Callable[[int], None]


@dataclass
class Source:
    """Bytes to send: a file in staging storage or a local file the worker made (review movie, thumbnail)."""

    name: str  # path in staging storage, or a local path when local=True
    size: int
    md5_base64: str = ""
    local: bool = False

    def open(self, start: int = 0):
        if self.local:
            handle = open(self.name, "rb")
        else:
            handle = open_staging(self.name, start)
            if start and handle.tell() == start:
                return handle
        if start:
            handle.seek(start)
        return handle

    @classmethod
    def local_file(cls, path: str) -> Source:
        digest = hashlib.md5()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(READ_BLOCK), b""):
                digest.update(block)
        return cls(path, os.path.getsize(path), base64.b64encode(digest.digest()).decode(), local=True)


def open_staging(path: str, start: int = 0):
    """A readable stream of a staging file, without a local copy.

    For S3 we read the object body directly: django-storages' S3File would spool the whole object
    to a temporary file first, which is exactly the copy we avoid.
    """
    storage = storages["staging"]
    bucket = getattr(storage, "bucket", None)
    if bucket is not None and hasattr(storage, "_normalize_name"):
        key = storage._normalize_name(path)
        kwargs = {"Range": f"bytes={start}-"} if start else {}
        body = bucket.Object(key).get(**kwargs)["Body"]
        return _S3Stream(body, start)
    return storage.open(path, "rb")


class _S3Stream:
    def __init__(self, body, start: int) -> None:
        self._body = body
        self._pos = start

    def read(self, n: int = -1) -> bytes:
        data = self._body.read(None if n is None or n < 0 else n)
        self._pos += len(data)
        return data

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._body.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class CountingBody:
    """Request body for requests: at most ``length`` bytes of ``handle``, reporting each block sent.

    An iterable of 1 MiB blocks with a length, and deliberately without ``read``: urllib3 reads a
    file-like body 16 KiB at a time, while it sends an iterable's blocks as they come (far fewer
    Python steps per byte on a multi-GB PUT; measured with bench/publish.py). ``__len__`` makes
    requests send a Content-Length instead of chunking.
    """

    def __init__(self, handle, length: int, on_bytes: Progress | None, block: int = READ_BLOCK) -> None:
        self._handle = handle
        self._length = length
        self._on_bytes = on_bytes
        self._block = block

    def __len__(self) -> int:
        return self._length

    def __iter__(self):
        left = self._length
        while left > 0:
            data = self._handle.read(min(self._block, left))
            if not data:
                return
            left -= len(data)
            if self._on_bytes:
                self._on_bytes(len(data))
            yield data


class ByteCounter:
    """Thread-safe running total, reported through ``report(total)`` at most every ``every`` seconds."""

    def __init__(self, report: Progress | None, every: float = 0.5) -> None:
        self.total = 0
        self._report = report
        self._every = every
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, n: int) -> None:
        with self._lock:
            self.total += n
            now = time.monotonic()
            due = now - self._last >= self._every
            if due:
                self._last = now
            total = self.total
        if due and self._report:
            self._report(total)

    def reset(self) -> None:
        with self._lock:
            self.total = 0


def in_server_location(session, component_ids: list[str]) -> set[str]:
    """Which of these components ftrack already holds in ftrack.server."""
    if not component_ids:
        return set()
    found: set[str] = set()
    for start in range(0, len(component_ids), 200):
        chunk = ",".join(component_ids[start : start + 200])
        rows = session.query(
            "select component_id from ComponentLocation "
            f"where location_id is {SERVER_LOCATION_ID} and component_id in ({chunk})"
        ).all()
        found.update(r["component_id"] for r in rows)
    return found


def component_exists(session, component_id: str) -> bool:
    return bool(session.query(f'select id from Component where id is "{component_id}"').all())


def transfer(
    session, *, component_id: str, file_name: str, source: Source, on_bytes: Progress | None
) -> None:
    """Send the bytes of ``source`` for ``component_id``; nothing is registered in ftrack yet."""
    meta = session.call([_upload_operation(component_id, file_name, source)])[0]
    _send(session, meta, component_id, source, on_bytes)


def _upload_operation(component_id: str, file_name: str, source: Source) -> dict:
    parts = _part_count(source.size, settings.FTRACK_MULTIPART_THRESHOLD)
    operation = {
        "action": "get_upload_metadata",
        "component_id": component_id,
        "file_name": file_name,
        "file_size": source.size,
        "checksum": source.md5_base64 or None,
    }
    if parts:
        operation["parts"] = parts
    return operation


def _send(session, meta: dict, component_id: str, source: Source, on_bytes: Progress | None) -> None:
    timeout = settings.FTRACK_TIMEOUT
    if meta.get("urls") and meta.get("upload_id"):
        _transfer_parts(session, meta, component_id, source, on_bytes, timeout)
        return
    headers = {k: v for k, v in (meta.get("headers") or {}).items() if k.lower() != "content-length"}
    _put(meta["url"], source, 0, source.size, headers, on_bytes, timeout)


def _put(
    url: str, source: Source, start: int, length: int, headers: dict, on_bytes, timeout
) -> requests.Response:
    """PUT ``length`` bytes of ``source`` from ``start``, streamed; transient failures are retried here."""
    for attempt in range(1, PUT_ATTEMPTS + 1):
        try:
            with source.open(start) as handle:
                # requests streams a file-like body block by block; our reader counts what went out.
                response = requests.put(
                    url, data=CountingBody(handle, length, on_bytes), headers=headers, timeout=timeout
                )
            if response.status_code < 500 or attempt == PUT_ATTEMPTS:
                response.raise_for_status()
                return response
        except (requests.ConnectionError, requests.Timeout):
            if attempt == PUT_ATTEMPTS:
                raise
        time.sleep(0.1 * attempt)  # brief backoff between real retries
    raise AssertionError("unreachable")


def _part_count(size: int, threshold: int) -> int | None:
    """Parts for the multi-part form, sized like ftrack's own web uploader; None for one PUT."""
    if size < threshold:
        return None
    chunk = settings.FTRACK_MULTIPART_CHUNK
    if not chunk:
        chunk = 8 * 1024**2
        for limit, bigger in ((128 * 1024**2, 16), (1024**3, 32), (8 * 1024**3, 64), (64 * 1024**3, 128)):
            if size > limit:
                chunk = bigger * 1024**2
    parts = min(-(-size // chunk), 10000)
    return parts if parts > 1 else None


def _transfer_parts(session, meta, component_id: str, source: Source, on_bytes, timeout) -> None:
    urls = sorted(meta["urls"], key=lambda u: int(u["part_number"]))
    part_size = -(-source.size // len(urls))

    def put_part(entry) -> dict:
        number = int(entry["part_number"])
        start = (number - 1) * part_size
        length = max(0, min(part_size, source.size - start))
        response = _put(entry["signed_url"], source, start, length, {}, on_bytes, timeout)
        return {"part_number": number, "e_tag": response.headers.get("ETag", "").strip('"')}

    with ThreadPoolExecutor(max_workers=MULTIPART_PARALLEL) as pool:
        parts = list(pool.map(put_part, urls))
    session.call(
        [
            {
                "action": "complete_multipart_upload",
                "upload_id": meta["upload_id"],
                "component_id": component_id,
                "parts": parts,
            }
        ]
    )


def component_data(
    *,
    component_id: str,
    name: str,
    file_type: str,
    size: int,
    version_id: str | None = None,
    container_id: str | None = None,
) -> dict:
    """The fields of a new component as the publish creates it (and the dry run lists it)."""
    data: dict = {"id": component_id, "name": name, "file_type": file_type, "size": size}
    if version_id:
        data["version_id"] = version_id
    if container_id:
        data["container_id"] = container_id
    return data


def member_name(frame: int | None, padding: int) -> str:
    """A sequence member's component name, as ftrack_api's own sequence recipe names them."""
    number = frame or 0  # frames of a sequence always have a number; None only in a malformed row
    return f"{number:0{padding}d}" if padding else str(number)


def record_in_server_location(session, component) -> None:
    """Record (not commit) that ``component``'s bytes are in ftrack.server, under its own id."""
    session.create(
        "ComponentLocation",
        {
            "component": component,
            "location": session.get("Location", SERVER_LOCATION_ID),
            "resource_identifier": component["id"],
        },
    )


def ensure_file_component(
    session,
    *,
    component_id: str,
    name: str,
    source: Source,
    file_type: str,
    version_id: str | None,
    on_bytes: Progress | None = None,
    extra: dict | None = None,
    known_new: bool = False,
    before_commit: Callable | None = None,
) -> bool:
    """Make sure FileComponent ``component_id`` exists in ftrack.server with these bytes.

    Returns False when it was already there (a resumed job), True when it was sent now.
    ``known_new``: the id was chosen in this run, so ftrack cannot have it: skip asking.
    ``before_commit(component)`` may add changes (metadata, a thumbnail link) to the same commit.
    """
    if not known_new and in_server_location(session, [component_id]):
        return False
    exists = not known_new and component_exists(session, component_id)
    transfer(
        session,
        component_id=component_id,
        file_name=f"{name}{file_type}",
        source=source,
        on_bytes=on_bytes,
    )
    if exists:
        component = session.get("FileComponent", component_id)
    else:
        data = component_data(
            component_id=component_id, name=name, file_type=file_type, size=source.size, version_id=version_id
        )
        component = session.create("FileComponent", {**data, **(extra or {})})
    record_in_server_location(session, component)
    if before_commit is not None:
        before_commit(component)
    try:
        session.commit()
    except Exception:
        session.rollback()
        # The commit may have been applied before the answer was lost, or another run of the same
        # job (re-queued by the watchdog) got there first: then it is done, not failed.
        if in_server_location(session, [component_id]):
            return False
        raise
    return True


@dataclass
class NewComponent:
    """A FileComponent whose id this run chose (so ftrack cannot have it yet), with its bytes."""

    component_id: str
    name: str
    source: Source
    file_type: str
    version_id: str | None
    on_bytes: Progress | None = None
    before_commit: Callable | None = None


def send_new_components(session, items: list[NewComponent]) -> None:
    """Several new components in three round trips: one ``get_upload_metadata`` call for all, their
    PUTs, one commit of every FileComponent + ComponentLocation (and what ``before_commit`` adds)."""
    metas = session.call(
        [_upload_operation(i.component_id, f"{i.name}{i.file_type}", i.source) for i in items]
    )
    for item, meta in zip(items, metas, strict=True):
        _send(session, meta, item.component_id, item.source, item.on_bytes)
    for item in items:
        data = component_data(
            component_id=item.component_id,
            name=item.name,
            file_type=item.file_type,
            size=item.source.size,
            version_id=item.version_id,
        )
        component = session.create("FileComponent", data)
        record_in_server_location(session, component)
        if item.before_commit is not None:
            item.before_commit(component)
    try:
        session.commit()
    except Exception:
        session.rollback()
        ids = [i.component_id for i in items]
        if set(ids) <= in_server_location(session, ids):
            return  # applied before the answer was lost
        raise
