"""Fixtures of the security tests: private rate-limit counters on the real Redis."""

from __future__ import annotations

import io
import logging
import uuid

import pytest

NOISY_LOGGERS = ("", "django", "django.request", "ftrack_api", "urllib3", "requests", "publishing", "celery")


@pytest.fixture
def private_ratelimits(settings, redis_url):
    """Rate-limit counters under a key prefix of this test alone (other runs share the Redis)."""
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-ratelimit-{uuid.uuid4().hex}",
        },
    }
    settings.RATELIMIT_CACHE = "ratelimit"
    return settings


@pytest.fixture
def all_logs(caplog):
    """Everything logged at DEBUG or above, as caplog records and as a deployment's stream would show it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    for name in NOISY_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)

    def text() -> str:
        records = "\n".join(caplog.text.splitlines())
        extra = "\n".join(str(r.__dict__) for r in caplog.records)
        return "\n".join((records, extra, stream.getvalue()))

    yield text
    root.removeHandler(handler)


# --- the world of the permission-matrix and CSRF checks -----------------------------------------
@pytest.fixture
def world(db, settings, ftrack_server):
    from factories import make_upload, make_user
    from security_factories import OWNER_MARKERS, make_job

    from ftrack_devserver.seed import DEMO_USERS
    from publishing.core.crypto import encrypt_secret
    from publishing.models import (
        FtrackCredential,
        NamingRule,
        Notification,
        ProjectServiceKey,
        ProjectWebhook,
    )

    # Anything that reaches ftrack reaches the dev server (with keys it refuses: no real publish).
    settings.FTRACK_SERVER = ftrack_server.url
    owner = make_user("pia.owner", role="producer")
    users = {
        "anonymous": None,
        "outsider": make_user("olaf.outsider"),
        "producer": owner,
        "other_producer": make_user("paul.other", role="producer"),
        "coordinator": make_user("cora.coordinator", role="coordinator"),
        "admin": make_user("ada.admin", role="admin", is_staff=True),
    }
    # A working key: the ftrack API answers the owner, so its answers can be checked for the key.
    credential = FtrackCredential.objects.create(
        user=owner, api_user="producer", api_key_encrypted=encrypt_secret(DEMO_USERS["producer"])
    )
    job = make_job(
        owner, asset_name=OWNER_MARKERS[0], comment=OWNER_MARKERS[1], status="failed", error_code="internal"
    )
    upload = make_upload(owner, filename=f"{OWNER_MARKERS[0]}.mov")
    return {
        "secrets": (DEMO_USERS["producer"], credential.api_key_encrypted),
        "users": users,
        "owner": owner,
        "job": job,
        "batch": job.batch,
        "upload": upload,
        "notification": Notification.objects.create(user=owner, message="Published", link="/batches/"),
        "service_key": ProjectServiceKey.objects.create(
            ftrack_project_id="project-demo",
            project_name="demo",
            api_key_encrypted=encrypt_secret("svc-key-1"),
        ),
        "webhook": ProjectWebhook.objects.create(
            ftrack_project_id="project-demo",
            project_name="demo",
            url="http://127.0.0.1:9/hook",  # nothing listens: a test send fails fast
            secret_encrypted=encrypt_secret("hook-secret-1"),
        ),
        "naming_rule": NamingRule.objects.create(
            ftrack_project_id="project-demo", project_name="demo", pattern="{shot}_{task}"
        ),
    }


# --- a real Celery worker logging at DEBUG ------------------------------------------------------------
# The pipeline fixtures (tests/pipeline_fixtures.py) are used as they are, except the worker, which
# here logs at DEBUG so that every line a deployment could write is inspected.


@pytest.fixture(scope="session")
def worker(pipeline_env):
    """One worker process at DEBUG (LOG_LEVEL and celery's -l); its output is kept in ``.output``."""
    from workers import start_worker, stop_worker, worker_env

    # Other test modules' workers (session-scoped too) may still be listening on the same queues;
    # they are stopped first, so that every job of these tests is really run, and logged, at DEBUG here.
    _stop_other_workers()
    env = worker_env(pipeline_env, LOG_LEVEL="DEBUG", PUBLISH_MAX_ATTEMPTS=5)
    started = start_worker(env, concurrency=1, extra_args=("-l", "DEBUG"))
    yield started
    stop_worker(started)


def _stop_other_workers(timeout: float = 20) -> None:
    """Warm-shut-down every Celery worker this test process started (found in /proc by parent)."""
    import os
    import signal
    import time
    from pathlib import Path

    mine = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            parent = int((proc / "stat").read_text().rpartition(")")[2].split()[1])
            command = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if parent == os.getpid() and b"celery" in b" ".join(command) and b"worker" in command:
            mine.append(int(proc.name))
    for pid in mine:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while mine and time.monotonic() < deadline:
        mine = [pid for pid in mine if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)]
        time.sleep(0.1)  # waiting for the workers to exit


def _state(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[0]
    except OSError:
        return "Z"
