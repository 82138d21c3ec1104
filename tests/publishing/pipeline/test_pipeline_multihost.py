"""The multi-host configuration: web and worker share only PostgreSQL, Redis and S3.

* PostgreSQL on 127.0.0.1:5432 (trust auth), a throwaway database for this run;
* S3 staging: moto's server on loopback, one bucket;
* the web process: gunicorn with its own partial-upload folder; it takes a tus upload over HTTP and
  the batch submit from a logged-in producer;
* the worker process: a Celery worker with no staging folder and another partial folder, which
  publishes the upload to the dev server by streaming it from S3.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import requests
from factories import make_movie
from pipeline_support import admin_session, ftrack_version_state, task_id, wait_until
from workers import REPO, start_worker, stop_worker

psycopg = pytest.importorskip("psycopg")

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def _pg(dbname: str = "postgres"):
    return psycopg.connect(**PG, dbname=dbname, connect_timeout=3, autocommit=True)


@pytest.fixture
def pg_database():
    try:
        admin = _pg()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL does not answer on 127.0.0.1:5432 ({exc.__class__.__name__})")
    name = f"rp_multihost_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def s3_bucket():
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    bucket = f"staging-{uuid.uuid4().hex[:8]}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    yield {"endpoint": endpoint, "bucket": bucket, "client": client}
    server.stop()


def _shared_env(pg_name: str, s3: dict, redis_url: str, ftrack_url: str, prefix: str, tmp: Path) -> dict:
    """What web and worker have in common: the database, Redis, S3, ftrack and the secrets."""
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{pg_name}",
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        CELERY_RESULT_BACKEND=redis_url,
        CELERY_KEY_PREFIX=prefix,
        STAGING_S3_BUCKET=s3["bucket"],
        STAGING_S3_ENDPOINT_URL=s3["endpoint"],
        STAGING_S3_REGION="us-east-1",
        STAGING_S3_ACCESS_KEY_ID="test",
        STAGING_S3_SECRET_ACCESS_KEY="test",
        FTRACK_SERVER=ftrack_url,
        SECRET_KEY="multihost-test-secret",
        CREDENTIAL_KEYS=base64.urlsafe_b64encode(b"m" * 32).decode(),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PYTHONUNBUFFERED="1",
        # Neither host has the other's disk: a staging folder that does not exist proves nobody uses one.
        STAGING_DIR=str(tmp / "no-local-staging"),
    )


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


SETUP_PRODUCER = """
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from publishing.core.crypto import encrypt_secret
from publishing.models import FtrackCredential
user = User.objects.create_user("mh.producer", email="mh@example.com", password="pw-multihost")
user.groups.add(Group.objects.get_or_create(name="producer")[0])
FtrackCredential.objects.create(user=user, api_user="producer", api_key_encrypted=encrypt_secret("demo-key-producer"))
print("TOKEN", Token.objects.create(user=user).key)
"""


def _start_web(env: dict) -> tuple[subprocess.Popen, str, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "-b", "127.0.0.1:0", "-w", "1"]
        + ["--threads", "4", "--timeout", "120"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    lines: list[str] = []
    found: dict[str, str] = {}
    listening = threading.Event()

    def drain():
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            match = re.search(r"Listening at: (http://\S+)", line)
            if match:
                found["url"] = match.group(1)
                listening.set()
        listening.set()

    threading.Thread(target=drain, daemon=True).start()
    if not listening.wait(60) or "url" not in found:
        proc.kill()
        raise RuntimeError("gunicorn did not start:\n" + "\n".join(lines[-40:]))
    return proc, found["url"], lines


def _tus_upload(base: str, token: str, path: Path) -> str:
    data = path.read_bytes()
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in (("filename", path.name), ("filetype", "video/quicktime"))
    )
    auth = {"Tus-Resumable": "1.0.0", "Authorization": f"Token {token}"}
    created = requests.post(
        f"{base}/api/uploads/",
        headers={**auth, "Upload-Length": str(len(data)), "Upload-Metadata": meta},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    location = requests.compat.urljoin(f"{base}/api/uploads/", created.headers["Location"])
    patched = requests.patch(
        location,
        data=data,
        headers={**auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        timeout=60,
    )
    assert patched.status_code == 204, patched.text
    assert int(patched.headers["Upload-Offset"]) == len(data)
    return location.rstrip("/").rsplit("/", 1)[-1]


def _logged_in(base: str) -> requests.Session:
    browser = requests.Session()
    browser.get(f"{base}/accounts/login/", timeout=30).raise_for_status()
    response = browser.post(
        f"{base}/accounts/login/",
        data={
            "username": "mh.producer",
            "password": "pw-multihost",
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=30,
    )
    assert response.ok and "sessionid" in browser.cookies, response.text[:500]
    return browser


def test_web_and_worker_share_only_database_redis_and_s3(
    pg_database, s3_bucket, redis_url, ftrack_server, tmp_path
):
    prefix = f"test-{uuid.uuid4().hex[:10]}:"
    shared = _shared_env(pg_database, s3_bucket, redis_url, ftrack_server.url, prefix, tmp_path)
    _manage(shared, "migrate", "--noinput", "-v", "0")
    token = re.search(r"TOKEN (\w+)", _manage(shared, "shell", "-c", SETUP_PRODUCER)).group(1)

    web_partial, worker_partial = tmp_path / "web-partial", tmp_path / "worker-partial"
    web, base, web_log = _start_web(dict(shared, UPLOAD_PARTIAL_DIR=str(web_partial)))
    worker = start_worker(
        dict(
            shared,
            UPLOAD_PARTIAL_DIR=str(worker_partial),
            FTRACK_SCHEMA_CACHE_DIR=str(tmp_path / "worker-schemas"),
            FTRACK_ENCODE_POLL="0.3",
        ),
        concurrency=1,
    )
    ftrack = admin_session(ftrack_server)
    try:
        upload_id = _tus_upload(base, token, make_movie(tmp_path / "multihost.mov"))
        browser = _logged_in(base)
        response = browser.post(
            f"{base}/api/batches/",
            json={
                "context_id": task_id(ftrack, sequence="sq010", shot="sh020", task="animation"),
                "asset_type": "Upload",
                "comment": "multi-host",
                "reviewers": [],
                "encode": True,
                "items": [{"kind": "movie", "asset_name": "multihost", "upload_ids": [upload_id]}],
            },
            headers={"X-CSRFToken": browser.cookies["csrftoken"], "Referer": base + "/"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        batch_id = response.json()["id"]

        with _pg(pg_database) as db:

            def finished():
                row = db.execute(
                    "select status, error_message, ftrack_version_id, stage_durations "
                    "from publishing_publishjob where batch_id = %s",
                    (batch_id,),
                ).fetchone()
                return row if row and row[0] in ("published", "failed", "cancelled") else None

            status, error, version_id, durations = wait_until(finished, timeout=120, message="the publish")
            storage_path = db.execute(
                "select storage_path from publishing_upload where id = %s", (upload_id,)
            ).fetchone()[0]
    finally:
        stop_worker(worker)
        web.terminate()
        web.wait(20)

    assert status == "published", error + "\n" + worker.text()[-3000:] + "\n".join(web_log[-20:])
    assert set(durations) == {"version", "upload", "encode", "verify", "notify"}
    state = ftrack_version_state(ftrack, version_id)
    ftrack.close()
    review = state["components"]["ftrackreview-mp4"]
    assert state["components"]["main"] in state["stored"] and review in state["stored"]
    meta = state["ftr_meta"][review]
    assert meta["frameRate"] > 0 and meta["width"] == 64 and meta["frameOut"] >= meta["frameIn"]
    assert state["version"]["thumbnail_id"] in state["stored"]
    # The bytes lived in S3 only: staged there by the web process, nothing left on either local disk.
    listed = s3_bucket["client"].list_objects_v2(Bucket=s3_bucket["bucket"])
    assert [o["Key"] for o in listed.get("Contents", [])] == [storage_path]
    assert not any(p.is_file() for p in web_partial.rglob("*"))
    assert not (tmp_path / "no-local-staging").exists() or not any(
        (tmp_path / "no-local-staging").rglob("*.mov")
    )
    assert not worker_partial.exists() or not any(worker_partial.rglob("*.mov"))
