"""The dev server's event hub: Socket.IO 0.9 over a hand-rolled WebSocket.

ftrack_api 3.1.0 speaks Socket.IO "protocol 1" on the WebSocket transport only
(FTRACK-PROTOCOL.md §6.2):

1. ``GET /socket.io/1/`` with ftrack-user/ftrack-api-key headers returns
   ``<sid>:<heartbeat>:<close>:websocket``.
2. ``GET /socket.io/1/websocket/<sid>`` upgrades to a WebSocket (RFC 6455); no API key
   rides on the upgrade, so the sid is the credential and is single use.
3. The server sends ``1::``, then ``2::`` heartbeats; events arrive as
   ``5:<n>+::{"name":"ftrack.event","args":[event]}`` and are acked with
   ``6:::<n>+[{"success":true}]``.

Delivery: the client filters events against its own subscriptions, so every event is
broadcast to every connection (the publisher's own included: an asynchronous publish is
only handled locally when it comes back from the server). ``ftrack.meta.reply`` is routed
to the connection whose hub published the original event, by its ``target`` ``id=<hub id>``.

Threads: each connection is read by the HTTP server's thread that accepted it. One
dispatcher thread per hub sends everything out (events, heartbeats), so every connection
sees events in one order; it exits when there is nothing left to serve.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import json
import logging
import secrets
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger(__name__)

WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# A WebSocket message bigger than this is not an ftrack event; refuse it rather than buffer it.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
# Socket.IO's advertised timeouts. ftrack_api ignores them (it reads with its own 60 s
# timeout), browsers' socket.io clients use the first one to detect a dead server.
ADVERTISED_HEARTBEAT_TIMEOUT = 60
ADVERTISED_CLOSE_TIMEOUT = 60
# A handshake sid must be used for the upgrade within this many seconds.
SID_LIFETIME = 60.0
# The only keys ftrack_api's Event(**payload) accepts; anything else makes it drop the event.
EVENT_KEYS = ("id", "topic", "data", "sent", "source", "target", "inReplyToEvent")

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class WebSocketClosed(Exception):
    """The peer closed the WebSocket or broke the protocol."""


def _encode_frame(opcode: int, payload: bytes) -> bytes:
    """One unmasked, unfragmented frame (servers never mask, RFC 6455 §5.1)."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return header + payload


def _read_exact(rfile, count: int) -> bytes:
    data = rfile.read(count)
    if data is None or len(data) < count:
        raise WebSocketClosed("connection closed mid-frame")
    return data


def _read_frame(rfile) -> tuple[bool, int, bytes]:
    """Read one frame; return (fin, opcode, unmasked payload)."""
    first, second = _read_exact(rfile, 2)
    if first & 0x70:
        raise WebSocketClosed("reserved bits set without a negotiated extension")
    if not second & 0x80:
        raise WebSocketClosed("client frame is not masked")
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", _read_exact(rfile, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", _read_exact(rfile, 8))
    if length > MAX_MESSAGE_BYTES:
        raise WebSocketClosed("frame too large")
    mask = _read_exact(rfile, 4)
    payload = _read_exact(rfile, length)
    # XOR with the repeating 4-byte key, done on big ints to stay fast for large frames.
    key = (mask * (length // 4 + 1))[:length]
    unmasked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(length, "big")
    return bool(first & 0x80), first & 0x0F, unmasked


class _Connection:
    """One client's WebSocket plus what it told us about its subscribers."""

    def __init__(self, sock: socket.socket, rfile, username: str):
        self.sock = sock
        self.rfile = rfile
        self.username = username
        self.send_lock = threading.Lock()
        self.open = True
        self.subscribers: dict[str, str] = {}  # subscriber id -> subscription expression
        self.hub_ids: set[str] = set()  # source ids seen on events this client published
        self.last_heartbeat_sent = time.monotonic()
        self.awaiting_heartbeat = False

    def send_frame(self, opcode: int, payload: bytes) -> None:
        frame = _encode_frame(opcode, payload)
        with self.send_lock:
            if not self.open:
                raise WebSocketClosed("already closed")
            try:
                self.sock.sendall(frame)
            except OSError as error:
                self.open = False
                raise WebSocketClosed(str(error))

    def send_text(self, text: str) -> None:
        self.send_frame(OP_TEXT, text.encode("utf-8"))

    def knows_id(self, identifier: str) -> bool:
        return identifier in self.subscribers or identifier in self.hub_ids

    def shutdown(self) -> None:
        """Close the socket; the reading thread then sees EOF and returns."""
        with self.send_lock:
            was_open, self.open = self.open, False
            if was_open:
                try:
                    self.sock.sendall(_encode_frame(OP_CLOSE, struct.pack("!H", 1001)))
                except OSError:
                    pass
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class EventHub:
    """Socket.IO 0.9 event hub for ftrack_api clients (see the module docstring)."""

    def __init__(
        self,
        authenticate: Callable[[str, str], bool],
        *,
        heartbeat_interval: float = 10.0,
        idle_timeout: float | None = None,
    ):
        self._authenticate = authenticate
        self.heartbeat_interval = heartbeat_interval
        # A client answers every heartbeat, so this much silence means it is gone.
        self.idle_timeout = idle_timeout if idle_timeout is not None else heartbeat_interval * 3 + 5
        self.id = uuid.uuid4().hex
        self._cond = threading.Condition()
        self._sids: dict[str, tuple[str, float]] = {}  # sid -> (username, issued at)
        self._connections: set[_Connection] = set()
        self._outbox: collections.deque[tuple[_Connection | None, str]] = collections.deque()
        self._dispatcher: threading.Thread | None = None
        self._closed = False

    # -- HTTP entry points -------------------------------------------------------------

    def handle_handshake(self, handler) -> None:
        """``GET /socket.io/1/``: check the API key, hand out a single-use sid."""
        query = parse_qs(urlsplit(handler.path).query)
        username = handler.headers.get("ftrack-user") or (query.get("api_user") or [""])[0]
        api_key = handler.headers.get("ftrack-api-key") or (query.get("api_key") or [""])[0]
        if not username or not api_key or not self._authenticate(username, api_key):
            self._reply(handler, 401, "The API user or API key was not accepted.")
            return
        sid = secrets.token_hex(16)
        now = time.monotonic()
        with self._cond:
            for stale in [s for s, (_, at) in self._sids.items() if now - at > SID_LIFETIME]:
                del self._sids[stale]
            self._sids[sid] = (username, now)
        body = f"{sid}:{ADVERTISED_HEARTBEAT_TIMEOUT}:{ADVERTISED_CLOSE_TIMEOUT}:websocket"
        self._reply(handler, 200, body)

    def handle_websocket(self, handler, sid: str) -> None:
        """``GET /socket.io/1/websocket/<sid>``: upgrade, then serve until the socket closes."""
        handler.close_connection = True
        sid = sid.split("?", 1)[0].strip("/")
        key = handler.headers.get("Sec-WebSocket-Key", "")
        if "websocket" not in handler.headers.get("Upgrade", "").lower() or not key:
            self._reply(handler, 400, "Expected a WebSocket upgrade.")
            return
        with self._cond:
            entry = self._sids.pop(sid, None)
            closed = self._closed
        if closed:
            self._reply(handler, 503, "The event hub is shutting down.")
            return
        if entry is None or time.monotonic() - entry[1] > SID_LIFETIME:
            self._reply(handler, 403, "Unknown or expired session id; handshake again.")
            return
        accept = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()
        sock = handler.connection
        sock.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode("ascii")
        )
        sock.settimeout(self.idle_timeout)
        conn = _Connection(sock, handler.rfile, entry[0])
        with self._cond:
            self._connections.add(conn)
            self._ensure_dispatcher()
        logger.info("event hub: %s connected", conn.username)
        try:
            conn.send_text("1::")
            self._serve(conn)
        except (WebSocketClosed, OSError, ValueError) as error:
            logger.debug("event hub: connection of %s ended: %s", conn.username, error)
        finally:
            with self._cond:
                self._connections.discard(conn)
            conn.shutdown()
            logger.info("event hub: %s disconnected", conn.username)

    # -- server-side API -----------------------------------------------------------------

    def publish(self, event: dict) -> dict:
        """Broadcast a server event (e.g. ``ftrack.update`` after a commit); returns it as sent."""
        event = dict(event)
        event.setdefault("id", uuid.uuid4().hex)
        event.setdefault("source", {"id": self.id, "user": {"username": "ftrack_devserver"}})
        clean = _clean_event(event)
        self._route(clean)
        return clean

    def close(self) -> None:
        """Close every connection and stop the dispatcher (server shutdown)."""
        with self._cond:
            self._closed = True
            connections = list(self._connections)
            self._outbox.clear()
            self._cond.notify_all()
            dispatcher = self._dispatcher
        for conn in connections:
            conn.shutdown()
        if dispatcher is not None and dispatcher is not threading.current_thread():
            dispatcher.join(timeout=5)

    @property
    def connection_count(self) -> int:
        with self._cond:
            return len(self._connections)

    # -- internals -----------------------------------------------------------------------

    @staticmethod
    def _reply(handler, status: int, body: str) -> None:
        data = body.encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "text/plain; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _serve(self, conn: _Connection) -> None:
        """Read WebSocket messages until close; each is one Socket.IO packet."""
        fragments: list[bytes] = []
        fragmented_opcode = None
        while True:
            fin, opcode, payload = _read_frame(conn.rfile)
            if opcode == OP_CLOSE:
                # Echo the close (RFC 6455 §5.5.1), then we are done.
                try:
                    conn.send_frame(OP_CLOSE, payload[:2])
                except WebSocketClosed:
                    pass
                return
            if opcode == OP_PING:
                conn.send_frame(OP_PONG, payload)
                continue
            if opcode == OP_PONG:
                continue
            if opcode == OP_CONTINUATION:
                if fragmented_opcode is None:
                    raise WebSocketClosed("continuation without a first fragment")
                fragments.append(payload)
            elif opcode in (OP_TEXT, OP_BINARY):
                if fragmented_opcode is not None:
                    raise WebSocketClosed("new message inside a fragmented one")
                fragmented_opcode, fragments = opcode, [payload]
            else:
                raise WebSocketClosed(f"unknown opcode {opcode}")
            if sum(len(f) for f in fragments) > MAX_MESSAGE_BYTES:
                raise WebSocketClosed("message too large")
            if fin:
                message = b"".join(fragments)
                fragments, fragmented_opcode = [], None
                if not self._handle_packet(conn, message.decode("utf-8")):
                    return

    def _handle_packet(self, conn: _Connection, packet: str) -> bool:
        """Act on one Socket.IO packet; False when the client disconnects."""
        parts = packet.split(":", 3)
        code = parts[0]
        packet_id = parts[1] if len(parts) > 1 else ""
        endpoint = parts[2] if len(parts) > 2 else ""
        data = parts[3] if len(parts) > 3 else ""
        if code == "0":
            return False
        if code == "1" and endpoint:
            conn.send_text(f"1::{endpoint}")  # joining a namespace is confirmed by echoing it
        elif code == "2":
            # Normally the answer to our heartbeat; answer only an unsolicited one, or the two
            # sides would ping-pong forever.
            if conn.awaiting_heartbeat:
                conn.awaiting_heartbeat = False
            else:
                conn.send_text("2::")
        elif code == "5":
            response = self._handle_event_packet(conn, data)
            self._acknowledge(conn, packet_id, endpoint, response)
        elif code in ("3", "4"):
            self._acknowledge(conn, packet_id, endpoint, {"success": True})
        return True

    @staticmethod
    def _acknowledge(conn: _Connection, packet_id: str, endpoint: str, response: dict) -> None:
        if not packet_id:
            return
        if packet_id.endswith("+"):  # the client wants data back with the ack
            conn.send_text(f"6::{endpoint}:{packet_id}{json.dumps([response])}")
        else:
            conn.send_text(f"6::{endpoint}:{packet_id}")

    def _handle_event_packet(self, conn: _Connection, data: str) -> dict:
        try:
            payload = json.loads(data)
            event = payload["args"][0]
            topic = event["topic"]
        except (ValueError, KeyError, IndexError, TypeError):
            return {"success": False, "message": "Expected an ftrack.event packet with one event."}
        if not isinstance(topic, str):
            return {"success": False, "message": "The event topic must be a string."}
        event_data = event.get("data") if isinstance(event.get("data"), dict) else {}
        source = event.get("source") if isinstance(event.get("source"), dict) else {}
        if isinstance(source.get("id"), str):
            conn.hub_ids.add(source["id"])
        if topic == "ftrack.meta.subscribe":
            subscriber = event_data.get("subscriber") or {}
            if not isinstance(subscriber.get("id"), str):
                return {"success": False, "message": "The subscriber has no id."}
            conn.subscribers[subscriber["id"]] = str(event_data.get("subscription", ""))
            return {"success": True}
        if topic == "ftrack.meta.unsubscribe":
            subscriber = event_data.get("subscriber") or {}
            conn.subscribers.pop(subscriber.get("id"), None)
            return {"success": True}
        self._route(_clean_event(event))
        return {"success": True}

    def _route(self, event: dict) -> None:
        text = "5:::" + json.dumps({"name": "ftrack.event", "args": [event]})
        targets: list[_Connection] | None = None
        target = event.get("target") or ""
        if event["topic"] == "ftrack.meta.reply" and target.startswith("id="):
            wanted = target[3:].strip().strip("\"'")
            with self._cond:
                targets = [c for c in self._connections if c.knows_id(wanted)]
            # Nobody claims that id (a client we have not heard from): let clients filter.
            targets = targets or None
        with self._cond:
            if self._closed:
                return
            if targets is None:
                self._outbox.append((None, text))
            else:
                self._outbox.extend((c, text) for c in targets)
            self._ensure_dispatcher()
            self._cond.notify_all()

    def _ensure_dispatcher(self) -> None:
        """Start the dispatcher if it is not running. Call with self._cond held."""
        if self._dispatcher is None and not self._closed:
            self._dispatcher = threading.Thread(target=self._dispatch, name="eventhub-dispatch", daemon=True)
            self._dispatcher.start()

    def _dispatch(self) -> None:
        """Send queued events and due heartbeats; exit when idle so nothing leaks."""
        while True:
            with self._cond:
                while not self._closed and not self._outbox and self._connections:
                    due = min(c.last_heartbeat_sent for c in self._connections) + self.heartbeat_interval
                    wait = due - time.monotonic()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                if self._closed or (not self._outbox and not self._connections):
                    self._dispatcher = None
                    return
                batch = list(self._outbox)
                self._outbox.clear()
                connections = list(self._connections)
            for target, text in batch:
                for conn in [target] if target is not None else connections:
                    self._send_or_drop(conn, text)
            now = time.monotonic()
            for conn in connections:
                if now - conn.last_heartbeat_sent >= self.heartbeat_interval:
                    conn.last_heartbeat_sent = now
                    conn.awaiting_heartbeat = True
                    self._send_or_drop(conn, "2::")

    def _send_or_drop(self, conn: _Connection, text: str) -> None:
        if not conn.open:
            return
        try:
            conn.send_text(text)
        except WebSocketClosed:
            # A client that cannot take data is dropped; its reading thread cleans up.
            conn.shutdown()


def _clean_event(event: dict) -> dict:
    """Keep only the keys ftrack_api accepts, with defaults for the missing ones."""
    if "inReplyToEvent" not in event and "in_reply_to_event" in event:
        event = {**event, "inReplyToEvent": event["in_reply_to_event"]}
    clean = {key: event.get(key) for key in EVENT_KEYS}
    clean["id"] = clean["id"] or uuid.uuid4().hex
    clean["data"] = clean["data"] if clean["data"] is not None else {}
    clean["source"] = clean["source"] if clean["source"] is not None else {}
    clean["target"] = clean["target"] or ""
    return clean
