"""Django admin as the staff console: every model listed for admins, actions call the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils import timezone

from publishing.core.crypto import encrypt_secret
from publishing.models import FtrackCredential, JobEvent, PublishBatch, PublishJob, Upload

KEY = "demo-key-producer"


@pytest.fixture
def ftrack(settings, ftrack_server, redis_url):
    settings.FTRACK_SERVER = ftrack_server.url
    settings.REDIS_URL = redis_url
    return ftrack_server


def _action(client, model: str, action: str, pks) -> str:
    response = client.post(
        f"/admin/publishing/{model}/",
        {"action": action, "_selected_action": [str(pk) for pk in pks]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_every_publishing_model_is_registered():
    for model in apps.get_app_config("publishing").get_models():
        assert admin.site.is_registered(model), model.__name__


def test_admins_see_every_changelist_and_no_secret(admin_user, producer, client_for):
    credential = FtrackCredential.objects.create(
        user=producer, api_user="producer", api_key_encrypted=encrypt_secret(KEY)
    )
    client = client_for(admin_user)
    for model in apps.get_app_config("publishing").get_models():
        url = f"/admin/publishing/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url
    html = client.get(f"/admin/publishing/ftrackcredential/{credential.pk}/change/").content.decode()
    assert "producer" in html
    assert KEY not in html and credential.api_key_encrypted not in html
    assert "api_key_encrypted" not in html


@pytest.mark.parametrize("who", ["outsider", "producer", "coordinator"])
def test_non_staff_are_sent_to_the_admin_login(who, request, client_for):
    response = client_for(request.getfixturevalue(who)).get("/admin/publishing/publishjob/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_verify_now_action_calls_the_service(ftrack, admin_user, producer, other_producer, client_for):
    good = FtrackCredential.objects.create(
        user=producer, api_user="producer", api_key_encrypted=encrypt_secret(KEY)
    )
    bad = FtrackCredential.objects.create(
        user=other_producer, api_user="reviewer.ana", api_key_encrypted=encrypt_secret("revoked-key-55")
    )

    html = _action(client_for(admin_user), "ftrackcredential", "verify_now", [good.pk, bad.pk])

    assert "1 verified, 1 refused." in html
    assert "ftrack rejected the API key for user reviewer.ana" in html
    assert "revoked-key-55" not in html
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.is_healthy and good.verified_at and not bad.is_healthy


def test_job_actions_retry_and_cancel_through_the_services(admin_user, producer, client_for):
    batch = PublishBatch.objects.create(owner=producer)
    failed = PublishJob.objects.create(
        batch=batch,
        context_id="c",
        asset_name="a",
        status="failed",
        stage="upload",
        error_code="ftrack_unavailable",
    )
    queued = PublishJob.objects.create(batch=batch, context_id="c", asset_name="b", status="queued")
    published = PublishJob.objects.create(batch=batch, context_id="c", asset_name="c", status="published")
    client = client_for(admin_user)

    html = _action(client, "publishjob", "retry_from_failed_stage", [failed.pk, published.pk])
    assert "1 job(s) sent back to the queue." in html and "Only a failed job can be retried." in html
    html = _action(client, "publishjob", "cancel_jobs", [queued.pk])
    assert "1 job(s) cancelled." in html

    failed.refresh_from_db()
    queued.refresh_from_db()
    assert failed.status == "queued" and failed.stage == "upload"
    assert queued.status == "cancelled"
    assert JobEvent.objects.get(job=failed, kind="retry").actor == admin_user
    assert JobEvent.objects.get(job=queued, kind="cancel").actor == admin_user


def test_upload_action_removes_expired_partials(admin_user, producer, client_for):
    from factories import make_upload

    past = timezone.now() - timedelta(hours=1)
    expired = make_upload(producer, state=Upload.State.RECEIVING, expires_at=past)
    live = make_upload(producer, state=Upload.State.RECEIVING, expires_at=timezone.now() + timedelta(hours=1))

    html = _action(client_for(admin_user), "upload", "remove_expired_partials", [live.pk])

    assert "Removed 1 expired partial upload(s)." in html
    expired.refresh_from_db()
    live.refresh_from_db()
    assert expired.state == Upload.State.EXPIRED and live.state == Upload.State.RECEIVING
