"""Operations commands: cleanup_uploads, requeue_stalled, verify_credentials."""

from __future__ import annotations

import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from factories import make_upload

sys.path.insert(0, str(Path(__file__).resolve().parent / "ftrack"))

from ftrack_support import give_credential  # noqa: E402

from publishing.models import FtrackCredential, PublishBatch, PublishJob, Upload  # noqa: E402
from publishing.uploads import storage  # noqa: E402


def run(name: str, *args) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def _partial(upload) -> Path:
    path = storage.partial_path(upload.pk, ".mov")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * upload.offset)
    return path


def test_cleanup_uploads_expires_only_abandoned_partials(producer):
    past = timezone.now() - timedelta(hours=1)
    abandoned = make_upload(producer, filename="old.mov", size=100, offset=10, expires_at=past)
    active = make_upload(
        producer, filename="busy.mov", size=100, offset=10, expires_at=timezone.now() + timedelta(hours=1)
    )
    done = make_upload(producer, filename="done.mov", state="ready", size=100, offset=100, expires_at=None)
    files = {u.pk: _partial(u) for u in (abandoned, active)}

    out = run("cleanup_uploads", "--dry-run")
    assert f"Would expire {abandoned.pk} old.mov" in out and "busy.mov" not in out
    assert Upload.objects.get(pk=abandoned.pk).state == "receiving" and files[abandoned.pk].exists()

    out = run("cleanup_uploads")
    assert "Expired 1 abandoned upload(s)." in out
    assert Upload.objects.get(pk=abandoned.pk).state == "expired"
    assert not files[abandoned.pk].exists()
    assert files[active.pk].exists() and Upload.objects.get(pk=active.pk).state == "receiving"
    assert Upload.objects.get(pk=done.pk).state == "ready"


def test_requeue_stalled_hands_dead_jobs_back(producer, monkeypatch, settings):
    from publishing.pipeline import jobs as job_services

    sent = []
    monkeypatch.setattr(job_services, "job_enqueue", lambda job_id, **kw: sent.append(job_id))
    settings.PUBLISH_STALL_AFTER = 60
    batch = PublishBatch.objects.create(owner=producer)
    old = timezone.now() - timedelta(minutes=10)
    stalled = PublishJob.objects.create(
        batch=batch, context_id="c", asset_name="stuck", status="running", stage="upload",
        heartbeat_at=old, claimed_by="elsewhere:1",
    )  # fmt: skip
    alive = PublishJob.objects.create(
        batch=batch,
        context_id="c",
        asset_name="fine",
        status="running",
        stage="upload",
        heartbeat_at=timezone.now(),
    )

    out = run("requeue_stalled", "--dry-run")
    assert f"Would re-queue job {stalled.pk} stuck" in out and "fine" not in out
    assert PublishJob.objects.get(pk=stalled.pk).status == "running" and sent == []

    out = run("requeue_stalled")
    assert f"Re-queued job {stalled.pk}" in out
    assert PublishJob.objects.get(pk=stalled.pk).status == "queued"
    assert PublishJob.objects.get(pk=alive.pk).status == "running"
    assert sent == [stalled.pk]


@pytest.fixture
def ftrack(portal_on_devserver):
    """The portal pointed at the dev server, with fresh sessions and no cached answers."""
    return portal_on_devserver


def test_verify_credentials_records_health_and_exits_1_on_a_refused_key(ftrack, producer, other_producer):
    give_credential(producer, "producer")
    give_credential(other_producer, "producer", api_key="revoked-key-123")
    with pytest.raises(CommandError) as info:
        run("verify_credentials")
    assert info.value.returncode == 1
    assert "1 verified" in str(info.value) and "1 refused" in str(info.value)
    assert FtrackCredential.objects.get(user=producer).is_healthy is True
    refused = FtrackCredential.objects.get(user=other_producer)
    assert refused.is_healthy is False and refused.last_error
    assert "revoked-key-123" not in str(info.value)

    out = run("verify_credentials", "--user", producer.username)
    assert "pia.producer as producer: ok" in out and "1 verified" in out
    assert "demo-key-producer" not in out
    with pytest.raises(CommandError) as unknown:
        run("verify_credentials", "--user", "nobody")
    assert unknown.value.returncode == 2
