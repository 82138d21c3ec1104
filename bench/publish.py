"""Publishing one large staged movie: the portal's worker vs ftrack_api's own path vs a bare curl PUT.

One run, one dev server, the same file:

1. Make a valid H.264 MP4 of about ``--size`` bytes (default 256 MiB; the issue's figure is 1 GiB):
   a chunk of lossless-encoded noise (incompressible, like real camera media) concatenated without
   re-encoding until the size is reached. Its MD5 is computed once, as the tus upload does.
2. (a) The portal: a worker-side process (Django, SQLite, local staging holding the movie, the
   real publisher) first publishes two tiny movies through the encode route (the first opens the
   session; the second is the warm publish whose ``/api`` round trips are counted from the dev
   server's request log, Job polling excluded), then publishes the big movie. The big one goes by the
   pre-encoded route ("encode for review" off, the movie is browser-ready): the dev server's encoder
   would otherwise spend minutes decoding a GiB of noise, which says nothing about the upload. The
   upload stage time is the job's own ``stage_durations["upload"]`` (staging → ftrack.server,
   including ``get_upload_metadata`` and the commit). Meanwhile the worker's VmRSS is sampled from
   /proc: growth = peak during the big publish − the value after the warm-up.
3. (b) ftrack_api's documented path, in this process: ``version.create_component(path,
   {"name": "main"}, location=<ftrack.server>)`` (``location.add_component`` underneath), timed.
4. (c) ``curl -T`` of the same file to a signed upload URL from ``get_upload_metadata``: the limit of
   that hop.

Prints the figures and one last line
``RESULT publish ratio=<b/a> vs_curl=<a/c> rss_growth_mb=.. round_trips=..``
(targets: ratio ≥ 2, vs_curl ≤ 1.3, rss_growth_mb < 100, round_trips ≤ 8).

Usage: ``python bench/publish.py [--size 1G] [--dir PATH] [--keep]``
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from benchlib import parse_size, rss_kib  # bench/ is on sys.path as the script's folder

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
MIB = 1 << 20


def ffmpeg(*args: str) -> None:
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run([exe, "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make_movie(workdir: str, size: int) -> tuple[str, str]:
    """A browser-ready MP4 of about ``size`` bytes; returns (path, base64 MD5)."""
    chunk = os.path.join(workdir, "chunk.mp4")
    # A ~16 MiB chunk (lossless 640x360 noise is ~500 KiB a frame), repeated to reach the size.
    frames = max(10, min(32, size // (500 * 1024)))
    ffmpeg(
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "640x360", "-r", "25", "-i", "/dev/urandom",
        "-frames:v", str(frames), "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0",
        "-pix_fmt", "yuv420p", chunk,
    )  # fmt: skip
    copies = max(1, math.ceil(size / os.path.getsize(chunk)))
    listing = os.path.join(workdir, "concat.txt")
    with open(listing, "w") as fh:
        fh.write(f"file '{chunk}'\n" * copies)
    movie = os.path.join(workdir, "bench.mp4")
    ffmpeg("-f", "concat", "-safe", "0", "-i", listing, "-c", "copy", "-movflags", "+faststart", movie)
    os.remove(chunk)
    digest = hashlib.md5()
    with open(movie, "rb") as fh:
        for block in iter(lambda: fh.read(8 * MIB), b""):
            digest.update(block)
    return movie, base64.b64encode(digest.digest()).decode()


def tiny_movie(path: str) -> str:
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=64x64:rate=25",
        "-t",
        "1",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libx264",
        path,
    )
    return path


def start_devserver(data_dir: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ftrack_devserver", "serve", "--host", "127.0.0.1", "--port", "0"]
        + ["--data", data_dir, "--seed", "demo"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = ""
    for line in proc.stdout:
        if line.startswith("ftrack_devserver listening on "):
            url = line.split()[-1]
        if line.strip() == "ready":
            break
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    if not url:
        raise SystemExit("the dev server did not start")
    return proc, url


def request_log(url: str, since: int = 0) -> list[dict]:
    import requests

    return requests.get(f"{url}/_devserver/requests", params={"since": since}, timeout=30).json()


def round_trips(entries: list[dict], user: str) -> int:
    """``/api`` calls of ``user`` (the operations of one call share its ``call`` id), Job polls excluded."""
    calls: dict[int, list[tuple]] = {}
    for entry in entries:
        if entry.get("user") == user and entry.get("call") is not None:
            calls.setdefault(entry["call"], []).append((entry["action"], entry.get("entity_type")))
    return sum(1 for operations in calls.values() if operations != [("query", "Job")])


def demo_task(session) -> object:
    return session.query(
        'select id, parent_id from Task where name is "compositing" and parent.name is "sh010" '
        'and parent.parent.name is "sq010"'
    ).one()


# --- (a) the portal's worker, in its own process ------------------------------------------------


def worker_side(work: str, server: str, movie: str, md5: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=f"sqlite:///{work}/bench.sqlite3",
        STAGING_DIR=f"{work}/staging",
        UPLOAD_PARTIAL_DIR=f"{work}/partial",
        FTRACK_SERVER=server,
        FTRACK_SCHEMA_CACHE_DIR=f"{work}/schemas",
        FTRACK_ENCODE_POLL="0.3",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.conf import settings

    if os.environ.get("BENCH_SINGLE_PUT"):
        settings.FTRACK_MULTIPART_THRESHOLD = 1 << 62
    from django.contrib.auth.models import Group, User
    from django.core.files.storage import storages
    from django.core.management import call_command

    from publishing.core.crypto import encrypt_secret
    from publishing.models import FtrackCredential, JobUpload, PublishBatch, PublishJob, Upload
    from publishing.pipeline.publisher import publish
    from publishing.uploads.probe import probe_media
    from publishing.uploads.storage import staging_path

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench.producer", email="bench@example.com")
    user.groups.add(Group.objects.get_or_create(name="producer")[0])
    FtrackCredential.objects.create(
        user=user, api_user="producer", api_key_encrypted=encrypt_secret("demo-key-producer")
    )
    import ftrack_api

    admin = ftrack_api.Session(
        server_url=server, api_user="admin", api_key="demo-key-admin", auto_connect_event_hub=False
    )
    task_id = demo_task(admin)["id"]
    admin.close()

    def staged(source: str, digest: str | None = None) -> Upload:
        upload_id = uuid.uuid4()
        name = staging_path(upload_id, ".mp4")
        target = storages["staging"].path(name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.link(source, target)  # staged as the tus view leaves it, without a copy on the same disk
        if digest is None:
            with open(source, "rb") as fh:
                digest = base64.b64encode(hashlib.md5(fh.read()).digest()).decode()
        size = os.path.getsize(source)
        return Upload.objects.create(
            id=upload_id, owner=user, filename=os.path.basename(source), size=size, offset=size,
            storage_path=name, md5_base64=digest, state=Upload.State.READY, kind="movie",
            probe=probe_media(target).info,
        )  # fmt: skip

    def run(upload: Upload, name: str, encode: bool) -> PublishJob:
        batch = PublishBatch.objects.create(owner=user, comment="bench", encode_for_review=encode)
        job = PublishJob.objects.create(
            batch=batch,
            kind="movie",
            context_id=task_id,
            asset_name=name,
            asset_type="Upload",
            comment="bench",
        )
        JobUpload.objects.create(job=job, upload=upload, position=0)
        outcome = publish(job.pk)
        job.refresh_from_db()
        if outcome != "published":
            raise SystemExit(f"publish of {name} ended {outcome}: {job.error_message}")
        return job

    small = tiny_movie(f"{work}/tiny.mp4")
    run(staged(small), "warm-up", encode=True)  # opens the session, fetches the schemas
    mark = max((e["seq"] for e in request_log(server)), default=0)
    run(staged(small), "warm", encode=True)
    warm_trips = round_trips(request_log(server, mark), "producer")
    big = staged(movie, md5)
    print("BASELINE", flush=True)
    mark = max((e["seq"] for e in request_log(server)), default=0)
    job = run(big, "bench-big", encode=False)
    big_trips = round_trips(request_log(server, mark), "producer")
    print("DONE", flush=True)
    print(
        "JSON "
        + json.dumps(
            {"stages": job.stage_durations, "round_trips": warm_trips, "round_trips_big": big_trips}
        ),
        flush=True,
    )


def run_worker_side(work: str, server: str, movie: str, md5: str, single_put: bool) -> tuple[dict, int, int]:
    """Run (a) in a child process, sampling its RSS; returns (results, baseline KiB, peak KiB)."""
    env = dict(os.environ, BENCH_SINGLE_PUT="1" if single_put else "")
    child = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--worker-side", work, server, movie, md5],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    state = {"baseline": 0, "peak": 0, "measuring": False}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            if state["measuring"]:
                state["peak"] = max(state["peak"], rss_kib(child.pid))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    results: dict = {}
    for line in child.stdout:
        if line.startswith("BASELINE"):
            state["baseline"] = state["peak"] = rss_kib(child.pid)
            state["measuring"] = True
        elif line.startswith("DONE"):
            state["measuring"] = False
        elif line.startswith("JSON "):
            results = json.loads(line[5:])
    stop.set()
    if child.wait() != 0 or not results:
        raise SystemExit("the worker side failed")
    return results, state["baseline"], state["peak"]


# --- (b) ftrack_api's documented path and (c) curl ----------------------------------------------


def ftrack_api_path(server: str, movie: str) -> float:
    import ftrack_api

    session = ftrack_api.Session(
        server_url=server, api_user="producer", api_key="demo-key-producer", auto_connect_event_hub=False
    )
    task = demo_task(session)
    asset_type = session.query('select id from AssetType where name is "Upload"').one()
    asset = session.create(
        "Asset", {"name": "bench-ftrack-api", "type": asset_type, "parent_id": task["parent_id"]}
    )
    version = session.create("AssetVersion", {"asset": asset, "task": task})
    session.commit()
    location = session.query(f"Location where id is {ftrack_api.symbol.SERVER_LOCATION_ID}").one()
    started = time.monotonic()
    version.create_component(movie, data={"name": "main"}, location=location)
    elapsed = time.monotonic() - started
    session.close()
    return elapsed


def curl_put(server: str, movie: str, md5: str) -> float:
    import ftrack_api

    session = ftrack_api.Session(
        server_url=server, api_user="producer", api_key="demo-key-producer", auto_connect_event_hub=False
    )
    meta = session.call(
        [
            {
                "action": "get_upload_metadata",
                "component_id": str(uuid.uuid4()),
                "file_name": "curl.mp4",
                "file_size": os.path.getsize(movie),
                "checksum": md5,
            }
        ]
    )[0]
    session.close()
    headers = []
    for name, value in (meta.get("headers") or {}).items():
        if name.lower() != "content-length":
            headers += ["-H", f"{name}: {value}"]
    started = time.monotonic()
    subprocess.run(
        ["curl", "-sS", "--fail", "-o", "/dev/null", "-T", movie, *headers, meta["url"]], check=True
    )
    return time.monotonic() - started


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker-side":
        worker_side(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="256M")
    parser.add_argument("--dir", default=None, help="where to put the movie and the dev server's data")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--single-put",
        action="store_true",
        help="the portal sends one PUT even above FTRACK_MULTIPART_THRESHOLD (default: parallel parts)",
    )
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="bench-publish-", dir=args.dir)
    server_proc = None
    try:
        started = time.monotonic()
        movie, md5 = make_movie(work, parse_size(args.size))
        size = os.path.getsize(movie)
        print(f"movie: {size / MIB:.0f} MiB H.264 MP4, made in {time.monotonic() - started:.1f} s")
        server_proc, server = start_devserver(os.path.join(work, "ftrack"))

        results, baseline, peak = run_worker_side(work, server, movie, md5, args.single_put)
        portal = float(results["stages"]["upload"])
        ftrack = ftrack_api_path(server, movie)
        curl = curl_put(server, movie, md5)
    finally:
        if server_proc is not None:
            server_proc.terminate()
            server_proc.wait(30)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    growth = (peak - baseline) / 1024
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    print(f"load average: {load} ({os.cpu_count()} cores)")
    for label, seconds in (
        ("portal upload stage", portal),
        ("ftrack_api create_component", ftrack),
        ("curl -T", curl),
    ):
        print(f"{label:28s} {seconds:8.2f} s  {size / MIB / seconds:8.1f} MiB/s")
    print(f"portal stages: {json.dumps(results['stages'])}")
    print(f"worker RSS: {baseline / 1024:.0f} MB after warm-up, peak {peak / 1024:.0f} MB during the publish")
    print(
        f"API round trips: {results['round_trips']} for a warm publish (encode route, Job polls excluded); "
        f"{results['round_trips_big']} for the big pre-encoded publish"
    )
    print(
        f"RESULT publish ratio={ftrack / portal:.2f} vs_curl={portal / curl:.2f} "
        f"rss_growth_mb={growth:.1f} round_trips={results['round_trips']}"
    )


if __name__ == "__main__":
    main()
