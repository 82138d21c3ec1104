"""The duplicate-encode window: a worker dies after ``encode_media`` but before the Job id is saved.

The crash is staged in this process: saving the Job id raises instead of writing it, as if the
process had been killed between ftrack's answer and our UPDATE. The redelivered run must find the
encode Job ftrack already has for that source and follow it, never ask for a second encode.
"""

from __future__ import annotations

import pytest
from factories import make_movie
from ftrack_support import give_credential
from inprocess import queued_job
from pipeline_support import admin_session, ftrack_version_state, ready_upload, task_id

from publishing.models import JobEvent, PublishJob
from publishing.pipeline import run as run_module
from publishing.pipeline.publisher import publish

pytestmark = pytest.mark.django_db(transaction=True)


class WorkerKilled(BaseException):
    """Not an Exception: nothing in the publisher may catch it, as nothing catches SIGKILL."""


def _encode_jobs(session, component_id: str) -> list:
    return session.query(
        f'select id, status, data from Job where type is "encode_media" and data like "%{component_id}%"'
    ).all()


def test_a_run_killed_before_recording_the_encode_job_adopts_it(
    producer, inprocess, ftrack_server, tmp_path, monkeypatch
):
    give_credential(producer, "producer")
    admin = admin_session(ftrack_server)
    upload = ready_upload(producer, make_movie(tmp_path / "window.mov"))
    job = queued_job(producer, task_id(admin, shot="sh020"), [upload], asset_name="encode-window")

    real_save = run_module.Run.save

    def save_or_die(self, **fields):
        if "ftrack_encode_job_id" in fields:
            raise WorkerKilled
        return real_save(self, **fields)

    monkeypatch.setattr(run_module.Run, "save", save_or_die)
    with pytest.raises(WorkerKilled):
        publish(job.pk)
    monkeypatch.setattr(run_module.Run, "save", real_save)

    job.refresh_from_db()
    assert job.status == "running" and job.stage == "encode" and not job.ftrack_encode_job_id
    (started,) = _encode_jobs(admin, job.ftrack_component_id)  # ftrack did start one

    # What the watchdog does with a job whose worker went silent.
    PublishJob.objects.filter(pk=job.pk).update(status="queued", claimed_by="")
    assert publish(job.pk) == "published"

    job.refresh_from_db()
    assert job.ftrack_encode_job_id == started["id"]
    assert [j["id"] for j in _encode_jobs(admin, job.ftrack_component_id)] == [started["id"]]
    assert JobEvent.objects.filter(job=job, kind="encode", message__contains="earlier run").exists()
    state = ftrack_version_state(admin, job.ftrack_version_id)
    assert state["component_names"].count("ftrackreview-mp4") == 1
    assert state["components"]["ftrackreview-mp4"] in state["stored"]
    admin.close()


def test_a_failed_encode_job_is_not_adopted_by_a_retry(producer, inprocess, ftrack_server, tmp_path):
    """After ``encode_failed`` the coordinator's retry must encode anew, not follow the failed Job."""
    from publishing.ftrack.sessions import use_session
    from publishing.pipeline.encode import _earlier_encode

    give_credential(producer, "producer")
    admin = admin_session(ftrack_server)
    upload = ready_upload(producer, make_movie(tmp_path / "failed.mov"))
    job = queued_job(producer, task_id(admin, shot="sh020"), [upload], asset_name="encode-failed")
    assert publish(job.pk) == "published"
    job.refresh_from_db()
    ftrack_job = admin.get("Job", job.ftrack_encode_job_id)
    ftrack_job["status"] = "failed"
    admin.commit()

    with use_session(producer) as session:
        found, has_review = _earlier_encode(session, job.ftrack_component_id, job.ftrack_version_id)
    assert found is None
    assert has_review  # the review media of the earlier success are still on the version
    admin.close()
