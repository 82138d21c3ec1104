"""How fast does the portal take a tus upload, compared with the official Node tus server?

1. Write a test file of ``--size`` bytes (default 256 MiB) into a temp folder on the data disk.
2. Start the portal under gunicorn as the Dockerfile does (``--server gthread``, one worker; or
   ``sync``, or ``runserver``) on a free port, with a temp SQLite database and staging folders, and
   a producer with an API token; and the baseline: ``@tus/server`` 2.4.5 with ``@tus/file-store``
   2.1.1 (bench/tus-node, pinned by its lock file, installed there with ``npm ci`` on first use).
3. Upload the same file to both with the same client code: a creation POST, then ``--chunk``
   PATCHes (default 64 MiB) streamed from disk on one kept-alive connection, timing from the POST
   to the last answer. The portal's includes completion (MD5 of every byte, probe, fsync, move to
   staging); the Node server neither hashes nor fsyncs. The servers alternate for ``--rounds``
   (default 3), each from a clean page cache; the best run of each counts (the machine is shared).
   Meanwhile the portal's RSS is sampled, and both servers' CPU seconds per GiB are counted.
4. Check both stored the same bytes (MD5), print the figures and one last line
   ``RESULT upload ratio=<portal speed / Node speed> tus_mib_s=.. node_mib_s=.. rss_growth_mb=..
   server_cpu_s_per_gib=.. node_cpu_s_per_gib=..``.

Usage: ``python bench/upload.py [--size 1G] [--chunk 64M] [--rounds 3] [--server gthread] [--keep]``
"""

from __future__ import annotations

import argparse
import base64
import hashlib
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
NODE_DIR = os.path.join(REPO, "bench", "tus-node")
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


def tus_upload(
    base: str, token: str, path: str, chunk: int, *, collection: str = "/api/uploads/"
) -> tuple[str, float]:
    """Upload over tus with raw HTTP/1.1 on one kept-alive connection (creation POST, then PATCHes of
    ``chunk`` bytes streamed from disk with Content-Length); returns (upload path, seconds). The same
    client code serves both servers; the Node server ignores the token."""
    size = os.path.getsize(path)
    host = urlsplit(base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=900)
    auth = {"Tus-Resumable": "1.0.0", "Authorization": f"Token {token}"}
    meta = "filename " + base64.b64encode(os.path.basename(path).encode()).decode()
    started = time.perf_counter()
    conn.request("POST", collection, headers={**auth, "Upload-Length": str(size), "Upload-Metadata": meta})
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_node_tus(work: str) -> tuple[subprocess.Popen, str]:
    """The official Node tus server (@tus/server 2.4.5 + @tus/file-store 2.1.1, pinned by
    bench/tus-node/package-lock.json and installed there by this benchmark) on a free port."""
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "@tus", "server")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True)
    port = free_port()
    store = os.path.join(work, "node-files")
    os.makedirs(store)
    proc = subprocess.Popen(
        ["node", "server.mjs", str(port), store], cwd=NODE_DIR, stdout=subprocess.PIPE, text=True
    )
    line = proc.stdout.readline()
    if not line.startswith("listening"):
        proc.kill()
        raise SystemExit(f"the Node tus server did not start: {line!r}")
    return proc, f"http://127.0.0.1:{port}"


def node_file(work: str, location: str) -> str:
    return os.path.join(work, "node-files", location.rstrip("/").rsplit("/", 1)[1])


def file_md5(path: str) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        while block := fh.read(8 * MIB):
            digest.update(block)
    return base64.b64encode(digest.digest()).decode()


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
        "--rounds", type=int, default=3, help="alternate the two servers this often; best of each counts"
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
    proc = node = None
    try:
        source = os.path.join(work, "bench.mov")
        expected_md5 = write_test_file(source, size)
        env = portal_env(work)
        proc, base, token = start_portal(work, env, args.server)
        node, node_base = start_node_tus(work)
        # Warm-up: a tiny upload to each loads every module (PyAV, storage) before measuring.
        warm = os.path.join(work, "warm.mov")
        with open(warm, "wb") as fh:
            fh.write(os.urandom(4096))
        tus_upload(base, token, warm, chunk)
        tus_upload(node_base, token, warm, chunk, collection="/files")
        baseline = rss_kib(proc.pid, with_children=True)

        # The machine is shared and disk speed wanders, so the servers alternate, each run starting
        # with nothing dirty in the page cache, and the best run of each is compared.
        ours, theirs, our_cpu, their_cpu = [], [], [], []
        sampler = RssSampler(proc.pid, interval=0.05, with_children=True)
        sampler.start()
        for _ in range(args.rounds):
            subprocess.run(["sync"], check=True)
            before = cpu_seconds(node.pid)
            location, seconds = tus_upload(node_base, token, source, chunk, collection="/files")
            theirs.append(seconds)
            their_cpu.append(cpu_seconds(node.pid) - before)
            stored = node_file(work, location)
            if file_md5(stored) != expected_md5:
                raise SystemExit("the Node server stored different bytes")
            os.unlink(stored)

            subprocess.run(["sync"], check=True)
            before = cpu_seconds(proc.pid)
            location, seconds = tus_upload(base, token, source, chunk)
            ours.append(seconds)
            our_cpu.append(cpu_seconds(proc.pid) - before)
            state = fetch_state(base, token, location)
            if state["md5"] != expected_md5 or state["offset"] != size:
                raise SystemExit(f"upload mismatch: server md5 {state['md5']} offset {state['offset']}")
            delete_upload(base, token, location)
        sampler.stop()

        best_ours, best_theirs = min(ours), min(theirs)
        growth_mb = max(0, sampler.peak - baseline) / 1024
        mib, gib = size / MIB, size / (1 << 30)

        def runs(values):
            return " ".join(f"{v:.2f}" for v in values)

        print(f"file        {mib:.0f} MiB in {chunk / MIB:.0f} MiB PATCHes, one connection, {args.server}")
        print(
            f"load        {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min), {os.cpu_count()} CPUs"
        )
        print(f"node tus    best {best_theirs:.2f} s  {mib / best_theirs:.1f} MiB/s   runs {runs(theirs)}")
        print(f"portal tus  best {best_ours:.2f} s  {mib / best_ours:.1f} MiB/s   runs {runs(ours)}")
        print("            (the portal hashes every byte (MD5) and fsyncs before answering the last PATCH;")
        print("             the Node server does neither)")
        print(
            f"server CPU  portal {min(our_cpu) / gib:.2f} s/GiB, node {min(their_cpu) / gib:.2f} s/GiB "
            "(least of the runs)"
        )
        print(f"ratio       {best_theirs / best_ours:.2f} (portal speed / Node speed)")
        print(f"server RSS  baseline {baseline / 1024:.1f} MB, peak {sampler.peak / 1024:.1f} MB")
        print(f"md5         {expected_md5} (both servers agree)")
        print(
            f"RESULT upload ratio={best_theirs / best_ours:.2f} tus_mib_s={mib / best_ours:.1f} "
            f"node_mib_s={mib / best_theirs:.1f} rss_growth_mb={growth_mb:.1f} "
            f"server_cpu_s_per_gib={min(our_cpu) / gib:.2f} node_cpu_s_per_gib={min(their_cpu) / gib:.2f}"
        )
    finally:
        for server in (proc, node):
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
