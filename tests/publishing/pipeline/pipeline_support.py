"""Making ready uploads and batches, waiting for jobs, and reading the result back from ftrack."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import time
import uuid
from pathlib import Path

import ftrack_api

TERMINAL = ("published", "failed", "cancelled")


def ready_upload(owner, source: Path, *, filename: str | None = None):
    """An Upload in state READY whose bytes are in staging, as the tus view leaves it."""
    from django.core.files.storage import storages

    from publishing.models import Upload
    from publishing.uploads.probe import probe_media
    from publishing.uploads.storage import staging_path

    upload_id = uuid.uuid4()
    filename = filename or source.name
    name = staging_path(upload_id, source.suffix.lower())
    target = Path(storages["staging"].path(name))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    data = source.read_bytes()
    probe = probe_media(target)
    assert probe.ok, probe.reject_reason
    return Upload.objects.create(
        id=upload_id,
        owner=owner,
        filename=filename,
        size=len(data),
        offset=len(data),
        storage_path=name,
        md5_base64=base64.b64encode(hashlib.md5(data).digest()).decode(),
        state=Upload.State.READY,
        kind=probe.kind,
        probe=probe.info,
    )


def submit(owner, context_id: str, items: list[dict], *, reviewers=(), encode=True, comment="Please review"):
    from publishing.pipeline.batches import batch_create

    return batch_create(
        owner=owner,
        context_id=context_id,
        asset_type="Upload",
        comment=comment,
        reviewers=list(reviewers),
        encode=encode,
        items=items,
    )


def wait_for_jobs(batch, *, timeout: float = 90, worker=None):
    """Poll the job rows until every job of the batch has finished."""
    from publishing.models import PublishJob

    deadline = time.monotonic() + timeout
    while True:
        jobs = list(PublishJob.objects.filter(batch=batch).order_by("id"))
        if all(j.status in TERMINAL for j in jobs):
            return jobs
        if time.monotonic() > deadline:
            states = [(j.pk, j.status, j.stage, j.error_message) for j in jobs]
            tail = worker.text()[-3000:] if worker else ""
            raise AssertionError(f"jobs did not finish: {states}\n{tail}")
        time.sleep(0.1)  # polling the job table


def wait_until(predicate, *, timeout: float = 60, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.05)  # polling
    return value


def admin_session(server) -> ftrack_api.Session:
    """An independent ftrack session (admin) to check what really exists on the server."""
    return ftrack_api.Session(
        server_url=server.url,
        api_user="admin",
        api_key="demo-key-admin",
        auto_connect_event_hub=False,
        schema_cache_path=False,
    )


def task_id(session, project="demo", sequence="sq010", shot="sh010", task="compositing") -> str:
    return session.query(
        f'select id from Task where name is "{task}" and parent.name is "{shot}" '
        f'and parent.parent.name is "{sequence}" and project.name is "{project}"'
    ).one()["id"]


def user_id(session, username: str) -> str:
    return session.query(f'select id from User where username is "{username}"').one()["id"]


def ftrack_version_state(session, version_id: str) -> dict:
    """What a reviewer would get: components, where they are stored, ftr_meta, thumbnail."""
    version = session.query(
        f'select id, version, thumbnail_id, asset_id, task_id, status_id from AssetVersion where id is "{version_id}"'
    ).one()
    status = session.query(f'select name from Status where id is "{version["status_id"]}"').first()
    components = session.query(
        f'select id, name, file_type from Component where version_id is "{version_id}"'
    ).all()
    ids = [c["id"] for c in components] + ([version["thumbnail_id"]] if version["thumbnail_id"] else [])
    stored = {
        row["component_id"]
        for row in session.query(
            "select component_id from ComponentLocation where location_id is "
            f"{ftrack_api.symbol.SERVER_LOCATION_ID} and component_id in ({','.join(ids)})"
        ).all()
    }
    metas = {
        m["parent_id"]: json.loads(m["value"])
        for m in session.query(
            f'select parent_id, key, value from Metadata where key is "ftr_meta" and parent_id in ({",".join(ids)})'
        ).all()
    }
    return {
        "version": version,
        "status": status["name"] if status else None,
        "components": {c["name"]: c["id"] for c in components},
        "component_names": sorted(c["name"] for c in components),
        "stored": stored,
        "ftr_meta": metas,
    }


def api_round_trips(entries: list[dict], *, user: str, skip_job_polls: bool = True) -> list[list[str]]:
    """The ``/api`` calls of ``user`` in a slice of the dev server's request log, as lists of operations.

    The log has one entry per operation; the operations of one ``POST /api`` share its ``call`` id.
    Upload PUTs are not API calls; polling the encode Job is left out when ``skip_job_polls``.
    """
    by_call: dict[int, list[str]] = {}
    for entry in sorted(entries, key=lambda e: e["seq"]):
        if entry.get("user") != user or entry.get("call") is None:
            continue
        operation = f"{entry['action']} {entry.get('entity_type') or ''}".strip()
        by_call.setdefault(entry["call"], []).append(operation)
    calls = list(by_call.values())
    if skip_job_polls:
        calls = [c for c in calls if c != ["query Job"]]
    return calls
