"""HTTP front of the dev server: routing, authentication, faults, the request log.

Threaded (one thread per connection), so a multi-GB PUT never blocks API calls: uploads stream
to disk without taking the store lock.
"""

from __future__ import annotations

import hmac
import json
import logging
import mimetypes
import os
import re
import secrets
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import actions
from .errors import ApiError, InvalidCredentialsError, ValidationError
from .faults import Faults, RequestLog
from .store import Store
from .uploads import Files, Signer
from .visibility import Visibility, hidden_projects

logger = logging.getLogger(__name__)

try:
    from . import eventhub
except ImportError:  # written by another part; the server runs without it
    eventhub = None
try:
    from . import review
except ImportError:
    review = None

_FROM = re.compile(r"\bfrom\s+([A-Za-z_]+)")


class App:
    """Everything a request needs: store, files, faults, log, event hub."""

    def __init__(self, data_dir: str):
        self.data_dir = data_dir
        self.store = Store(data_dir)
        self.signer = Signer(self.store.setting("signing_secret", lambda: secrets.token_hex(32)))
        self.files = Files(data_dir, self.signer)
        self.faults = Faults()
        self.log = RequestLog()
        self.stopping = threading.Event()
        self.server_url = ""
        self.hub = eventhub.EventHub(self.authenticate) if eventhub is not None else None

    def authenticate(self, username: str, api_key: str) -> bool:
        expected = self.store.api_keys.get(username or "")
        if not expected or not api_key:
            return False
        if not hmac.compare_digest(expected.encode(), str(api_key).encode()):
            return False
        with self.store.lock:
            users = self.store.lookup("User", "username", username)
            return bool(users) and users[0].get("is_active", True) is not False

    def run_query(self, expression: str, username: str) -> list[dict]:
        return actions.run_query(self, expression, username)

    def component_path(self, component_id: str, username: str) -> str | None:
        """Path of a component's data if the component exists and *username* may see it.

        A file on disk alone proves nothing: data PUT to a signed URL whose component was never
        committed (or was rolled back) belongs to nobody, so no logged-in user may read it.
        """
        with self.store.lock:
            row = self.store.get("Component", (component_id,))
            if row is None:
                return None
            if not Visibility(self.store, hidden_projects(self.store, username)).visible(row):
                return None
        try:
            path = self.files.path(component_id)
        except ValidationError:
            return None
        return path if os.path.isfile(path) else None

    def publish_update(self, entities: list[dict], username: str) -> None:
        if self.hub is None:
            return
        try:
            self.hub.publish(
                {
                    "topic": "ftrack.update",
                    "data": {"entities": entities},
                    "sent": None,
                    "target": "",
                    "inReplyToEvent": None,
                }
            )
        except Exception:  # events are best effort; the commit already happened
            logger.exception("could not publish ftrack.update")

    def close(self) -> None:
        self.stopping.set()
        if self.hub is not None:
            self.hub.close()
        self.store.close()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ftrack_devserver"
    app: App  # set on the subclass made by make_server

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        # Request lines carry API keys in /component/get query strings: never log them.
        pass

    # -- response helpers ------------------------------------------------------------------------
    def send_bytes(
        self, status: int, body: bytes, content_type: str, extra_headers: dict | None = None
    ) -> None:
        self.flush_log(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_plain(self, status: int, text: str, extra_headers: dict | None = None) -> None:
        self.send_bytes(status, text.encode(), "text/plain; charset=utf-8", extra_headers)

    def send_json(self, status: int, value) -> None:
        self.send_bytes(status, actions.dumps(value), "application/json")

    def flush_log(self, status: int) -> None:
        """Record a pending log entry before replying, so a client that reads the log right after
        the reply always finds its request in it."""
        entry, self.pending_log = getattr(self, "pending_log", None), None
        if entry is not None:
            started = entry.pop("started")
            entry.setdefault("status", "ok" if status < 400 else "error")
            self.app.log.add(**entry, duration_ms=(time.monotonic() - started) * 1000)

    def read_body(self, limit: int = 256 * 1024 * 1024) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            raise ValidationError("Request body too large.")
        return self.rfile.read(length) if length else b""

    def params(self) -> dict:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}

    # -- faults ----------------------------------------------------------------------------------
    def injected_failure(self, action: str, user: str | None, call: int | None = None) -> bool:
        """Apply latency, and fail the request now if the dice say so (before any work)."""
        faults = self.app.faults
        faults.delay()
        if not faults.should_fail():
            return False
        self.close_connection = True
        self.pending_log = {"action": action, "entity_type": None, "user": user, "status": "fault",
                            "call": call, "started": time.monotonic()}  # fmt: skip
        if faults.fail_mode != "500":
            self.flush_log(0)
        if faults.fail_mode == "reset":
            # SO_LINGER 0 makes close() send a TCP RST: the client sees "connection reset".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        elif faults.fail_mode == "hang":
            self.app.stopping.wait(3600)
        else:
            body = {
                "exception": "ServerError",
                "content": "Injected fault: internal server error.",
                "error_code": None,
            }
            self.send_json(500, body)
        return True

    # -- routing ---------------------------------------------------------------------------------
    def do_GET(self):  # noqa: N802 - stdlib naming
        path = urlsplit(self.path).path
        if path.startswith("/review") and review is not None:
            return review.handle(self, self.app)
        if path == "/socket.io/1/" and self.app.hub is not None:
            return self.app.hub.handle_handshake(self)
        if path.startswith("/socket.io/1/websocket/") and self.app.hub is not None:
            return self.app.hub.handle_websocket(self, path.rsplit("/", 1)[-1])
        if path in ("/component/get", "/component/thumbnail"):
            return self._download()
        if path == "/component/remove":
            return self._remove()
        if path == "/_devserver/requests":
            since = int(self.params().get("since") or 0)
            return self.send_json(200, self.app.log.since(since))
        if path == "/_devserver/faults":
            return self.send_json(200, self.app.faults.as_dict())
        if path == "/":
            return self.send_plain(200, "ftrack_devserver: POST /api, see docs/ftrack-devserver.md\n")
        self.send_plain(404, "Not found.")

    do_HEAD = do_GET  # noqa: N815

    def do_POST(self):  # noqa: N802
        path = urlsplit(self.path).path
        if path == "/api":
            return self._api()
        if path.startswith("/review") and review is not None:
            return review.handle(self, self.app)
        if path == "/_devserver/faults":
            try:
                values = json.loads(self.read_body() or b"{}")
                if not isinstance(values, dict):
                    raise ValueError("Send a JSON object.")
                result = self.app.faults.configure(values, reset=not values)
            except (ValueError, TypeError) as error:
                return self.send_json(400, {"error": str(error)})
            return self.send_json(200, result)
        self.read_body()
        self.send_plain(404, "Not found.")

    def do_PUT(self):  # noqa: N802
        path = urlsplit(self.path).path
        if not path.startswith("/upload/"):
            self.close_connection = True
            return self.send_plain(404, "Not found.")
        if self.injected_failure("upload", None):
            return
        self.pending_log = {
            "action": "upload",
            "entity_type": None,
            "user": None,
            "started": time.monotonic(),
        }
        try:
            self.app.files.handle_put(self, path, self.params(), self.app.faults.put_bandwidth)
        except ValidationError as error:
            self.close_connection = True
            self.send_plain(400, error.content)

    def do_DELETE(self):  # noqa: N802
        if urlsplit(self.path).path == "/_devserver/requests":
            self.app.log.clear()
            return self.send_json(200, {"cleared": True})
        self.send_plain(404, "Not found.")

    # -- /api ------------------------------------------------------------------------------------
    def _api(self):
        started = time.monotonic()
        username = self.headers.get("ftrack-user") or ""
        strict = (self.headers.get("ftrack-strict-api") or "").lower() == "true"
        try:
            body = self.read_body()
        except ValidationError as error:
            self.close_connection = True
            return self.send_json(413 if strict else 200, actions.error_body(error))
        # One id per request, shared by its operations: clients count round trips with it.
        call_id = self.app.log.next_call()
        if self.injected_failure("api", username, call_id):
            return
        operations: list = []
        try:
            if not self.app.authenticate(username, self.headers.get("ftrack-api-key") or ""):
                raise InvalidCredentialsError("The supplied API key is not valid for this user.")
            try:
                operations = json.loads(body or b"null")
            except ValueError:
                raise ValidationError("The request body is not valid JSON.")
            results = actions.execute(self.app, username, operations)
            status, reply, outcome = 200, results, "ok"
        except ApiError as error:
            status, reply, outcome = (error.status if strict else 200), actions.error_body(error), "error"
        except Exception:
            logger.exception("unexpected error in /api")
            status, reply, outcome = (500 if strict else 200), actions.error_body(Exception()), "error"
        duration = (time.monotonic() - started) * 1000
        for op in operations if isinstance(operations, list) and operations else [{}]:
            op = op if isinstance(op, dict) else {}
            entity_type = op.get("entity_type")
            if entity_type is None and isinstance(op.get("expression"), str):
                found = _FROM.search(op["expression"])
                entity_type = found.group(1) if found else None
            self.app.log.add(
                action=op.get("action") or "api",
                entity_type=entity_type,
                user=username,
                status=outcome,
                duration_ms=duration,
                call=call_id,
            )
        self.send_json(status, reply)

    # -- files -----------------------------------------------------------------------------------
    def _authorised_component(self) -> str | None:
        """Component id of a download/remove request if its credentials or signature are good."""
        params = self.params()
        component_id = params.get("id") or ""
        if "signature" in params:
            if self.app.signer.check(params["signature"], params.get("expires", ""), "get", component_id):
                return component_id
        elif self.app.authenticate(params.get("username", ""), params.get("apiKey", "")):
            # Same rule as the review page: no Component row (never committed), no data.
            with self.app.store.lock:
                row = self.app.store.get("Component", (component_id,))
                hidden = hidden_projects(self.app.store, params["username"])
                if row is None or not Visibility(self.app.store, hidden).visible(row):
                    self.send_plain(404, "No data for this component.")
                    return None
            return component_id
        self.send_plain(401, "Invalid credentials.")
        return None

    def _download(self):
        self.pending_log = {"action": "download", "entity_type": "Component", "user": self.params().get("username"),
                            "started": time.monotonic()}  # fmt: skip
        component_id = self._authorised_component()
        if component_id is None:
            return
        try:
            content_type = None
            with self.app.store.lock:
                row = self.app.store.get("Component", (component_id,))
            if row is not None and row.get("file_type"):
                content_type = mimetypes.guess_type("x" + row["file_type"])[0]
            self.app.files.send(self, component_id, content_type)
        except ValidationError as error:
            self.send_plain(400, error.content)

    def _remove(self):
        component_id = self._authorised_component()
        if component_id is None:
            return
        try:
            removed = self.app.files.remove(component_id)
        except ValidationError as error:
            return self.send_plain(400, error.content)
        self.send_json(200, {"removed": removed})


def make_server(app: App, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"app": app})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    bound_host, bound_port = server.server_address[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    app.server_url = f"http://{shown}:{bound_port}"
    return server
