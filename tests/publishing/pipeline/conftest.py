"""A real Celery worker (subprocess) against real Redis, the dev server and the test database.

The worker shares the test database (SQLite file or PostgreSQL) and a staging folder with the test
process, so tests that use it need ``transactional_db`` (rows must be committed to be seen). Its broker keys carry a
private prefix, so other test runs on the same Redis never take our messages (or we theirs).
"""

from __future__ import annotations

import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ftrack"))

from ftrack_support import flush_namespace  # noqa: E402

REPO = Path(__file__).resolve().parents[3]


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


class Worker:
    def __init__(self, proc: subprocess.Popen, output: list[str]):
        self.proc = proc
        self.output = output

    def text(self) -> str:
        return "\n".join(self.output)


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
    """``celery -A portal worker`` on the publish and maintenance queues, two processes."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=pipeline_env["database_url"],
        STAGING_DIR=str(pipeline_env["staging"]),
        FTRACK_SERVER=pipeline_env["ftrack_url"],
        FTRACK_SCHEMA_CACHE_DIR=str(pipeline_env["schema_cache"]),
        FTRACK_CACHE_TTL="60",
        REDIS_URL=pipeline_env["redis_url"],
        CELERY_BROKER_URL=pipeline_env["redis_url"],
        CELERY_RESULT_BACKEND=pipeline_env["redis_url"],
        CELERY_KEY_PREFIX=pipeline_env["prefix"],
        PUBLISH_MAX_ATTEMPTS="25",
        PUBLISH_RETRY_BASE="0",
        PUBLISH_RETRY_CEILING="1",
        PUBLISH_STALL_AFTER="600",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(pipeline_env["smtp_port"]),
        PYTHONUNBUFFERED="1",
    )
    command = [
        sys.executable, "-m", "celery", "-A", "portal", "worker",
        "-Q", "publish,maintenance", "-c", "2", "-P", "prefork",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "-n", f"pipeline-{uuid.uuid4().hex[:6]}@%h", "-l", "INFO",
    ]  # fmt: skip
    proc = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    output: list[str] = []
    ready = threading.Event()

    def drain():
        for line in proc.stdout:
            output.append(line.rstrip("\n"))
            if " ready." in line:
                ready.set()
        ready.set()

    threading.Thread(target=drain, daemon=True).start()
    if not ready.wait(60) or proc.poll() is not None:
        proc.kill()
        raise RuntimeError("celery worker did not start:\n" + "\n".join(output[-50:]))
    yield Worker(proc, output)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@pytest.fixture
def pipeline(pipeline_env, worker, settings, transactional_db, ftrack_server, smtp_sink):
    """Test-process settings matching the worker's, and a broker connection with its key prefix."""
    from portal.celery import app as celery_app
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
    saved = (celery_app.conf.broker_url, dict(celery_app.conf.broker_transport_options or {}))
    celery_app.conf.broker_url = pipeline_env["redis_url"]
    celery_app.conf.broker_transport_options = {**saved[1], "global_keyprefix": pipeline_env["prefix"]}
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    flush_namespace(pipeline_env["redis_url"], pipeline_env["ftrack_url"])
    sessions.close_all_sessions()
    sessions._pool = None
    smtp_sink.messages.clear()
    ftrack_server.set_faults(fail_rate=0.0, latency_ms=0, put_bandwidth=0)
    yield {"env": pipeline_env, "worker": worker, "smtp": smtp_sink}
    ftrack_server.set_faults(fail_rate=0.0, latency_ms=0, put_bandwidth=0)
    _wait_idle(timeout=60)
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = saved[0], saved[1]
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    sessions.close_all_sessions()
    sessions._pool = None
    assert worker.proc.poll() is None, "the worker died:\n" + worker.text()[-4000:]


def _wait_idle(timeout: float) -> None:
    """Let running jobs finish before the database is flushed under the worker."""
    from publishing.models import PublishJob

    deadline = time.monotonic() + timeout
    busy = (PublishJob.Status.RUNNING, PublishJob.Status.RETRYING)
    while PublishJob.objects.filter(status__in=busy).exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # polling the job table
