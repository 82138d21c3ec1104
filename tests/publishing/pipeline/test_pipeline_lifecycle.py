"""Worker life cycle: sessions logged out when a worker stops; a Redis restart mid-run loses nothing.

Each test runs its own worker (its own broker key prefix, so the shared worker never takes its
messages); the Redis test also runs its own ``redis-server``: the machine's Redis is shared with
other work and must not be restarted.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from urllib.parse import urlsplit

import pytest
import redis
from factories import make_movie, make_png
from ftrack_support import give_credential
from pipeline_support import admin_session, ready_upload, submit, task_id, wait_for_jobs, wait_until
from workers import broker, start_worker, stop_worker, worker_env

from publishing.models import JobEvent, PublishJob


@pytest.fixture
def publisher(producer, pipeline):
    give_credential(producer, "producer")
    return producer


@pytest.fixture
def ftrack(pipeline, ftrack_server):
    session = admin_session(ftrack_server)
    yield session
    session.close()


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def open_connections(pid: int, port: int) -> int:
    """TCP connections of process ``pid`` to local ``port`` that are ESTABLISHED (from /proc)."""
    inodes = _socket_inodes(pid)
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            for line in fh.readlines()[1:]:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if remote_port == port and fields[3] == "01" and fields[9] in inodes:
                    count += 1
    return count


def test_worker_shutdown_logs_out_of_ftrack(publisher, ftrack, pipeline, ftrack_server, tmp_path):
    env = pipeline["env"]
    prefix = f"test-{uuid.uuid4().hex[:10]}:"
    own = start_worker(worker_env(env, CELERY_KEY_PREFIX=prefix), concurrency=1)
    try:
        with broker(env["redis_url"], prefix):
            upload = ready_upload(publisher, make_png(tmp_path / "bye.png"))
            batch = submit(
                publisher,
                task_id(ftrack, shot="sh030"),
                [{"kind": "image", "asset_name": "shutdown", "upload_ids": [str(upload.pk)]}],
            )
            (job,) = wait_for_jobs(batch, worker=own)
        assert job.status == "published", job.error_message
        child = int(job.claimed_by.rsplit(":", 1)[1]) if job.claimed_by else None
        child = child or int(JobEvent.objects.filter(job=job, kind="claim").last().message.rsplit(":", 1)[1])
        port = urlsplit(ftrack_server.url).port
        # The pooled session keeps its keep-alive connection to ftrack between jobs...
        assert open_connections(child, port) >= 1
    finally:
        code = stop_worker(own)
    # ...and the process closed it on the way out (worker_process_shutdown), before exiting cleanly.
    assert code == 0, own.text()[-3000:]
    assert f"closed 1 ftrack session(s) in process {child}" in own.text(), own.text()[-3000:]


# --- Redis restarted mid-run ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server without persistence: a restart loses every queued and unacknowledged message."""

    def __init__(self, workdir):
        self.exe = shutil.which("redis-server")
        self.port = _free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        wait_until(lambda: self._answers(client), timeout=10, message="redis-server to answer")

    @staticmethod
    def _answers(client) -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def test_redis_restarted_mid_run_loses_nothing(
    publisher, ftrack, pipeline, ftrack_server, private_redis, tmp_path
):
    env = pipeline["env"]
    prefix = f"test-{uuid.uuid4().hex[:10]}:"
    own = start_worker(
        worker_env(
            env,
            REDIS_URL=private_redis.url,
            CELERY_BROKER_URL=private_redis.url,
            CELERY_RESULT_BACKEND=private_redis.url,
            CELERY_KEY_PREFIX=prefix,
            # The watchdog (embedded beat) is what recovers what the restart lost: quick, for the test.
            PUBLISH_WATCHDOG_EVERY="1",
            PUBLISH_STALL_AFTER="3",
        ),
        concurrency=2,
        extra_args=["-B", "-s", str(tmp_path / "beat-schedule")],
    )
    try:
        still, movie = make_png(tmp_path / "r.png"), make_movie(tmp_path / "r.mov")
        items = []
        for n in range(8):
            source, kind = (movie, "movie") if n % 2 else (still, "image")
            upload = ready_upload(publisher, source, filename=f"redis{n}{source.suffix}")
            items.append({"kind": kind, "asset_name": f"redis-{n}", "upload_ids": [str(upload.pk)]})
        # Slow uploads keep jobs in flight while Redis goes away.
        ftrack_server.set_faults(put_bandwidth=40_000)
        with broker(private_redis.url, prefix):
            batch = submit(publisher, task_id(ftrack, sequence="sq020", shot="sh030"), items)
            wait_until(
                lambda: PublishJob.objects.filter(batch=batch, status="running").exists(),
                timeout=60,
                message="a job to start",
            )
            private_redis.stop()  # every queued and unacknowledged message is gone with it
            in_flight = PublishJob.objects.filter(batch=batch).exclude(status="published").count()
            time.sleep(1.0)  # Redis stays down for a second: an outage, not a blip
            private_redis.start()
            restarted = time.monotonic()
            ftrack_server.set_faults(put_bandwidth=0)
            jobs = wait_for_jobs(batch, timeout=120, worker=own)
            recovery = time.monotonic() - restarted
    finally:
        ftrack_server.set_faults(put_bandwidth=0)
        stop_worker(own)

    assert in_flight >= 4  # the outage really hit unfinished work
    assert [j.status for j in jobs] == ["published"] * 8, [
        (j.asset_name, j.status, j.error_message) for j in jobs
    ]
    for job in jobs:
        versions = ftrack.query(
            f'select id from AssetVersion where asset_id is "{job.ftrack_asset_id}"'
        ).all()
        assert [v["id"] for v in versions] == [job.ftrack_version_id]
        names = [
            c["name"]
            for c in ftrack.query(f'select name from Component where version_id is "{job.ftrack_version_id}"')
        ]
        assert names.count("main") == 1 and len(names) == len(set(names)), names
    assert len(pipeline["smtp"].messages) == 1
    print(f"recovered {in_flight} unfinished job(s) {recovery:.1f} s after Redis came back")
