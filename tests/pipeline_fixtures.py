"""A real Celery worker (subprocess) against real Redis, the dev server and the test database.

A pytest plugin (``pytest_plugins`` in tests/conftest.py), so the pipeline, API, browser and security
tests all share these fixtures, and one worker per test run.

The worker shares the test database (SQLite file or PostgreSQL) and a staging folder with the test
process, so tests that use it need ``transactional_db`` (rows must be committed to be seen). Its broker keys carry a
private prefix, so other test runs on the same Redis never take our messages (or we theirs).
"""

from __future__ import annotations

import socketserver
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

# The helper modules beside the pipeline and ftrack tests are imported by bare name.
for _folder in ("pipeline", "ftrack"):
    sys.path.insert(0, str(Path(__file__).resolve().parent / "publishing" / _folder))

from factories import flush_namespace  # noqa: E402
from workers import broker, start_worker, stop_worker, worker_env  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend: every message is kept as (recipients, raw text)."""

    def handle(self):
        self.wfile.write(b"220 sink ESMTP\r\n")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250 sink\r\n")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.wfile.write(b"250 ok\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go\r\n")
                body = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(chunk.decode("utf-8", "replace"))
                self.server.messages.append((list(recipients), "".join(body)))
                recipients = []
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # MAIL, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


class SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[tuple[list[str], str]] = []

    @property
    def port(self) -> int:
        return self.server_address[1]


@pytest.fixture(scope="session")
def smtp_sink():
    sink = SmtpSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    yield sink
    sink.shutdown()
    sink.server_close()


@pytest.fixture(scope="session")
def pipeline_env(django_db_setup, django_db_blocker, ftrack_server, redis_url, tmp_path_factory, smtp_sink):
    from django.db import connection

    with django_db_blocker.unblock():
        db = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        database_url = f"sqlite:///{db['NAME']}"
    elif connection.vendor == "postgresql":
        from urllib.parse import quote

        auth = quote(db.get("USER") or "") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
        database_url = (
            f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
        )
    else:
        pytest.skip(f"the worker cannot share a {connection.vendor} test database")
    root = tmp_path_factory.mktemp("pipeline")
    return {
        "database_url": database_url,
        "staging": root / "staging",
        "schema_cache": root / "schemas",
        "prefix": f"test-{uuid.uuid4().hex[:10]}:",
        "redis_url": redis_url,
        "ftrack_url": ftrack_server.url,
        "smtp_port": smtp_sink.port,
    }


@pytest.fixture(scope="session")
def worker(pipeline_env):
    """The shared worker: two processes, the test database, Redis with a private key prefix."""
    started = start_worker(worker_env(pipeline_env))
    yield started
    stop_worker(started)


@pytest.fixture
def pipeline(pipeline_env, worker, settings, transactional_db, ftrack_server, smtp_sink):
    """Test-process settings matching the worker's, and a broker connection with its key prefix."""
    from publishing.ftrack import sessions

    settings.FTRACK_SERVER = pipeline_env["ftrack_url"]
    settings.REDIS_URL = pipeline_env["redis_url"]
    settings.FTRACK_SCHEMA_CACHE_DIR = str(pipeline_env["schema_cache"])
    settings.STORAGES = {
        **settings.STORAGES,
        "staging": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": pipeline_env["staging"]},
        },
    }
    flush_namespace(pipeline_env["redis_url"], pipeline_env["ftrack_url"])
    sessions.reset_pool()
    smtp_sink.messages.clear()
    ftrack_server.set_faults(fail_rate=0.0, latency_ms=0, put_bandwidth=0)
    with broker(pipeline_env["redis_url"], pipeline_env["prefix"]):
        yield {"env": pipeline_env, "worker": worker, "smtp": smtp_sink}
        ftrack_server.set_faults(fail_rate=0.0, latency_ms=0, put_bandwidth=0)
        _wait_idle(timeout=60)
    sessions.reset_pool()
    assert worker.proc.poll() is None, "the worker died:\n" + worker.text()[-4000:]


def _wait_idle(timeout: float) -> None:
    """Let running jobs finish before the database is flushed under the worker."""
    from publishing.models import PublishJob

    deadline = time.monotonic() + timeout
    busy = (PublishJob.Status.RUNNING, PublishJob.Status.RETRYING)
    while PublishJob.objects.filter(status__in=busy).exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # polling the job table


@pytest.fixture
def inprocess(portal_on_devserver, settings, ftrack_server):
    """Settings for publishing from this process against the dev server; a fresh session pool."""
    settings.FTRACK_CACHE_TTL = 60
    settings.FTRACK_ENCODE_POLL = 0.2
    settings.PUBLISH_RETRY_BASE = 0
    ftrack_server.set_faults(fail_rate=0.0, latency_ms=0, put_bandwidth=0)
    return settings
