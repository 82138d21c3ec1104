"""Streaming a PUT body to a file with MD5 on a second core.

MD5 (~500 MiB/s on one core) costs more than receiving and writing, so it runs on a helper
thread (hashlib releases the GIL on large buffers) while the request thread receives into
preallocated buffers and writes them out. A buffer goes back to the small pool once hashed, so
memory stays flat whatever the size of the upload. After the few bytes the request reader had
already buffered, the body is received straight from the socket with ``MSG_WAITALL``: one system
call per buffer instead of one per network segment.
"""

from __future__ import annotations

import queue
import socket
import threading
import time

BUFFER_SIZE = 4 << 20
BUFFERS = 6


class _Hasher:
    def __init__(self, digest, pool: queue.SimpleQueue):
        self._digest, self._pool = digest, pool
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = None
        if digest is not None:
            self._thread = threading.Thread(target=self._run, name="put-md5", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            buffer, length = item
            with memoryview(buffer) as view:
                self._digest.update(view[:length])
            self._pool.put(buffer)

    def feed(self, buffer: bytearray, length: int) -> None:
        if self._thread is None:
            self._pool.put(buffer)
        else:
            self._queue.put((buffer, length))

    def finish(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None


class _Body:
    """The rest of a request body: what the handler's reader buffered, then the raw socket."""

    def __init__(self, handler, length: int):
        self._rfile, self._sock = handler.rfile, handler.connection
        self.remaining = length
        self._pending: memoryview | None = None

    def readinto(self, view) -> int:
        want = min(len(view), self.remaining)
        if want <= 0:
            return 0
        if self._pending is None:
            # read1 hands over everything the reader holds (at most its 8 KiB buffer), or does one
            # read if it holds nothing: after this its buffer is empty and the socket is next.
            self._pending = memoryview(self._rfile.read1(min(self.remaining, 1 << 16)))
        if len(self._pending):
            n = min(want, len(self._pending))
            view[:n] = self._pending[:n]
            self._pending = self._pending[n:]
        else:
            try:
                n = self._sock.recv_into(view, want, socket.MSG_WAITALL)
            except OSError:
                n = 0
        self.remaining -= n
        return n


def receive_to_file(handler, out, length: int, digest, bandwidth: int = 0) -> bool:
    """Write *length* body bytes to the open file *out*, feeding *digest*; False if it ended early."""
    body = _Body(handler, length)
    pool: queue.SimpleQueue = queue.SimpleQueue()
    for _ in range(min(BUFFERS, max(1, -(-length // BUFFER_SIZE)))):
        pool.put(bytearray(min(BUFFER_SIZE, max(length, 1))))
    hasher = _Hasher(digest, pool)
    started, received = time.monotonic(), 0
    try:
        while received < length:
            buffer = pool.get()
            # Throttled uploads take small steps so the injected bandwidth stays smooth.
            step = min(len(buffer), length - received, bandwidth // 10 or len(buffer))
            got = 0
            with memoryview(buffer) as view:
                while got < step and (n := body.readinto(view[got:step])):
                    got += n
                done = 0
                while done < got:
                    done += out.write(view[done:got])
            hasher.feed(buffer, got)
            received += got
            if got < step:
                return False
            if bandwidth:
                # Sleep off any lead over the injected bandwidth.
                ahead = received / bandwidth - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        return True
    finally:
        hasher.finish()
