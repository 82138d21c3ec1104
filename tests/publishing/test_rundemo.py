"""`manage.py rundemo` (what `make run` starts): everything comes up, Ctrl-C takes everything down."""

from __future__ import annotations

import io
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Output:
    def __init__(self, proc):
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc):
        for line in proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def until(self, pattern: str, timeout: float = 120) -> re.Match:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = ""
            if line is None:
                raise AssertionError("rundemo ended early:\n" + "\n".join(self.seen[-40:]))
            self.seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match
            if time.monotonic() > deadline:
                raise AssertionError(f"no line matching {pattern!r}:\n" + "\n".join(self.seen[-40:]))


def test_rundemo_starts_portal_devserver_worker_and_stops_all_on_ctrl_c(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "FTRACK_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        # Nothing answers there, so rundemo must start its own redis-server.
        REDIS_URL=f"redis://127.0.0.1:{_free_port()}/0",
        DJANGO_SETTINGS_MODULE="portal.settings",
        PYTHONUNBUFFERED="1",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=300,
    )
    argv = [sys.executable, "manage.py", "rundemo", "--port", "0", "--ftrack-port", "0"]
    argv += ["--ftrack-data", str(tmp_path / "ftrack")]
    proc = subprocess.Popen(
        argv,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    out = Output(proc)
    children: dict[str, int] = {}
    try:
        while len(children) < 4:
            match = out.until(r"^started (\w+) \(pid (\d+)\)$")
            children[match.group(1)] = int(match.group(2))
        assert set(children) == {"redis", "ftrack", "worker", "web"}
        web = out.until(r"Log in at (http://127\.0\.0\.1:\d+)/accounts/login/").group(1)
        ftrack = out.until(r"ftrack dev server: (http://\S+)").group(1)
        out.until(r"^Press Ctrl-C to stop\.$")
        # The worker is useful only once it has connected to the broker.
        out.until(r"^\[worker\] .*celery@\S+ ready\.", timeout=120)

        session = requests.Session()
        login = session.get(f"{web}/accounts/login/", timeout=10)
        assert login.status_code == 200 and "Log in" in login.text
        logged_in = session.post(
            f"{web}/accounts/login/",
            data={
                "username": "producer",
                "password": "producer-demo",
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Referer": f"{web}/accounts/login/"},
            timeout=10,
        )
        assert logged_in.url.endswith("/upload/"), logged_in.url
        credentials = session.get(f"{web}/credentials/", timeout=10)
        assert "ftrack user <strong>producer</strong>" in credentials.text
        assert "demo-key-producer" not in credentials.text

        assert requests.get(ftrack, timeout=10).status_code < 500
        assert proc.poll() is None
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGINT)
        try:
            code = proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            for pid in children.values():
                if not _gone(pid):
                    os.killpg(pid, signal.SIGKILL)
            raise
    assert code == 0, "\n".join(out.seen[-40:])
    # Each child ran in its own process group: a gone group means its subprocesses are gone too.
    deadline = time.monotonic() + 15
    while not all(_gone(pgid) for pgid in children.values()):
        assert time.monotonic() < deadline, (
            f"still running: {[n for n, p in children.items() if not _gone(p)]}"
        )
        time.sleep(0.1)


@pytest.mark.django_db
def test_create_demo_users_is_idempotent_and_holds_demo_credentials():
    from django.contrib.auth import authenticate
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from publishing.core import roles
    from publishing.models import FtrackCredential
    from publishing.vault.credentials import credential_api_key

    call_command("create_demo_users", stdout=io.StringIO())
    call_command("create_demo_users", stdout=io.StringIO())

    assert User.objects.filter(username__in=["producer", "coordinator", "admin"]).count() == 3
    for username in ("producer", "coordinator", "admin"):
        user = authenticate(username=username, password=f"{username}-demo")
        assert user is not None
        credential = FtrackCredential.objects.get(user=user)
        assert credential.api_user == username
        assert credential_api_key(credential) == f"demo-key-{username}"
        assert credential.version == 1  # unchanged on the second run
    assert roles.is_admin(User.objects.get(username="admin"))
    coordinator = User.objects.get(username="coordinator")
    assert roles.is_coordinator(coordinator) and not roles.is_admin(coordinator)
