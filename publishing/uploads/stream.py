"""Moving one chunk's bytes from the request into the partial file, as fast as the machine allows.

The receive path is bounded by MD5 (one core, ~500 MiB/s on our servers, and MD5 cannot be split
across cores), so everything else must stay off that core and cost as little CPU as possible:

- the body is read with ``readinto`` into a small pool of preallocated buffers (no per-piece
  ``bytes`` objects, no Python-level copies) when the source offers it;
- each buffer is written with ``os.pwrite`` and then handed to a hashing thread: hashlib releases
  the GIL on large buffers, so MD5 runs on the second core while this thread waits on the socket
  and the disk. A buffer returns to the pool only once hashed, so memory is the pool, whatever
  the file size;
- the kernel is asked to start writing each few MiB back to disk as soon as they are written
  (``sync_file_range``, asynchronous), so the one ``fsync`` at completion has little left to do.
  Nothing here waits for the disk.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import queue
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

BUFFER_SIZE = 2 * 1024 * 1024
# Buffers in the pool: one being filled, the rest waiting for (or being fed to) the hashes.
BUFFERS = 6
# Start writeback once this much has been written since the last start.
WRITEBACK_STEP = 32 * 1024 * 1024

_SYNC_FILE_RANGE_WRITE = 2


def _load_sync_file_range():
    """libc's sync_file_range (Linux), or None where it does not exist."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        function = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint)
    function.restype = ctypes.c_int
    return function


_sync_file_range = _load_sync_file_range()


def start_writeback(fd: int, start: int, length: int) -> None:
    """Ask the kernel to begin writing a range to disk without waiting for it (best effort)."""
    if _sync_file_range is not None and length > 0:
        _sync_file_range(fd, start, length, _SYNC_FILE_RANGE_WRITE)


class ReadAdapter:
    """``readinto`` over a stream that only has ``read(n)`` (Django's request under other servers)."""

    def __init__(self, stream):
        self._read = stream.read

    def readinto(self, view) -> int:
        try:
            data = self._read(len(view))
        except OSError:
            return 0  # the client went away: the caller keeps what arrived
        view[: len(data)] = data
        return len(data)


def readable(stream):
    """The stream itself if it has ``readinto`` (returns 0 once it has nothing more), else adapted."""
    return stream if hasattr(stream, "readinto") else ReadAdapter(stream)


class _Hasher:
    """Feeds filled buffers to the hashes on a helper thread and gives them back to the pool."""

    def __init__(self, hashes, pool: queue.SimpleQueue):
        self._hashes = [h for h in hashes if h is not None]
        self._pool = pool
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = None
        if self._hashes:
            self._thread = threading.Thread(target=self._run, name="upload-hash", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            buffer, length = item
            with memoryview(buffer) as view:
                piece = view[:length]
                for h in self._hashes:
                    h.update(piece)
                piece.release()
            self._pool.put(buffer)

    def feed(self, buffer: bytearray, length: int) -> None:
        if self._thread is None:
            self._pool.put(buffer)
        else:
            self._queue.put((buffer, length))

    def finish(self) -> None:
        """Wait until every buffer fed so far is hashed."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None


def _fill(source, view, want: int) -> int:
    """Read until *want* bytes are in *view* or the source has nothing more."""
    got = 0
    while got < want:
        n = source.readinto(view[got:want])
        if not n:
            break
        got += n
    return got


def _write_all(fd: int, view, position: int) -> None:
    while len(view):
        n = os.pwrite(fd, view, position)
        view, position = view[n:], position + n


def stream_into_file(
    path,
    *,
    offset: int,
    length: int,
    source,
    hashes,
    still_ours: Callable[[], None] = lambda: None,
) -> int:
    """Write up to *length* bytes of *source* into *path* from *offset*; returns how many arrived.

    Bytes past *offset* are cut first (left-overs of a write that was never acknowledged). Fewer
    than *length* bytes come back when the body ends early; the file then holds exactly those.
    *hashes* (None entries ignored) have seen exactly the bytes written when this returns.
    *still_ours* is called between buffers and may raise to stop (a lost lease).
    """
    source = readable(source)
    pool: queue.SimpleQueue = queue.SimpleQueue()
    for _ in range(min(BUFFERS, max(1, -(-length // BUFFER_SIZE)))):
        pool.put(bytearray(min(BUFFER_SIZE, max(length, 1))))
    hasher = _Hasher(hashes, pool)
    fd = os.open(path, os.O_WRONLY)
    written = flushed = 0
    try:
        os.ftruncate(fd, offset)
        while written < length:
            buffer = pool.get()
            with memoryview(buffer) as view:
                want = min(len(buffer), length - written)
                got = _fill(source, view, want)
                if got:
                    _write_all(fd, view[:got], offset + written)
            hasher.feed(buffer, got)
            written += got
            if written - flushed >= WRITEBACK_STEP:
                start_writeback(fd, offset + flushed, written - flushed)
                flushed = written
            if got < want:
                break
            still_ours()
    finally:
        hasher.finish()
        os.close(fd)
    return written
