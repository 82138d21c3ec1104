"""Real Celery worker subprocesses for the pipeline tests, and pointing this process at their broker."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


class Worker:
    def __init__(self, proc: subprocess.Popen, output: list[str]):
        self.proc = proc
        self.output = output

    def text(self) -> str:
        return "\n".join(self.output)


def worker_env(pipeline_env, **overrides) -> dict:
    """The environment of a worker subprocess sharing the test database and staging folder."""
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
    env.update({k: str(v) for k, v in overrides.items()})
    return env


def start_worker(env: dict, *, concurrency: int = 2, extra_args=()) -> Worker:
    """``celery -A portal worker`` on the publish and maintenance queues, waiting for "ready"."""
    command = [
        sys.executable, "-m", "celery", "-A", "portal", "worker",
        "-Q", "publish,maintenance", "-c", str(concurrency), "-P", "prefork",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "-n", f"pipeline-{uuid.uuid4().hex[:6]}@%h", "-l", "INFO", *extra_args,
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
    return Worker(proc, output)


def stop_worker(worker: Worker, timeout: float = 30) -> int:
    """Warm shutdown (SIGTERM), as a service manager stops it; kill only if it hangs."""
    worker.proc.send_signal(signal.SIGTERM)
    try:
        return worker.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        worker.proc.kill()
        return worker.proc.wait(10)


@contextlib.contextmanager
def broker(url: str, prefix: str):
    """Send this process's Celery messages to ``url`` under key prefix ``prefix`` for a while."""
    from portal.celery import app as celery_app

    saved = (celery_app.conf.broker_url, dict(celery_app.conf.broker_transport_options or {}))
    celery_app.conf.broker_url = url
    celery_app.conf.broker_transport_options = {**saved[1], "global_keyprefix": prefix}
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.broker_transport_options = saved
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
