"""Start the ftrack dev server as a real subprocess for tests (contract: docs/internals.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30


@dataclass
class DevServer:
    url: str
    users: dict[str, str]
    proc: subprocess.Popen
    data_dir: Path
    output: list[str] = field(default_factory=list)

    def request_log(self, since: int = 0) -> list[dict]:
        response = requests.get(f"{self.url}/_devserver/requests", params={"since": since}, timeout=10)
        response.raise_for_status()
        return response.json()

    def clear_request_log(self) -> None:
        requests.delete(f"{self.url}/_devserver/requests", timeout=10).raise_for_status()

    def set_faults(self, **faults) -> dict:
        response = requests.post(f"{self.url}/_devserver/faults", json=faults, timeout=10)
        response.raise_for_status()
        return response.json()

    def stop(self, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        return self.proc.returncode


def start_devserver(data_dir, *, seed: str | None = "demo", users=(), extra_args=()) -> DevServer:
    """Run ``python -m ftrack_devserver serve`` on a free port and wait for its ``ready`` line."""
    args = [sys.executable, "-m", "ftrack_devserver", "serve", "--host", "127.0.0.1", "--port", "0"]
    args += ["--data", str(data_dir)]
    if seed:
        args += ["--seed", str(seed)]
    for user in users:
        args += ["--user", user if isinstance(user, str) else f"{user[0]}:{user[1]}"]
    args += [str(a) for a in extra_args]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    lines: list[str] = []
    done = threading.Event()

    def read_until_ready():
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.strip() == "ready":
                done.set()
                break
        done.set()

    reader = threading.Thread(target=read_until_ready, daemon=True)
    reader.start()
    if not done.wait(START_TIMEOUT) or not lines or lines[-1] != "ready":
        proc.kill()
        raise RuntimeError("ftrack dev server did not start:\n" + "\n".join(lines))
    # Keep draining output (warnings, tracebacks) so the pipe never fills and blocks the server.
    threading.Thread(target=lambda: [lines.append(x.rstrip("\n")) for x in proc.stdout], daemon=True).start()
    url = lines[0].rsplit(" ", 1)[-1]
    found = {}
    for line in lines[1:-1]:
        parts = line.split()
        if len(parts) == 4 and parts[0] == "user" and parts[2] == "api-key":
            found[parts[1]] = parts[3]
    return DevServer(url=url, users=found, proc=proc, data_dir=Path(data_dir), output=lines)
