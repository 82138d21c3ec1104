"""Shared fixtures: the cast (producer, coordinator, admin, outsider), clients, Redis, ftrack dev server.

Every test gets private staging and partial-upload folders, so nothing lands in var/.
"""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

# pytest-playwright keeps an event loop running in the main thread for the whole session; Django's
# async-safety guard would then refuse every ORM call made by a test body after the first browser test.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from factories import make_user  # noqa: E402

# The real-worker fixtures (pipeline, worker, smtp_sink, ...) for every folder that needs them.
pytest_plugins = ["pipeline_fixtures"]


def _django_active(config) -> bool:
    return config.pluginmanager.hasplugin("django")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests use a private database file rather than shared memory.

    With in-memory SQLite, Django hands the live server's request threads one shared connection;
    concurrent requests (two PATCHes racing) then interleave on it. A file gives each thread its own
    connection and real SQLite locking, and a private path keeps parallel pytest runs apart.
    """
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(autouse=True)
def _private_media_dirs(request, tmp_path_factory):
    if not _django_active(request.config):
        yield None
        return
    settings = request.getfixturevalue("settings")
    root = tmp_path_factory.mktemp("media")
    settings.UPLOAD_PARTIAL_DIR = root / "partial"
    settings.STORAGES = {
        **settings.STORAGES,
        "staging": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root / "staging"},
        },
    }
    # Rate-limit counters are per user id, and ids repeat across tests and across runs sharing the
    # Redis: each test counts under a prefix of its own.
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {**settings.CACHES["ratelimit"], "KEY_PREFIX": f"test-ratelimit-{uuid.uuid4().hex}"},
    }
    # Users are created in nearly every test; the real hasher costs ~0.3 s a password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield root


# --- the cast -------------------------------------------------------------------------------------
@pytest.fixture
def producer(db):
    return make_user("pia.producer", role="producer")


@pytest.fixture
def other_producer(db):
    return make_user("paul.producer", role="producer")


@pytest.fixture
def coordinator(db):
    return make_user("cora.coordinator", role="coordinator")


@pytest.fixture
def admin_user(db):
    """A portal admin (admin group, staff for the admin site) — not a superuser."""
    return make_user("ada.admin", role="admin", is_staff=True)


@pytest.fixture
def outsider(db):
    """Logged in, but in no group: must be refused everything."""
    return make_user("olaf.outsider")


@pytest.fixture
def client_for(db):
    """client_for(user) -> a Django test client logged in as that user."""
    from django.test import Client

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


# --- Redis ----------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A Redis that answers: REDIS_URL, else the local default, else a private redis-server."""
    for url in (os.environ.get("REDIS_URL"), "redis://127.0.0.1:6379/0"):
        if url and _redis_answers(url):
            yield url
            return
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("no Redis answers and redis-server is not installed")
    # redis-server cannot listen on port 0, so pick a free port (a tiny race we accept in tests).
    port = _free_port()
    data = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not _redis_answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("private redis-server did not start")
        time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


# --- ftrack dev server ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def ftrack_server(tmp_path_factory):
    """The ftrack dev server with the demo seed, shared by the session (see docs/internals.md)."""
    # Imported lazily: tests that never talk to ftrack must not depend on the dev server's module.
    start_devserver = importlib.import_module("devserver_fixtures").start_devserver
    server = start_devserver(tmp_path_factory.mktemp("ftrack"), seed="demo")
    yield server
    server.stop()


# --- tus ------------------------------------------------------------------------------------------
@pytest.fixture
def tus_endpoint(live_server) -> str:
    return f"{live_server.url}/api/uploads/"


@pytest.fixture
def tus_headers(db):
    """tus_headers(user) -> headers for a script: Tus-Resumable plus the user's API token."""
    from factories import make_token

    def make(user) -> dict[str, str]:
        return {"Tus-Resumable": "1.0.0", "Authorization": f"Token {make_token(user)}"}

    return make


@pytest.fixture
def portal_on_devserver(settings, ftrack_server, redis_url, tmp_path_factory):
    """The portal pointed at the dev server and the test Redis, with a fresh session pool and no
    cached ftrack answers of this server (portal user ids repeat across tests)."""
    from factories import flush_namespace

    from publishing.ftrack import sessions

    settings.FTRACK_SERVER = ftrack_server.url
    settings.REDIS_URL = redis_url
    settings.FTRACK_SCHEMA_CACHE_DIR = str(tmp_path_factory.getbasetemp() / "ftrack-schema")
    flush_namespace(redis_url, ftrack_server.url)
    sessions.reset_pool()
    yield ftrack_server
    sessions.reset_pool()


# Playwright (pytest-playwright) drives Debian's Chromium: it may not download a browser of its own.
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }
