"""How fast does the portal take a tus upload, compared with ``cp`` on the same disk?

1. Write a test file of ``--size`` bytes (default 256 MiB) into a temp folder on the data disk.
2. Baselines: ``cp`` it to a sibling file on the same disk (the issue's baseline: the copy lands in
   the page cache), and the same followed by ``sync FILE`` (the portal flushes a completed upload
   before acknowledging it, so a durable copy is the like-for-like comparison). Both are printed.
3. Start the portal under gunicorn as the Dockerfile does (``--server gthread``, one worker; or
   ``sync``, or ``runserver``) on a free port, with a temp SQLite database, partial and staging
   folders in the same temp folder, and a producer with an API token.
4. Upload the file over tus in ``--chunk`` PATCHes (default 64 MiB), streamed from disk, timing from
   the creating POST to the last response (which includes completion: MD5, probe, fsync, move to
   staging). cp and tus alternate for ``--rounds`` (default 3), each from a clean page cache; the
   best run of each counts, because the machine is shared. Meanwhile sample the RSS of the
   gunicorn master and worker from /proc to show memory stays flat, and count the server's CPU
   seconds per GiB (a figure that, unlike MiB/s, hardly depends on what else the machine runs).
5. Check the server's MD5 against the file's, print the figures and one last line
   ``RESULT upload ratio=<cp s / tus s> tus_mib_s=.. cp_mib_s=.. ratio_cp_sync=.. cp_sync_mib_s=..
   rss_growth_mb=.. server_cpu_s_per_gib=..`` (ratio 1.0: as fast as cp; the target is >= 0.5 and
   RSS growth < 100 MB; see docs/benchmarks.md for why MD5 caps the ratio on small machines).

Usage: ``python bench/upload.py [--size 1G] [--chunk 64M] [--rounds 3] [--server gthread] [--keep]``
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

from benchlib import (  # bench/ is on sys.path as the script's folder
    RssSampler,
    parse_size,
    rss_kib,
    write_test_file,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1 << 20
PIECE = MIB


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) and its descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rpartition(")")[2].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                total += sum(cpu_seconds(int(child)) for child in fh.read().split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


def portal_env(work: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "STAGING_S3_BUCKET")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DEBUG": "false",
            "SECRET_KEY": base64.b64encode(os.urandom(40)).decode(),
            "CREDENTIAL_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SESSION_COOKIE_SECURE": "false",
            "DATABASE_URL": f"sqlite:///{work}/bench.sqlite3",
            "UPLOAD_PARTIAL_DIR": f"{work}/partial",
            "STAGING_DIR": f"{work}/staging",
            "MAX_UPLOAD_SIZE": str(1 << 50),
            "LOG_LEVEL": "WARNING",
            # Plain HTTP on loopback: production settings would redirect to https.
            "SECURE_SSL_REDIRECT": "false",
        }
    )
    return env


def start_portal(work: str, env: dict[str, str], server: str) -> tuple[subprocess.Popen, str, str]:
    """Migrate, make a producer with a token, start gunicorn; returns (process, base URL, token)."""
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True)
    script = (
        "from django.contrib.auth.models import Group, User;"
        "from rest_framework.authtoken.models import Token;"
        "u = User.objects.create_user('bench.producer');"
        "u.groups.add(Group.objects.get(name='producer'));"
        "print(Token.objects.create(user=u).key)"
    )
    token = subprocess.run(
        [python, "manage.py", "shell", "-c", script],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    log_path = os.path.join(work, "server.log")
    if server in ("gthread", "sync"):
        gunicorn = os.path.join(os.path.dirname(python), "gunicorn")
        command = [gunicorn, "portal.wsgi", "-b", "127.0.0.1:0", "-w", "1", "--timeout", "900"]
        command += ["--worker-class", server] + (["--threads", "4"] if server == "gthread" else [])
        command += ["--log-file", log_path]
        listening = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")
        port = None
    else:
        # runserver cannot take port 0: pick a free one.
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        command = [python, "manage.py", "runserver", "--noreload", "--nothreading", f"127.0.0.1:{port}"]
        listening = None
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{server} exited: see {log_path}")
        if listening is not None:
            with open(log_path) as fh:
                match = listening.search(fh.read())
            if match:
                return proc, match.group(1), token
        else:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return proc, f"http://127.0.0.1:{port}", token
        time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"{server} did not start in 30 s")


def tus_upload(base: str, token: str, path: str, chunk: int) -> tuple[str, float]:
    """Upload over tus with raw HTTP/1.1 (Content-Length, body streamed from disk); returns (url, seconds)."""
    size = os.path.getsize(path)
    host = urlsplit(base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=900)
    auth = {"Tus-Resumable": "1.0.0", "Authorization": f"Token {token}"}
    meta = "filename " + base64.b64encode(os.path.basename(path).encode()).decode()
    started = time.perf_counter()
    conn.request(
        "POST", "/api/uploads/", headers={**auth, "Upload-Length": str(size), "Upload-Metadata": meta}
    )
    response = conn.getresponse()
    response.read()
    if response.status != 201:
        raise SystemExit(f"create failed: {response.status}")
    location = urlsplit(response.headers["Location"]).path
    offset = 0
    with open(path, "rb") as fh:
        while offset < size:
            length = min(chunk, size - offset)
            conn.putrequest("PATCH", location)
            headers = {
                **auth,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            }
            for name, value in {**headers, "Content-Length": str(length)}.items():
                conn.putheader(name, value)
            conn.endheaders()
            remaining = length
            while remaining:
                piece = fh.read(min(PIECE, remaining))
                conn.send(piece)
                remaining -= len(piece)
            response = conn.getresponse()
            body = response.read()
            if response.status != 204:
                raise SystemExit(f"PATCH at {offset} failed: {response.status} {body[:200]!r}")
            offset = int(response.headers["Upload-Offset"])
    seconds = time.perf_counter() - started
    conn.close()
    return location, seconds


def fetch_state(base: str, token: str, location: str) -> dict:
    host = urlsplit(base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
    conn.request("GET", location, headers={"Authorization": f"Token {token}"})
    return json.loads(conn.getresponse().read())


def timed_cp(source: str, target: str) -> tuple[float, float]:
    """(seconds for cp alone, seconds for cp + flushing the copy to disk)."""
    subprocess.run(["sync"], check=True)
    started = time.perf_counter()
    subprocess.run(["cp", source, target], check=True)
    cached = time.perf_counter() - started
    subprocess.run(["sync", target], check=True)
    durable = time.perf_counter() - started
    os.unlink(target)
    return cached, durable


def delete_upload(base: str, token: str, location: str) -> None:
    host = urlsplit(base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
    conn.request("DELETE", location, headers={"Tus-Resumable": "1.0.0", "Authorization": f"Token {token}"})
    conn.getresponse().read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="256M", help="test file size, e.g. 256M, 1G")
    parser.add_argument("--chunk", default="64M", help="tus PATCH size")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternate cp and tus this often; best of each counts"
    )
    parser.add_argument(
        "--server",
        choices=["gthread", "sync", "runserver"],
        default="gthread",
        help="gunicorn worker class as in the Dockerfile (gthread), gunicorn sync, or runserver",
    )
    parser.add_argument("--dir", default=None, help="work folder parent (default: var/ in the repo)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    size, chunk = parse_size(args.size), parse_size(args.chunk)

    parent = args.dir or os.path.join(REPO, "var")
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bench-upload-", dir=parent)
    proc = None
    try:
        source = os.path.join(work, "bench.mov")
        expected_md5 = write_test_file(source, size)
        env = portal_env(work)
        proc, base, token = start_portal(work, env, args.server)
        # Warm-up: a tiny upload loads every module (PyAV, storage) before the baseline is taken.
        warm = os.path.join(work, "warm.mov")
        with open(warm, "wb") as fh:
            fh.write(os.urandom(4096))
        tus_upload(base, token, warm, chunk)
        baseline = rss_kib(proc.pid, with_children=True)

        # The machine is shared and disk speed wanders, so cp and tus alternate, each run starting
        # with nothing dirty in the page cache, and the best run of each is compared.
        cp_cached, cp_durable, tus_runs, tus_cpu = [], [], [], []
        sampler = RssSampler(proc.pid, interval=0.05, with_children=True)
        sampler.start()
        for _ in range(args.rounds):
            cached, durable = timed_cp(source, os.path.join(work, "copy.mov"))
            cp_cached.append(cached)
            cp_durable.append(durable)
            subprocess.run(["sync"], check=True)
            cpu_before = cpu_seconds(proc.pid)
            location, seconds = tus_upload(base, token, source, chunk)
            tus_runs.append(seconds)
            tus_cpu.append(cpu_seconds(proc.pid) - cpu_before)
            state = fetch_state(base, token, location)
            if state["md5"] != expected_md5 or state["offset"] != size:
                raise SystemExit(f"upload mismatch: server md5 {state['md5']} offset {state['offset']}")
            delete_upload(base, token, location)
        sampler.stop()

        best_tus, best_cp, best_cached = min(tus_runs), min(cp_durable), min(cp_cached)
        growth_mb = max(0, sampler.peak - baseline) / 1024
        mib = size / MIB

        def runs(values):
            return " ".join(f"{v:.2f}" for v in values)

        gib = size / (1 << 30)
        print(f"file        {mib:.0f} MiB in {chunk / MIB:.0f} MiB chunks, {args.server}, work dir {work}")
        print(
            f"load        {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min), {os.cpu_count()} CPUs"
        )
        print(f"cp          best {best_cached:.2f} s  {mib / best_cached:.1f} MiB/s   runs {runs(cp_cached)}")
        print(f"cp + sync   best {best_cp:.2f} s  {mib / best_cp:.1f} MiB/s   runs {runs(cp_durable)}")
        print(f"tus         best {best_tus:.2f} s  {mib / best_tus:.1f} MiB/s   runs {runs(tus_runs)}")
        print("            (tus includes completion: MD5, probe, fsync, move into staging)")
        print(f"server CPU  {min(tus_cpu) / gib:.2f} s per GiB (least of the runs; load-independent)")
        print(f"ratio       {best_cached / best_tus:.2f} vs cp, {best_cp / best_tus:.2f} vs cp + sync")
        print(f"server RSS  baseline {baseline / 1024:.1f} MB, peak {sampler.peak / 1024:.1f} MB")
        print(f"md5         {expected_md5} (server agrees)")
        print(
            f"RESULT upload ratio={best_cached / best_tus:.2f} tus_mib_s={mib / best_tus:.1f} "
            f"cp_mib_s={mib / best_cached:.1f} ratio_cp_sync={best_cp / best_tus:.2f} "
            f"cp_sync_mib_s={mib / best_cp:.1f} rss_growth_mb={growth_mb:.1f} "
            f"server_cpu_s_per_gib={min(tus_cpu) / gib:.2f}"
        )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
