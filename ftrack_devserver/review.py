"""The dev server's review page: ``/review/``.

A producer logs in with an ftrack user name and API key, sees the versions they may see
(newest first, with thumbnail, status, author, comment, notes and their recipients) and
opens one to play its ``ftrackreview-mp4`` in a ``<video>`` element.

The API key is checked once at login and then forgotten: the browser holds only a random
session token in an HttpOnly, SameSite=Lax cookie, and the server keeps token -> user name.
Media is served from ``/review/media/<component id>`` on that cookie (with Range support so
the browser can seek), never through ``/component/get`` whose URL would carry the key.

The server's ``app`` provides ``authenticate(username, api_key)``,
``run_query(expression, username)`` (visibility applied), ``component_path(component_id,
username)`` and ``server_url``.
"""

from __future__ import annotations

import mimetypes
import os
import re
import secrets
import threading
import time
import weakref
from dataclasses import dataclass, field
from http import cookies
from urllib.parse import parse_qsl, urlsplit

from ftrack_devserver import review_templates as templates

COOKIE_NAME = "review_session"
SESSION_LIFETIME = 12 * 3600
MAX_FORM_BYTES = 64 * 1024
COPY_CHUNK = 1024 * 1024
VERSION_LIMIT = 100
ID_PATTERN = re.compile(r"^[0-9A-Za-z-]{1,64}$")
# Review component names in order of preference (FTRACK-PROTOCOL §5.1).
VIDEO_NAMES = ("ftrackreview-mp4", "ftrackreview-mp4-1080", "ftrackreview-mp4-1440", "ftrackreview-mp4-2160")
IMAGE_NAMES = ("ftrackreview-image", "ftrackreview-image-high")
VERSION_FIELDS = (
    "id, version, comment, date, asset.name, asset.parent.name, asset.parent.parent.name, task.name, user.username, user.first_name, user.last_name, "
    "thumbnail_id, status.name, components.name, components.id"
)
# Files stored without an extension are recognised by their first bytes.
MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG", "image/png"), (b"\x1aE\xdf\xa3", "video/webm"))


@dataclass
class NoteView:
    author: str
    date: str
    content: str
    recipients: list[str] = field(default_factory=list)


@dataclass
class VersionView:
    id: str
    title: str
    context: str  # "sq010 / sh010 / compositing"
    status: str
    author: str
    date: str
    comment: str
    thumbnail_id: str | None
    video_id: str | None
    image_id: str | None
    components: list[tuple[str, str]]
    notes: list[NoteView] = field(default_factory=list)


class _Sessions:
    """token -> (user name, expiry); one store per server app."""

    def __init__(self):
        self._lock = threading.Lock()
        self._data: dict[str, tuple[str, float]] = {}

    def create(self, username: str) -> str:
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            for stale in [t for t, (_, exp) in self._data.items() if exp < now]:
                del self._data[stale]
            self._data[token] = (username, now + SESSION_LIFETIME)
        return token

    def user(self, token: str | None) -> str | None:
        if not token:
            return None
        with self._lock:
            entry = self._data.get(token)
        if entry is None or entry[1] < time.time():
            return None
        return entry[0]

    def drop(self, token: str | None) -> None:
        with self._lock:
            self._data.pop(token or "", None)


_stores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def _sessions(app) -> _Sessions:
    with _stores_lock:
        store = _stores.get(app)
        if store is None:
            store = _stores[app] = _Sessions()
        return store


def handle(handler, app) -> None:
    """Serve one ``GET|HEAD|POST /review...`` request."""
    path = urlsplit(handler.path).path
    method = handler.command
    token = _cookie(handler)
    username = _sessions(app).user(token)

    if path == "/review":
        return _redirect(handler, "/review/")
    if path == "/review/login":
        if method == "POST":
            return _login(handler, app)
        return _html(handler, 200, templates.login_page())
    if path == "/review/logout" and method == "POST":
        if not _same_origin(handler):
            return _html(handler, 403, templates.message_page("Forbidden", "Cross-site request refused."))
        _sessions(app).drop(token)
        return _redirect(handler, "/review/login", clear_cookie=True)
    if method not in ("GET", "HEAD"):
        return _html(handler, 405, templates.message_page("Not allowed", "This page only answers GET."))

    media = re.fullmatch(r"/review/media/([^/]+)", path)
    if media:
        if username is None:
            return _plain(handler, 401, "Log in to the review page first.")
        return _media(handler, app, username, media.group(1))
    if username is None:
        return _redirect(handler, "/review/login")
    if path == "/review/":
        versions = _versions(app, username, "")
        return _html(handler, 200, templates.versions_page(username, versions))
    version = re.fullmatch(r"/review/version/([^/]+)", path)
    if version and ID_PATTERN.match(version.group(1)):
        found = _versions(app, username, f'where id is "{version.group(1)}" ')
        if found:
            return _html(handler, 200, templates.version_page(username, found[0]))
    return _html(handler, 404, templates.message_page("Not found", "There is nothing to review here."))


# -- login -------------------------------------------------------------------------------


def _login(handler, app) -> None:
    if not _same_origin(handler):
        return _html(handler, 403, templates.message_page("Forbidden", "Cross-site request refused."))
    length = int(handler.headers.get("Content-Length") or 0)
    if length > MAX_FORM_BYTES:
        return _html(handler, 413, templates.message_page("Too large", "The form is too large."))
    form = dict(parse_qsl(handler.rfile.read(length).decode("utf-8", "replace")))
    username = form.get("username", "").strip()
    api_key = form.get("api_key", "").strip()
    if not username or not api_key or not app.authenticate(username, api_key):
        page = templates.login_page(username=username, error="The user name or API key was not accepted.")
        return _html(handler, 401, page)
    token = _sessions(app).create(username)
    return _redirect(handler, "/review/", cookie=token, secure=str(app.server_url).startswith("https"))


def _cookie(handler) -> str | None:
    jar = cookies.SimpleCookie()
    try:
        jar.load(handler.headers.get("Cookie", ""))
    except cookies.CookieError:
        return None
    morsel = jar.get(COOKIE_NAME)
    return morsel.value if morsel else None


def _same_origin(handler) -> bool:
    """SameSite=Lax already keeps the cookie off cross-site POSTs; this also stops login CSRF."""
    origin = handler.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == handler.headers.get("Host", "")


# -- data --------------------------------------------------------------------------------


def _versions(app, username: str, where: str) -> list[VersionView]:
    """Versions (with notes and recipients) as the user may see them, newest first."""
    rows = app.run_query(
        f"select {VERSION_FIELDS} from AssetVersion {where}order by date descending limit {VERSION_LIMIT}",
        username,
    )
    index = _Index(rows)
    notes_by_version: dict[str, list[NoteView]] = {}
    version_ids = [row["id"] for row in rows]
    if version_ids:
        note_rows = app.run_query(
            "select id, content, date, parent_id, user_id from Note "
            f"where parent_id in ({_quoted(version_ids)}) order by date ascending",
            username,
        )
        recipients: dict[str, list[str]] = {}
        if note_rows:
            for row in app.run_query(
                "select note_id, resource_id from Recipient "
                f"where note_id in ({_quoted([n['id'] for n in note_rows])})",
                username,
            ):
                recipients.setdefault(row["note_id"], []).append(row["resource_id"])
        user_ids = {n.get("user_id") for n in note_rows} | {r for rs in recipients.values() for r in rs}
        names = _user_names(app, username, sorted(i for i in user_ids if i))
        for note in note_rows:
            view = NoteView(
                author=names.get(note.get("user_id"), "unknown"),
                date=_date(note.get("date")),
                content=note.get("content") or "",
                recipients=[names.get(r, "a group") for r in recipients.get(note["id"], [])],
            )
            notes_by_version.setdefault(note.get("parent_id"), []).append(view)

    views = []
    for row in rows:
        asset, user = index.get(row.get("asset")), index.get(row.get("user"))
        components = [
            (c.get("name") or "", c["id"]) for c in map(index.get, row.get("components") or []) if c
        ]
        by_name = {name: cid for name, cid in components}
        parent = index.get(asset.get("parent"))
        path = [
            index.get(parent.get("parent")).get("name"),
            parent.get("name"),
            index.get(row.get("task")).get("name"),
        ]
        views.append(
            VersionView(
                id=row["id"],
                title=f"{asset.get('name', 'Untitled')} v{row.get('version') or '?'}",
                context=" / ".join(p for p in path if p),
                status=index.get(row.get("status")).get("name", ""),
                author=_display_name(user),
                date=_date(row.get("date")),
                comment=row.get("comment") or "",
                thumbnail_id=row.get("thumbnail_id"),
                video_id=next((by_name[n] for n in VIDEO_NAMES if n in by_name), None),
                image_id=next((by_name[n] for n in IMAGE_NAMES if n in by_name), None),
                components=components,
                notes=notes_by_version.get(row["id"], []),
            )
        )
    return views


def _user_names(app, username: str, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = app.run_query(
        f"select id, username, first_name, last_name from User where id in ({_quoted(ids)})", username
    )
    return {row["id"]: _display_name(row) for row in rows}


def _display_name(user: dict) -> str:
    full = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    return full or user.get("username") or "unknown"


def _quoted(ids) -> str:
    # Ids come from the server's own answers, but keep anything odd out of the expression anyway.
    return ", ".join(f'"{i}"' for i in ids if ID_PATTERN.match(str(i)))


def _date(value) -> str:
    if isinstance(value, dict):
        value = value.get("value")
    return str(value or "").replace("T", " ")[:16]


class _Index:
    """Resolves bare entity references: the API may send an entity in full only once."""

    def __init__(self, rows):
        self._full: dict[tuple[str, str], dict] = {}
        self._walk(rows)

    def _walk(self, value):
        if isinstance(value, list):
            for item in value:
                self._walk(item)
        elif isinstance(value, dict):
            if "__entity_type__" in value and "id" in value:
                self._full.setdefault((value["__entity_type__"], value["id"]), {}).update(value)
            for item in value.values():
                self._walk(item)

    def get(self, ref) -> dict:
        if not isinstance(ref, dict):
            return {}
        return self._full.get((ref.get("__entity_type__"), ref.get("id")), ref)


# -- media -------------------------------------------------------------------------------


def _media(handler, app, username: str, component_id: str) -> None:
    path = app.component_path(component_id, username) if ID_PATTERN.match(component_id) else None
    if not path or not os.path.isfile(path):
        return _plain(handler, 404, "No such media.")
    size = os.path.getsize(path)
    start, end = 0, size - 1
    status = 200
    range_header = handler.headers.get("Range")
    if range_header:
        parsed = _parse_range(range_header, size)
        if parsed is None:
            handler.send_response(416)
            handler.send_header("Content-Range", f"bytes */{size}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        start, end = parsed
        status = 206
    handler.send_response(status)
    handler.send_header("Content-Type", _content_type(path))
    handler.send_header("Accept-Ranges", "bytes")
    handler.send_header("Content-Length", str(end - start + 1))
    handler.send_header("Cache-Control", "private, max-age=3600")
    handler.send_header("X-Content-Type-Options", "nosniff")
    if status == 206:
        handler.send_header("Content-Range", f"bytes {start}-{end}/{size}")
    handler.end_headers()
    if handler.command == "HEAD":
        return
    with open(path, "rb") as source:
        source.seek(start)
        remaining = end - start + 1
        try:
            while remaining > 0:
                chunk = source.read(min(COPY_CHUNK, remaining))
                if not chunk:
                    break
                handler.wfile.write(chunk)
                remaining -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # browsers drop video requests when seeking


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """One ``bytes=a-b`` / ``a-`` / ``-n`` range; None if unsatisfiable. Several ranges: the first."""
    match = re.fullmatch(r"\s*bytes=\s*(\d*)\s*-\s*(\d*)\s*(,.*)?", header)
    if not match or (not match.group(1) and not match.group(2)) or size == 0:
        return None
    first, last = match.group(1), match.group(2)
    if not first:
        start, end = max(0, size - int(last)), size - 1
        return (start, end) if int(last) > 0 else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return None
    return start, end


def _content_type(path: str) -> str:
    guessed = mimetypes.guess_type(path)[0]
    if guessed:
        return guessed
    with open(path, "rb") as source:
        head = source.read(12)
    if head[4:8] == b"ftyp":
        return "video/mp4"
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), "application/octet-stream")


# -- responses ---------------------------------------------------------------------------

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # Not "no-referrer": with it browsers send "Origin: null" on our own form posts.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _html(handler, status: int, page: str) -> None:
    _send(handler, status, page.encode("utf-8"), "text/html; charset=utf-8")


def _plain(handler, status: int, text: str) -> None:
    _send(handler, status, text.encode("utf-8"), "text/plain; charset=utf-8")


def _send(handler, status: int, body: bytes, content_type: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in SECURITY_HEADERS.items():
        handler.send_header(name, value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def _redirect(handler, location: str, *, cookie=None, secure=False, clear_cookie=False) -> None:
    handler.send_response(303)
    handler.send_header("Location", location)
    handler.send_header("Content-Length", "0")
    handler.send_header("Cache-Control", "no-store")
    flags = "Path=/review; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
    if cookie:
        handler.send_header("Set-Cookie", f"{COOKIE_NAME}={cookie}; {flags}; Max-Age={SESSION_LIFETIME}")
    elif clear_cookie:
        handler.send_header("Set-Cookie", f"{COOKIE_NAME}=; {flags}; Max-Age=0")
    handler.end_headers()
