"""The webhook admin page: admins only, the secret shown once, send test, pause, new secret."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import sys
from pathlib import Path

import pytest
from django.urls import reverse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from webhook_receiver import Receiver  # noqa: E402

from publishing.models import ProjectWebhook, WebhookDelivery  # noqa: E402
from publishing.notify import webhooks  # noqa: E402

pytestmark = pytest.mark.django_db

PAGE = "publishing:webhooks"


@pytest.fixture
def receiver(settings):
    # The receiver listens on 127.0.0.1, an address webhooks may not call unless this is on.
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    with Receiver() as running:
        yield running


def _shown_secret(html: str) -> str:
    match = re.search(r"data-webhook-secret>([^<]+)<", html)
    return match.group(1) if match else ""


def test_admin_adds_a_webhook_and_sees_the_secret_once(client_for, admin_user, receiver, caplog):
    client = client_for(admin_user)
    page = client.get(reverse(PAGE))
    assert page.status_code == 200
    # Without an ftrack credential of their own, the admin types the project id and name.
    assert 'name="ftrack_project_id"' in page.content.decode()
    with caplog.at_level(logging.DEBUG):
        created = client.post(
            reverse(PAGE), {"ftrack_project_id": "proj-demo", "project_name": "demo", "url": receiver.url}
        )
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    secret = _shown_secret(created.content.decode())
    webhook = ProjectWebhook.objects.get()
    assert (webhook.ftrack_project_id, webhook.project_name, webhook.created_by) == (
        "proj-demo",
        "demo",
        admin_user,
    )
    assert secret and webhooks.decrypt_secret(webhook.secret_encrypted) == secret

    again = client.get(reverse(PAGE)).content.decode()
    assert secret not in again and not _shown_secret(again)
    # The URL's path is a credential too (Slack): the page shows only where it goes.
    assert "very-secret-path" not in again and "http://127.0.0.1:" in again
    assert secret not in caplog.text and "very-secret-path" not in caplog.text


def _deliver_queued(delivery_pk: int) -> WebhookDelivery:
    """What the maintenance worker does with the queued test, run here synchronously."""
    return webhooks.webhook_deliver(delivery=webhooks.webhook_delivery_claim(delivery_pk))


def test_send_test_pause_and_new_secret(
    client_for, admin_user, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    from publishing.core import enqueue

    queued = []
    monkeypatch.setattr(enqueue, "send", lambda task, delivery_id, countdown=None: queued.append(delivery_id))
    webhook, first_secret = webhooks.webhook_save(
        ftrack_project_id="p", project_name="demo", url=receiver.url
    )
    client = client_for(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("publishing:webhook_test", args=[webhook.pk]), follow=True)
    assert "Test queued — see recent deliveries below" in sent.content.decode()
    # Queued on commit for the worker; nothing was sent during the admin's request.
    test_delivery = WebhookDelivery.objects.get(event="webhook.test")
    assert queued == [test_delivery.pk] and receiver.requests == []
    assert test_delivery.status == "pending"

    assert _deliver_queued(test_delivery.pk).status == "delivered"
    [request] = receiver.requests
    expected = "sha256=" + hmac.new(first_secret.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Review-Portal-Signature"] == expected
    page = client.get(reverse(PAGE)).content.decode()
    assert "webhook.test" in page and "Delivered (HTTP 200)" in page  # among the recent deliveries

    receiver.statuses = [500]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("publishing:webhook_test", args=[webhook.pk]))
    assert len(queued) == 2
    failed = _deliver_queued(queued[-1])
    assert (failed.status, failed.attempts) == ("failed", 1)  # a test is tried once, not retried
    assert "HTTP 500" in client.get(reverse(PAGE)).content.decode()

    client.post(reverse("publishing:webhook_active", args=[webhook.pk]), {"active": "0"})
    webhook.refresh_from_db()
    assert not webhook.is_active

    renewed = client.post(reverse("publishing:webhook_secret", args=[webhook.pk]))
    new_secret = _shown_secret(renewed.content.decode())
    assert renewed["Cache-Control"] == "no-store" and new_secret and new_secret != first_secret
    assert WebhookDelivery.objects.filter(event="webhook.test").count() == 2


def test_invalid_form_is_refused(client_for, admin_user):
    response = client_for(admin_user).post(
        reverse(PAGE), {"ftrack_project_id": "", "project_name": "demo", "url": "ftp://x.example/"}
    )
    assert response.status_code == 400
    assert not ProjectWebhook.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://localhost:5432/",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_internal_addresses_are_refused_with_a_clear_message(client_for, admin_user, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    response = client_for(admin_user).post(
        reverse(PAGE), {"ftrack_project_id": "p", "project_name": "demo", "url": url}
    )
    assert response.status_code == 400
    assert "webhooks may only call public addresses" in response.content.decode()
    assert not ProjectWebhook.objects.exists()


def test_credentials_in_the_url_are_refused(client_for, admin_user, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    response = client_for(admin_user).post(
        reverse(PAGE), {"ftrack_project_id": "p", "project_name": "demo", "url": "https://u:p@hooks.example/"}
    )
    assert (
        response.status_code == 400
        and "must not contain a user name or password" in response.content.decode()
    )
    assert not ProjectWebhook.objects.exists()


@pytest.mark.parametrize("who", ["producer", "coordinator", "outsider"])
def test_only_admins_manage_webhooks(request, client_for, settings, who):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # hooks.example does not resolve: skip the lookup
    webhook, _ = webhooks.webhook_save(
        ftrack_project_id="p", project_name="demo", url="https://hooks.example/x"
    )
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse(PAGE)).status_code == 403
    assert (
        client.post(
            reverse(PAGE), {"ftrack_project_id": "p", "project_name": "n", "url": "https://a.example/"}
        ).status_code
        == 403
    )
    for name in ("webhook_test", "webhook_active", "webhook_secret"):
        assert client.post(reverse(f"publishing:{name}", args=[webhook.pk])).status_code == 403, name
    assert ProjectWebhook.objects.count() == 1 and not WebhookDelivery.objects.exists()
    webhook.refresh_from_db()
    assert webhook.is_active


def test_anonymous_goes_to_login(client):
    response = client.get(reverse(PAGE))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_admin_picks_the_project_from_ftrack(
    client_for, admin_user, receiver, settings, ftrack_server, redis_url, tmp_path
):
    from ftrack_devserver.seed import DEMO_USERS
    from publishing.vault.credentials import credential_save

    settings.FTRACK_SERVER = ftrack_server.url
    settings.REDIS_URL = redis_url
    settings.FTRACK_SCHEMA_CACHE_DIR = str(tmp_path)
    credential_save(user=admin_user, api_user="admin", api_key=DEMO_USERS["admin"])
    client = client_for(admin_user)
    page = client.get(reverse(PAGE)).content.decode()
    options = dict(
        (name, value) for value, name in re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', page)
    )
    assert "Demo project" in options and 'name="ftrack_project_id"' not in page
    client.post(reverse(PAGE), {"project": options["Demo project"], "url": receiver.url})
    webhook = ProjectWebhook.objects.get()
    assert (webhook.ftrack_project_id, webhook.project_name) == (options["Demo project"], "demo")
    # A project id that ftrack did not list is refused.
    assert client.post(reverse(PAGE), {"project": "not-a-project", "url": receiver.url}).status_code == 400
