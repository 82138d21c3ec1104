"""ftrack sessions: one per (portal user, credential version), pooled per process.

Opening a session costs one or two round trips (server information, schemas) and builds every
entity class, so a worker keeps each user's session for the next job. The pool is bounded (least
recently used goes first), drops sessions idle for longer than FTRACK_SESSION_IDLE_TIMEOUT, and a
credential change (its ``version`` goes up) retires the old session. Schemas are cached on disk per
server; the client re-downloads them only when the server's ``schema_hash`` changes.

A session is keyed by ``(user pk, kind, credential pk, version, ftrack username)``: ``kind`` is
"personal" (the user's own key: browsing, notes, and publishing where no service key applies) or
"service" (a project's service key acting as the user, chosen by ``credential_for_publish``). One
user can hold both at once; a new version of either retires only that credential's old session.

Sessions are not thread-safe, so whoever uses one holds its lock (``use_session``).
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import ftrack_api
import ftrack_api.exception
import requests
from celery.signals import worker_process_shutdown, worker_shutdown
from django.conf import settings

from publishing.core.errors import FtrackCredentialRejected, classify
from publishing.ftrack.cache import build_session_cache
from publishing.ftrack.lookups import q

log = logging.getLogger(__name__)

# Actions that only read: safe to send again when the connection dropped or the server hiccuped.
_READ_ONLY_ACTIONS = {"query", "query_server_information", "query_schemas", "get_upload_metadata"}


def server_url() -> str:
    return settings.FTRACK_SERVER.rstrip("/")


class PortalSession(ftrack_api.Session):
    """The real client, plus a few quick in-place retries of read-only calls.

    Reads are idempotent, so a dropped connection or a 5xx on a query is retried here (bounded,
    with a short backoff) instead of failing the whole publish stage. Commits and encode requests
    are never retried here: the publisher checks what exists in ftrack before trying those again.
    """

    read_retries = 4

    def call(self, data):
        actions = {op.get("action") for op in data if isinstance(op, dict)}
        if not actions or not actions <= _READ_ONLY_ACTIONS:
            return super().call(data)
        delay = 0.05
        for attempt in range(self.read_retries + 1):
            try:
                return super().call(data)
            except Exception as exc:  # noqa: BLE001 - classified below
                if attempt == self.read_retries or not classify(exc).retryable:
                    raise
                time.sleep(delay)  # backoff between real retries, not synchronisation
                delay = min(delay * 2, 1.0)


def schema_cache_dir(url: str) -> str:
    """One folder per server: the client's cache file name is fixed, so servers must not share it."""
    base = settings.FTRACK_SCHEMA_CACHE_DIR or os.path.join(str(settings.BASE_DIR), "var", "ftrack-schemas")
    path = os.path.join(str(base), hashlib.sha1(url.encode()).hexdigest()[:12])
    os.makedirs(path, exist_ok=True)
    return path


def open_session(api_user: str, api_key: str, *, cache=None) -> ftrack_api.Session:
    """Open a real ftrack session with the portal's options; errors are PublishErrors."""
    url = server_url()
    try:
        return PortalSession(
            server_url=url,
            api_user=api_user,
            api_key=api_key,
            auto_connect_event_hub=False,
            schema_cache_path=schema_cache_dir(url),
            plugin_paths=list(settings.FTRACK_PLUGIN_PATHS),
            plugin_arguments=dict(settings.FTRACK_PLUGIN_ARGUMENTS),
            timeout=settings.FTRACK_TIMEOUT,
            cache=cache,
        )
    except Exception as exc:
        raise classify(exc, api_user=api_user) from None


def verify_credential(api_user: str, api_key: str) -> dict:
    """Check a key against ftrack and return the ftrack User it belongs to.

    Raises FtrackCredentialRejected or FtrackUnavailable (both PublishError).
    """
    session = open_session(api_user, api_key)
    try:
        users = session.query(
            f'select id, username, first_name, last_name, email from User where username is "{q(api_user)}"'
        ).all()
        if not users:
            raise FtrackCredentialRejected(api_user)
        user = users[0]
        return {
            "id": user["id"],
            "username": user["username"],
            "name": " ".join(p for p in (user["first_name"], user["last_name"]) if p) or user["username"],
            "email": user["email"] or "",
        }
    except (ftrack_api.exception.Error, requests.RequestException, ValueError) as exc:
        raise classify(exc, api_user=api_user) from None
    finally:
        session.close()


class Identity(Protocol):
    """Who a session acts as. The vault makes these (``publishing.vault``); this package never reads
    credentials itself. ``version_key`` changes whenever the key or the username changes: the pool
    keys sessions by it, so a new key retires the old session."""

    @property
    def api_user(self) -> str: ...

    @property
    def version_key(self) -> tuple: ...

    def secret(self) -> str:
        """The plain API key, asked for only when a session has to be opened."""
        ...


_personal_identity: Callable[[Any], Identity] | None = None


def set_personal_identity(resolver: Callable[[Any], Identity]) -> None:
    """Install how a portal user's own ftrack identity is found (done once, in the app's ready())."""
    global _personal_identity
    _personal_identity = resolver


def personal_identity(user) -> Identity:
    """The user's own ftrack identity; raises MissingCredential when they have none."""
    if _personal_identity is None:
        raise RuntimeError("no personal identity resolver installed (publishing.apps.ready)")
    return _personal_identity(user)


@dataclass
class _Entry:
    session: ftrack_api.Session
    user_id: int
    credential_key: tuple  # (user, kind, credential, version, api_user): see _superseded
    api_user: str
    last_used: float = field(default_factory=time.monotonic)
    lock: threading.RLock = field(default_factory=threading.RLock)


class SessionPool:
    def __init__(self, size: int, idle_timeout: float) -> None:
        self.size = max(1, size)
        self.idle_timeout = idle_timeout
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def entry_for(self, user, chosen: Identity | None = None) -> _Entry:
        """The pooled session of ``user``: with ``chosen`` that identity, else the user's personal key."""
        identity = chosen if chosen is not None else personal_identity(user)
        api_user = identity.api_user
        key = (user.pk, *identity.version_key)
        with self._lock:
            self._forget_if_forked()
            retired = self._retire(key)
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                entry.last_used = time.monotonic()
        for old in retired:
            _close_quietly(old)
        if entry is not None:
            return entry

        session = open_session(
            api_user,
            identity.secret(),
            # Namespaced by the ftrack username, not the key: a service key acts as that same
            # ftrack user (same permissions), so both sessions may share what either has read.
            cache=build_session_cache(f"{user.pk}-{api_user}"),
        )
        entry = _Entry(session, user.pk, key, api_user)
        with self._lock:
            existing = self._entries.get(key)
            if existing is not None:  # another thread opened one meanwhile; keep the first
                _close_quietly(entry)
                return existing
            self._entries[key] = entry
            evicted = []
            while len(self._entries) > self.size:
                _, oldest = self._entries.popitem(last=False)
                evicted.append(oldest)
        for old in evicted:
            _close_quietly(old)
        return entry

    def _retire(self, current: tuple) -> list[_Entry]:
        """Drop idle sessions and sessions of an older version of the credential in ``current`` (lock held)."""
        now = time.monotonic()
        gone = []
        for key, entry in list(self._entries.items()):
            if now - entry.last_used > self.idle_timeout or _superseded(key, current):
                gone.append(self._entries.pop(key))
        return gone

    def _forget_if_forked(self) -> None:
        # A forked worker child must not share its parent's sockets.
        if os.getpid() != self._pid:
            self._entries.clear()
            self._pid = os.getpid()

    def discard(self, user, chosen=None) -> None:
        """Close ``user``'s sessions: all of them, or only the one of ``chosen``."""
        with self._lock:
            if chosen is None:
                gone = [self._entries.pop(k) for k in list(self._entries) if k[0] == user.pk]
            else:
                entry = self._entries.pop((user.pk, *chosen.version_key), None)
                gone = [entry] if entry is not None else []
        for old in gone:
            _close_quietly(old)

    def close_all(self, *, quiet: bool = False) -> None:
        with self._lock:
            gone = list(self._entries.values())
            self._entries.clear()
        for old in gone:
            _close_quietly(old)
        if gone and not quiet:
            # One line per process that had sessions: operators (and a test) can see shutdown logged out.
            log.info("closed %d ftrack session(s) in process %d", len(gone), os.getpid())

    def __len__(self) -> int:
        return len(self._entries)


def _superseded(key: tuple, current: tuple) -> bool:
    """Whether the pooled ``key`` holds an older state of the credential ``current`` names.

    Keys are ``(user pk, kind, credential pk, version, ftrack username)``. Only the same user's
    sessions are compared (as before): closing another user's session could wait on a job that
    is using it, and that user's next request retires it anyway. A user has one personal
    credential, so any other personal key of theirs is stale (new key, new username, recreated);
    a service session is stale when the same project key has a new version or the user a new
    ftrack username. Other credentials are left alone, so publishing with a service key does not
    close the personal session the same user browses with.
    """
    if key == current or key[0] != current[0] or key[1] != current[1]:
        return False
    return current[1] != "service" or key[2] == current[2]


def _close_quietly(entry: _Entry) -> None:
    try:
        with entry.lock:
            entry.session.close()
    except Exception:  # closing is best effort
        log.debug("closing ftrack session failed", exc_info=True)


_pool: SessionPool | None = None
_pool_lock = threading.Lock()


def pool() -> SessionPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = SessionPool(
                size=int(settings.FTRACK_SESSION_POOL_SIZE),
                idle_timeout=float(settings.FTRACK_SESSION_IDLE_TIMEOUT),
            )
        return _pool


def session_for(user, chosen=None) -> ftrack_api.Session:
    """The pooled session of ``user`` (worker side: one job at a time per process)."""
    return pool().entry_for(user, chosen).session


@contextmanager
def use_session(user, chosen=None):
    """Borrow the pooled session of ``user`` for exclusive use by this thread.

    ``chosen`` (from ``credential_for_publish``) picks the identity a publish runs as; without it
    the user's personal key is used (browsing, reviewer look-ups, thumbnails).
    """
    entry = pool().entry_for(user, chosen)
    with entry.lock:
        yield entry.session


def close_all_sessions() -> None:
    if _pool is not None:
        _pool.close_all()


def reset_pool() -> None:
    """Close every session and forget the pool, so the next use builds one from current settings
    (pool size, idle timeout, server): for tests and for a process that switches servers."""
    global _pool
    with _pool_lock:
        old, _pool = _pool, None
    if old is not None:
        old.close_all(quiet=True)


def _close_at_exit() -> None:
    # Quietly: at interpreter exit the log handlers' streams may already be closed (pytest's
    # capture, a stopped worker's stdout), and a log call would print a "Logging error" traceback.
    if _pool is not None:
        _pool.close_all(quiet=True)


atexit.register(_close_at_exit)


@worker_process_shutdown.connect
@worker_shutdown.connect
def _close_at_worker_shutdown(**_kwargs) -> None:
    # A Celery worker logs out of ftrack cleanly instead of leaving sockets to the OS.
    close_all_sessions()
