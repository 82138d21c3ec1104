"""How fast does the ftrack dev server take an upload, compared with hashing the same file?

The dev server is a test double, so the yardstick is not a copy but the work it cannot avoid:
ftrack_api always sends ``Content-MD5``, so the server hashes every byte, and a PUT can be no faster
than one MD5 stream over the file. The target is at least 0.8 of that rate, memory flat.

1. Write a test file of ``--size`` bytes (default 256 MiB) into a temp folder on the data disk.
2. Start the dev server (subprocess, port 0, data dir in the same folder).
3. ``--rounds`` times (default 3), alternately: the baseline, one MD5 stream over the file in this
   process (1 MiB reads, from the page cache), then ask for upload metadata with a raw ``POST /api``
   (demo producer credentials) and PUT the file streaming, with ``Content-MD5``, the way ftrack_api
   does. Each starts after a ``sync``; the best of each counts. While the PUTs run, sample the
   server's RSS from ``/proc/<pid>/status`` to show the body is streamed, not buffered.
4. Print the figures and one line
   ``RESULT devserver_put ratio=<PUT speed / MD5 speed> put_mib_s=.. md5_mib_s=.. rss_growth_mb=..``.

``--no-checksum`` sends no ``Content-MD5`` (the JS client's single-part PUT without a checksum):
the server then does not hash, which shows the PUT path's own cost apart from MD5's.

Usage: ``python bench/devserver_put.py [--size 2G] [--rounds 3] [--no-checksum] [--dir PATH] [--keep]``
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from urllib.parse import urlsplit

from benchlib import (  # bench/ is on sys.path as the script's folder
    MIB,
    RssSampler,
    parse_size,
    write_test_file,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHUNK = 1 << 20
USER, API_KEY = "producer", "demo-key-producer"


def time_md5(src: str) -> float:
    """Seconds for one MD5 stream over the file (the least work a checked PUT must do)."""
    digest = hashlib.md5()
    started = time.perf_counter()
    with open(src, "rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return time.perf_counter() - started


def start_server(data_dir: str) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "ftrack_devserver", "serve", "--host", "127.0.0.1", "--port", "0"]
    command += ["--data", data_dir, "--seed", "demo"]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    url = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"dev server exited early (code {proc.wait()})")
        if line.startswith("ftrack_devserver listening on "):
            url = line.split(" on ", 1)[1].strip()
        if line.strip() == "ready":
            break
    if not url:
        proc.kill()
        raise SystemExit("dev server did not report its URL")
    # Keep draining stdout so the server never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, url


def upload_metadata(url: str, component_id: str, size: int, checksum: str) -> dict:
    body = [{"action": "get_upload_metadata", "component_id": component_id, "file_name": "bench.bin",
             "file_size": size, "checksum": checksum}]  # fmt: skip
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Content-Type": "application/json", "ftrack-user": USER, "ftrack-api-key": API_KEY}
    conn.request("POST", "/api", body=json.dumps(body), headers=headers)
    reply = json.loads(conn.getresponse().read())
    conn.close()
    if not isinstance(reply, list) or "url" not in reply[0]:
        raise SystemExit("get_upload_metadata failed: the server did not return an upload URL")
    return reply[0]


def put_file(upload_url: str, headers: dict, path: str, size: int) -> float:
    """Stream the file in 1 MiB pieces like requests.put(data=file) does; return seconds."""
    parts = urlsplit(upload_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    started = time.perf_counter()
    conn.putrequest("PUT", target, skip_accept_encoding=True)
    for name, value in headers.items():
        if name.lower() != "content-length":
            conn.putheader(name, value)
    conn.putheader("Content-Length", str(size))
    conn.endheaders()
    with open(path, "rb") as source:
        while piece := source.read(CHUNK):
            conn.send(piece)
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    if not 200 <= response.status < 300:
        raise SystemExit(f"PUT failed with HTTP {response.status}")
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="256M", help="test file size, e.g. 256M or 2G (default 256M)")
    parser.add_argument("--dir", default=os.path.join(REPO, "var"), help="folder on the disk to test")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternate MD5 and PUT this often (best counts)"
    )
    parser.add_argument(
        "--no-checksum", action="store_true", help="PUT without Content-MD5 (no server hashing)"
    )
    args = parser.parse_args(argv)
    size = parse_size(args.size)
    os.makedirs(args.dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bench-put-", dir=args.dir)
    proc = None
    try:
        src = os.path.join(work, "source.bin")
        print(f"writing {size / MIB:.0f} MiB test file in {work}", flush=True)
        checksum = write_test_file(src, size)
        proc, url = start_server(os.path.join(work, "data"))
        upload_metadata(url, str(uuid.uuid4()), size, checksum)  # warm-up: RSS baseline after imports
        sampler = RssSampler(proc.pid)
        sampler.start()
        # The machine is shared: MD5 and PUT alternate, each starting with nothing dirty in the page
        # cache, and the best run of each is compared.
        md5_runs, put_runs = [], []
        for _ in range(args.rounds):
            subprocess.run(["sync"], check=True)
            md5_runs.append(time_md5(src))
            subprocess.run(["sync"], check=True)
            component_id = str(uuid.uuid4())
            metadata = upload_metadata(url, component_id, size, None if args.no_checksum else checksum)
            put_runs.append(put_file(metadata["url"], metadata.get("headers") or {}, src, size))
            stored = os.path.join(work, "data", "files", component_id)
            if os.path.getsize(stored) != size:
                raise SystemExit("the stored upload has the wrong size")
            os.remove(stored)
        sampler.stop()
        growth = (sampler.peak - sampler.baseline) / 1024
        md5_seconds, put_seconds = min(md5_runs), min(put_runs)
        mib = size / MIB

        def runs(values):
            return " ".join(f"{mib / v:.0f}" for v in values)

        print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min), {os.cpu_count()} CPUs")
        print(f"MD5: best {md5_seconds:.2f} s, {mib / md5_seconds:.0f} MiB/s (runs, MiB/s: {runs(md5_runs)})")
        print(f"PUT: best {put_seconds:.2f} s, {mib / put_seconds:.0f} MiB/s (runs, MiB/s: {runs(put_runs)})")
        print(
            f"server RSS: {sampler.baseline / 1024:.0f} MB before, {sampler.peak / 1024:.0f} MB peak during the PUTs"
        )
        ratio = md5_seconds / put_seconds
        print(
            f"RESULT devserver_put ratio={ratio:.2f} put_mib_s={mib / put_seconds:.1f} "
            f"md5_mib_s={mib / md5_seconds:.1f} rss_growth_mb={growth:.1f} "
            f"checksum={'none' if args.no_checksum else 'md5'}",
            flush=True,
        )
        return 0
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
