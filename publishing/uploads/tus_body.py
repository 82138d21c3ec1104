"""The body of a tus PATCH (or creation-with-upload POST) as a ``readinto`` source.

Under gunicorn, reading ``wsgi.input`` goes through two BytesIO buffers and several slices: each
MiB is copied five or six times while holding the GIL, which takes CPU from the MD5 thread. When
the request runs under gunicorn with a plain Content-Length body that nobody has started reading,
we take the bytes gunicorn already holds for this body and then ``recv_into`` our own buffers
straight from the connection's socket, keeping gunicorn's count of what is left of the body
exact so a kept-alive connection finds the next request where it starts.

Anywhere else (runserver, the test server, another WSGI server, a gunicorn whose internals differ
from what is checked below) Django's ``request.read(n)`` is used as before.
"""

from __future__ import annotations

import io
import logging
import select
import socket

log = logging.getLogger(__name__)

# How long a client may stay silent in the middle of a body before we call it gone.
IDLE_TIMEOUT = 120


def body_source(request):
    """Something with ``readinto(buffer) -> int`` (0 = no more) or ``read(n)`` for the body."""
    source = _gunicorn_source(request)
    return source if source is not None else request


def _gunicorn_source(request):
    environ = request.META
    sock = environ.get("gunicorn.socket")
    body = environ.get("wsgi.input")
    if sock is None or body is None or getattr(request, "_read_started", True):
        return None
    reader = getattr(body, "reader", None)
    unreader = getattr(reader, "unreader", None)
    if not (
        type(body).__module__ == "gunicorn.http.body"
        and type(reader).__name__ == "LengthReader"
        and isinstance(getattr(body, "buf", None), io.BytesIO)
        and isinstance(getattr(reader, "length", None), int)
        and isinstance(getattr(unreader, "buf", None), io.BytesIO)
        and getattr(unreader, "sock", None) is sock
    ):
        return None
    return GunicornBody(body, sock)


class GunicornBody:
    """Reads the rest of a gunicorn request body from the socket; see the module docstring."""

    def __init__(self, body, sock):
        self._body, self._reader, self._sock = body, body.reader, sock
        # Read-ahead gunicorn holds: first whatever Body kept, then the unreader's buffer, of which
        # only the first reader.length bytes are ours (anything after is a pipelined request).
        held = body.buf.getvalue()
        body.buf = io.BytesIO()
        unreader = self._reader.unreader
        ahead = unreader.buf.getvalue()
        mine = ahead[: self._reader.length]
        unreader.buf = io.BytesIO()
        unreader.buf.write(ahead[len(mine) :])
        self._reader.length -= len(mine)
        self._pending = memoryview(held + mine)

    def readinto(self, view) -> int:
        if len(self._pending):
            n = min(len(view), len(self._pending))
            view[:n] = self._pending[:n]
            self._pending = self._pending[n:]
            return n
        want = min(len(view), self._reader.length)
        if want <= 0:
            return 0
        n = self._recv_into(view, want)
        if not n:
            # The client went away mid-body: nobody knows where a next request would start.
            self._body.failed = True
            return 0
        self._reader.length -= n
        return n

    def _recv_into(self, view, want: int) -> int:
        # MSG_WAITALL: one system call (and one GIL hand-over) per buffer rather than per segment.
        while True:
            try:
                return self._sock.recv_into(view, want, socket.MSG_WAITALL)
            except BlockingIOError:
                readable, _, _ = select.select([self._sock], [], [], IDLE_TIMEOUT)
                if not readable:
                    return 0
            except InterruptedError:
                continue
            except OSError:
                return 0
