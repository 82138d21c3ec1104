"""Run the whole portal on this machine for a demo: `make run`.

1. Create the demo users (with ftrack credentials of the dev server's demo seed).
2. Use the Redis at REDIS_URL, or start a private redis-server when none answers.
3. Start the ftrack dev server with the demo seed (port 8010 unless taken).
4. Start a Celery worker (with beat) and the web server, pointed at those.
5. Print where to log in, then wait; Ctrl-C (or SIGTERM) stops everything this command started.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from publishing.management.commands.create_demo_users import DEMO_USERS, demo_password

STARTUP_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0


class Stop(Exception):
    """Raised from the signal handler: leave the wait loop and stop the children."""


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str) -> int:
    # The OS picks a free port; the tiny window before the child binds it is acceptable for a demo.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except (redis.RedisError, OSError, ValueError):
        return False


class Child:
    """A started process, its output echoed with a name prefix; lines are also queued for waiting."""

    def __init__(self, name: str, argv: list[str], env: dict, cwd: Path):
        self.name = name
        self.lines: queue.Queue[str | None] = queue.Queue()
        # Own session: Ctrl-C reaches only this command, which then stops the children in order,
        # and a child's own subprocesses (celery pool, ffmpeg) are stopped with its process group.
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self._thread = threading.Thread(target=self._echo, name=f"echo-{name}", daemon=True)
        self._thread.start()

    def _echo(self) -> None:
        for line in self.proc.stdout or ():
            line = line.rstrip("\n")
            self.lines.put(line)
            sys.stdout.write(f"[{self.name}] {line}\n")
            sys.stdout.flush()
        self.lines.put(None)

    def wait_for_line(self, predicate, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CommandError(f"{self.name} did not start within {timeout:.0f} s")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise CommandError(f"{self.name} exited during start-up (exit code {self.proc.wait()})")
            if predicate(line):
                return line

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Command(BaseCommand):
    help = "Run the portal for a demo: Redis (if needed), ftrack dev server, Celery worker and web server."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address of the web server")
        parser.add_argument("--port", type=int, default=8000, help="web server port (0: any free port)")
        parser.add_argument(
            "--ftrack-port", type=int, default=8010, help="ftrack dev server port (0 or taken: a free port)"
        )
        parser.add_argument(
            "--ftrack-data", default=str(Path(settings.BASE_DIR) / "var" / "ftrack-devserver")
        )
        parser.add_argument("--no-worker", action="store_true", help="do not start a Celery worker")

    def handle(self, *args, **options):
        self.children: list[Child] = []
        self.base_dir = Path(settings.BASE_DIR)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._run(options)
        except Stop:
            pass
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum, frame):
        raise Stop()

    def _run(self, options) -> None:
        call_command("create_demo_users", stdout=self.stdout)
        env = os.environ.copy()
        env["PYTHONUNBUFFERED"] = "1"
        env["DJANGO_SETTINGS_MODULE"] = os.environ.get("DJANGO_SETTINGS_MODULE", "portal.settings")

        redis_url = self._redis(env)
        ftrack_url = self._ftrack(env, options)
        if not options["no_worker"]:
            self._worker(env)
        web_url = self._web(env, options)

        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Review Portal is running."))
        self.stdout.write(f"  Log in at {web_url}/accounts/login/ as:")
        for username, (role, _) in DEMO_USERS.items():
            self.stdout.write(f"    {username:<12} password {demo_password(username):<18} ({role})")
        self.stdout.write(f"  ftrack dev server: {ftrack_url}")
        self.stdout.write(f"  Redis: {redis_url}")
        self.stdout.write("Press Ctrl-C to stop.")
        self.stdout.flush()
        self._watch()

    def _start(self, name: str, argv: list[str], env: dict) -> Child:
        child = Child(name, argv, env, self.base_dir)
        self.children.append(child)
        self.stdout.write(f"started {name} (pid {child.proc.pid})")
        self.stdout.flush()
        return child

    def _redis(self, env: dict) -> str:
        url = env.get("REDIS_URL") or settings.REDIS_URL
        if redis_answers(url):
            return url
        self.stdout.write(f"No Redis answers at {url}; starting a private redis-server.")
        port = free_port("127.0.0.1")
        data = self.base_dir / "var" / "redis"
        data.mkdir(parents=True, exist_ok=True)
        argv = [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        argv += ["--dir", str(data)]
        try:
            self._start("redis", argv, env)
        except FileNotFoundError:
            raise CommandError("redis-server is not installed (make install adds it) and no Redis answers.")
        url = f"redis://127.0.0.1:{port}/0"
        self._wait_until(lambda: redis_answers(url), "redis")
        # The children read these; the broker and result store follow the private Redis too.
        env.update(REDIS_URL=url, CELERY_BROKER_URL=url, CELERY_RESULT_BACKEND=url)
        return url

    def _ftrack(self, env: dict, options) -> str:
        port = options["ftrack_port"]
        if port and not port_is_free("127.0.0.1", port):
            self.stdout.write(f"Port {port} is taken; the ftrack dev server takes a free one.")
            port = 0
        data = Path(options["ftrack_data"])
        data.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "ftrack_devserver", "serve", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--data", str(data), "--seed", "demo"]
        child = self._start("ftrack", argv, env)
        prefix = "ftrack_devserver listening on "
        url = ""

        def started(line: str) -> bool:
            nonlocal url
            if line.startswith(prefix):
                url = line[len(prefix) :].strip()
            return line.strip() == "ready"

        child.wait_for_line(started, STARTUP_TIMEOUT)
        if not url:
            raise CommandError("the ftrack dev server did not say where it listens")
        env["FTRACK_SERVER"] = url
        # Published versions link to the dev server's own review page, where the movie plays.
        env.setdefault("FTRACK_VERSION_URL", "{server}/review/version/{version_id}")
        return url

    def _worker(self, env: dict) -> None:
        var = self.base_dir / "var"
        var.mkdir(exist_ok=True)
        argv = [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", "publish,maintenance", "-B"]
        argv += ["--loglevel", "INFO", "--concurrency", "2", "--schedule", str(var / "celerybeat-schedule")]
        self._start("worker", argv, env)

    def _web(self, env: dict, options) -> str:
        host, port = options["host"], options["port"]
        if port == 0:
            port = free_port(host)
        elif not port_is_free(host, port):
            raise CommandError(f"Port {port} is taken; stop what runs there or pass --port 0 for a free one.")
        argv = [sys.executable, "manage.py", "runserver", f"{host}:{port}", "--noreload"]
        self._start("web", argv, env)
        url = f"http://{host}:{port}"
        self._wait_until(lambda: self._answers(f"{url}/accounts/login/"), "web")
        return url

    @staticmethod
    def _answers(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def _wait_until(self, ready, name: str) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not ready():
            for child in self.children:
                if child.proc.poll() is not None:
                    raise CommandError(
                        f"{child.name} exited during start-up (exit code {child.proc.returncode})"
                    )
            if time.monotonic() > deadline:
                raise CommandError(f"{name} did not start within {STARTUP_TIMEOUT:.0f} s")
            time.sleep(0.2)

    def _watch(self) -> None:
        """Wait for Ctrl-C; if a child dies on its own, stop the rest rather than run half a portal."""
        while True:
            for child in self.children:
                if child.proc.poll() is not None:
                    raise CommandError(
                        f"{child.name} stopped (exit code {child.proc.returncode}); stopping the demo."
                    )
            time.sleep(0.5)

    def _stop_all(self) -> None:
        if not self.children:
            return
        self.stdout.write("Stopping the demo…")
        # Reverse order: the web server first, Redis last (the worker still talks to it while stopping).
        for child in reversed(self.children):
            try:
                child.stop()
            except Stop:
                # A second Ctrl-C while stopping: be quicker, but still stop everything.
                os.killpg(child.proc.pid, signal.SIGKILL)
                child.proc.wait()
        self.stdout.write("Stopped.")
        self.children = []
