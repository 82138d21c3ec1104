"""The job page (timeline, stages, ids, probe), retry/cancel from it, and the thumbnail proxy."""

from __future__ import annotations

import pytest
from dashboard_factories import make_failed, make_job
from django.utils import timezone

from publishing.models import JobEvent, PublishJob
from publishing.pipeline import jobs as job_services

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.publishing.dashboard_urlconf")]


@pytest.fixture(autouse=True)
def enqueued(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(job_services, "job_enqueue", lambda job_id, **kw: calls.append(job_id))
    return calls


def _urls(job) -> dict[str, tuple[str, str]]:
    return {
        "detail": ("get", f"/jobs/{job.pk}/"),
        "retry": ("post", f"/jobs/{job.pk}/retry/"),
        "cancel": ("post", f"/jobs/{job.pk}/cancel/"),
        "thumbnail": ("get", f"/jobs/{job.pk}/thumbnail/"),
    }


@pytest.mark.parametrize("action", ["detail", "retry", "cancel", "thumbnail"])
def test_job_pages_refuse_anonymous_and_outsider(action, client, producer, outsider, client_for):
    job = make_failed(producer, "ftrack_unavailable")
    method, url = _urls(job)[action]
    response = getattr(client, method)(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert getattr(client_for(outsider), method)(url).status_code == 403
    job.refresh_from_db()
    assert job.status == PublishJob.Status.FAILED


@pytest.mark.parametrize("action", ["detail", "retry", "cancel", "thumbnail"])
def test_job_of_another_producer_is_not_found(action, producer, other_producer, client_for):
    job = make_failed(other_producer, "ftrack_unavailable", ftrack_thumbnail_id="thumb")
    method, url = _urls(job)[action]
    assert getattr(client_for(producer), method)(url).status_code == 404
    job.refresh_from_db()
    assert job.status == PublishJob.Status.FAILED
    assert not JobEvent.objects.filter(job=job).exists()


@pytest.mark.parametrize("who", ["producer", "coordinator", "admin_user"])
def test_job_detail_shows_timeline_stages_ids_and_probe(request, who, producer, client_for):
    user = request.getfixturevalue(who)
    job = make_failed(
        producer,
        "encode_failed",
        "ftrack could not encode the media for review: bad codec",
        stage=PublishJob.Stage.ENCODE,
        attempts=3,
        stage_durations={"version": 0.4, "upload": 75},
        ftrack_asset_id="asset-id-1",
        ftrack_version_id="version-id-1",
        ftrack_version_number=4,
        filename="comp_v004.mov",
    )
    job.job_uploads.get().upload.__class__.objects.filter(pk=job.job_uploads.get().upload_id).update(
        probe={"codec": "prores", "width": 1920, "height": 1080, "duration": 12.5}
    )
    JobEvent.objects.create(job=job, kind="stage", stage="encode", message="Encoding for review")
    JobEvent.objects.create(
        job=job, kind="error", stage="encode", message="bad codec", data={"code": "encode_failed"}
    )
    response = client_for(user).get(f"/jobs/{job.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "ftrack could not encode the media for review</strong> — check that the file plays locally" in html
    assert "bad codec" in html
    assert "<dt>Attempts</dt><dd>3</dd>" in html
    assert "Creating version</td><td>done</td><td>0.4 s" in html
    assert "Uploading to ftrack</td><td>done</td><td>1 min 15 s" in html
    assert "Encoding for review</td><td>failed</td>" in html
    assert "Notifying reviewers</td><td>pending</td>" in html
    assert "<code>version-id-1</code>" in html and "<code>asset-id-1</code>" in html
    assert "<dt>codec</dt><dd>prores</dd>" in html and "<dt>width</dt><dd>1920</dd>" in html
    assert "comp_v004.mov" in html
    assert "Retry from encoding for review" in html


def test_job_detail_escapes_everything(producer, coordinator, client_for):
    evil = "<img src=x onerror=alert(1)>"
    job = make_failed(
        producer,
        "ftrack_refused",
        evil,
        asset_name=evil,
        comment=evil,
        context_path=evil,
        filename=f"{evil}.mov",
    )
    JobEvent.objects.create(job=job, kind="error", message=evil)
    html = client_for(coordinator).get(f"/jobs/{job.pk}/").content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize("who", ["coordinator", "admin_user"])
def test_retry_from_job_page_resumes_and_is_audited(
    request, who, producer, client_for, enqueued, django_capture_on_commit_callbacks
):
    coordinator = request.getfixturevalue(who)
    job = make_failed(producer, "ftrack_unavailable", stage=PublishJob.Stage.UPLOAD, ftrack_version_id="kept")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(coordinator).post(f"/jobs/{job.pk}/retry/")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    job.refresh_from_db()
    assert job.status == PublishJob.Status.QUEUED
    assert job.stage == PublishJob.Stage.UPLOAD and job.ftrack_version_id == "kept"
    event = JobEvent.objects.get(job=job, kind="retry")
    assert event.actor == coordinator and event.at <= timezone.now()
    assert enqueued == [job.pk]
    html = client_for(producer).get(f"/jobs/{job.pk}/").content.decode()
    assert f"by {coordinator.username}" in html


def test_producer_retries_and_cancels_own_job(producer, client_for):
    failed = make_failed(producer, "ftrack_unavailable")
    queued = make_job(producer)
    client = client_for(producer)
    client.post(f"/jobs/{failed.pk}/retry/", {"next": "/dashboard/"})
    response = client.post(f"/jobs/{queued.pk}/cancel/", {"next": "/dashboard/"})
    assert response["Location"] == "/dashboard/"
    assert PublishJob.objects.get(pk=failed.pk).status == PublishJob.Status.QUEUED
    assert PublishJob.objects.get(pk=queued.pk).status == PublishJob.Status.CANCELLED
    cancel = JobEvent.objects.get(job=queued, kind="cancel")
    assert cancel.actor == producer


def test_actions_in_the_wrong_state_change_nothing_and_say_why(producer, coordinator, client_for):
    published = make_job(producer, status=PublishJob.Status.PUBLISHED, stage=PublishJob.Stage.DONE)
    client = client_for(coordinator)
    for action in ("retry", "cancel"):
        response = client.post(f"/jobs/{published.pk}/{action}/", follow=True)
        assert response.status_code == 200
        assert any("can be" in str(m) for m in response.context["messages"]), action
    published.refresh_from_db()
    assert published.status == PublishJob.Status.PUBLISHED
    assert not JobEvent.objects.filter(job=published).exists()


def test_actions_need_post_and_csrf(producer, client_for):
    from django.test import Client

    job = make_failed(producer, "ftrack_unavailable")
    assert client_for(producer).get(f"/jobs/{job.pk}/retry/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(producer)
    assert strict.post(f"/jobs/{job.pk}/retry/").status_code == 403
    job.refresh_from_db()
    assert job.status == PublishJob.Status.FAILED


def test_thumbnail_missing_is_404(producer, client_for):
    job = make_job(producer)
    assert client_for(producer).get(f"/jobs/{job.pk}/thumbnail/").status_code == 404
