"""Outgoing webhooks against a real HTTP receiver: payload, signature, retries, giving up, secrecy."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import sys
from pathlib import Path

import pytest
from django.utils import timezone

sys.path.insert(0, str(Path(__file__).resolve().parent))

from webhook_receiver import Receiver  # noqa: E402

from publishing.core.crypto import decrypt_secret  # noqa: E402
from publishing.models import ProjectWebhook, PublishBatch, PublishJob, WebhookDelivery  # noqa: E402
from publishing.notify import webhooks  # noqa: E402

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    # The receiver listens on 127.0.0.1, an address webhooks may not call unless this is on.
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    with Receiver() as running:
        yield running


@pytest.fixture
def quick_retries(settings):
    settings.WEBHOOK_RETRY_BASE = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_TIMEOUT = 5


def _batch(owner, *, project_id="proj-demo", comment="Edges <b>please</b> & thanks"):
    batch = PublishBatch.objects.create(
        owner=owner, comment=comment, reviewers=[{"id": "u1", "username": "ana"}]
    )
    PublishJob.objects.create(
        batch=batch, context_id="t1", context_path="demo / sq010 / sh010 / compositing", project_id=project_id,
        asset_name="comp <!channel>", status="published", ftrack_version_id="v-1", ftrack_version_number=3,
        review_url="http://ftrack.example/review/version/v-1",
    )  # fmt: skip
    PublishJob.objects.create(
        batch=batch, context_id="t1", context_path="demo / sq010 / sh010 / compositing", project_id=project_id,
        asset_name="plate", status="failed", error_message="ftrack rejected the API key",
    )  # fmt: skip
    return batch


def _verify(request, secret: str) -> dict:
    """What a receiver does: recompute the HMAC of the raw body with the shared secret."""
    expected = "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request["headers"]["X-Review-Portal-Signature"], expected)
    return json.loads(request["body"])


def test_batch_delivery_is_slack_compatible_signed_and_delivered(producer, receiver, settings, quick_retries):
    settings.PORTAL_BASE_URL = "https://portal.example"
    webhook, secret = webhooks.webhook_save(
        ftrack_project_id="proj-demo", project_name="demo", url=receiver.url
    )
    webhooks.webhook_save(ftrack_project_id="proj-other", project_name="other", url=receiver.url)
    paused, _ = webhooks.webhook_save(
        ftrack_project_id="proj-demo", project_name="demo", url=receiver.url + "x"
    )
    webhooks.webhook_set_active(webhook=paused, active=False)
    batch = _batch(producer)

    deliveries = webhooks.batch_webhooks_enqueue(batch=batch)
    assert [d.webhook_id for d in deliveries] == [webhook.pk]  # only the active webhook of this project
    delivery = webhooks.webhook_deliver(delivery=deliveries[0])

    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 1, 200)
    [request] = receiver.requests
    body = _verify(request, secret)
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert request["headers"]["X-Review-Portal-Timestamp"] == body["review_portal"]["sent_at"]
    assert abs(int(body["review_portal"]["sent_at"]) - timezone.now().timestamp()) < 60
    # Slack: text + blocks of mrkdwn sections, user text escaped so it can neither link nor ping.
    assert body["text"].startswith("pia.producer published 1 version to demo for review (1 failed)")
    text = json.dumps(body["blocks"])
    assert "comp &lt;!channel&gt; v3" in text and "<!channel>" not in text
    assert "&lt;b&gt;please&lt;/b&gt; &amp; thanks" in text
    assert "<http://ftrack.example/review/version/v-1|comp &lt;!channel&gt; v3>" in text
    assert "ftrack rejected the API key" in text
    portal = body["review_portal"]
    assert portal["event"] == "batch.finished" and portal["batch"]["id"] == batch.pk
    assert portal["batch"]["url"] == f"https://portal.example/batches/{batch.pk}/"
    assert [(j["asset_name"], j["status"]) for j in portal["jobs"]] == [
        ("comp <!channel>", "published"),
        ("plate", "failed"),
    ]
    assert portal["jobs"][0]["portal_url"].startswith("https://portal.example/jobs/")
    assert portal["jobs"][0]["review_url"] == "http://ftrack.example/review/version/v-1"


def test_a_500_is_retried_then_delivered(producer, receiver, quick_retries):
    webhook, secret = webhooks.webhook_save(
        ftrack_project_id="proj-demo", project_name="demo", url=receiver.url
    )
    receiver.statuses = [500]
    [delivery] = webhooks.batch_webhooks_enqueue(batch=_batch(producer))

    first = webhooks.webhook_deliver(delivery=webhooks.webhook_delivery_claim(delivery.pk))
    assert (first.status, first.attempts, first.response_status) == ("pending", 1, 500)
    assert "HTTP 500" in first.last_error and "receiver says no" in first.last_error
    assert webhooks.webhook_deliveries_due() == [delivery.pk]  # backoff 0 s in this test: due again now

    second = webhooks.webhook_deliver(delivery=webhooks.webhook_delivery_claim(delivery.pk))
    assert (second.status, second.attempts, second.response_status, second.last_error) == (
        "delivered",
        2,
        200,
        "",
    )
    assert len(receiver.requests) == 2
    for request in receiver.requests:
        _verify(request, secret)
    assert webhooks.webhook_deliveries_due() == []


def test_gives_up_after_max_attempts_with_the_reason(producer, receiver, quick_retries, caplog):
    webhooks.webhook_save(ftrack_project_id="proj-demo", project_name="demo", url=receiver.url)
    receiver.statuses = [503, 502, 500, 200]
    [delivery] = webhooks.batch_webhooks_enqueue(batch=_batch(producer))
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            claimed = webhooks.webhook_delivery_claim(delivery.pk)
            assert claimed is not None
            webhooks.webhook_deliver(delivery=claimed)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 3, 500)
    assert delivery.last_error.startswith("gave up after 3 attempts: HTTP 500")
    assert webhooks.webhook_delivery_claim(delivery.pk) is None  # nothing more to send
    assert len(receiver.requests) == 3
    # The webhook URL's path is a credential of its own (Slack): never in logs or stored errors.
    assert "very-secret-path" not in caplog.text + delivery.last_error


def test_connection_refused_is_retried_with_backoff(producer, settings):
    settings.WEBHOOK_RETRY_BASE = 30
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    with Receiver() as closed:
        url = closed.url
    webhooks.webhook_save(ftrack_project_id="proj-demo", project_name="demo", url=url)
    [delivery] = webhooks.batch_webhooks_enqueue(batch=_batch(producer))
    before = timezone.now()
    delivery = webhooks.webhook_deliver(delivery=webhooks.webhook_delivery_claim(delivery.pk))
    assert delivery.status == "pending" and delivery.last_error.startswith("could not connect to 127.0.0.1:")
    assert "very-secret-path" not in delivery.last_error
    assert 29 <= (delivery.next_attempt_at - before).total_seconds() <= 35
    assert webhooks.webhook_deliveries_due() == []  # not due for another 30 s


def test_backoff_doubles_up_to_the_ceiling(settings):
    settings.WEBHOOK_RETRY_BASE = 30
    settings.WEBHOOK_RETRY_CEILING = 600
    assert [webhooks.retry_delay(n).total_seconds() for n in range(1, 7)] == [30, 60, 120, 240, 480, 600]


def test_claim_is_exclusive(producer, receiver):
    webhooks.webhook_save(ftrack_project_id="proj-demo", project_name="demo", url=receiver.url)
    [delivery] = webhooks.batch_webhooks_enqueue(batch=_batch(producer))
    assert webhooks.webhook_delivery_claim(delivery.pk) is not None
    # A duplicate task message, or the sweep, finds it leased and leaves it to the first worker.
    assert webhooks.webhook_delivery_claim(delivery.pk) is None
    assert webhooks.webhook_deliveries_due() == []


def test_no_webhook_no_delivery(producer):
    assert webhooks.batch_webhooks_enqueue(batch=_batch(producer)) == []
    assert not WebhookDelivery.objects.exists()


def test_secret_is_stored_encrypted(receiver):
    webhook, secret = webhooks.webhook_save(ftrack_project_id="p", project_name="demo", url=receiver.url)
    webhook.refresh_from_db()
    assert secret not in webhook.secret_encrypted and decrypt_secret(webhook.secret_encrypted) == secret
    assert len(secret) >= 40
    rotated = webhooks.webhook_rotate_secret(webhook=webhook)
    assert rotated != secret and decrypt_secret(webhook.secret_encrypted) == rotated


def _capture_queued(monkeypatch) -> list:
    from publishing.core import enqueue

    queued = []

    def send(task, delivery_id, countdown=None):
        assert task == "publishing.webhook_deliver"
        queued.append((delivery_id, countdown))

    monkeypatch.setattr(enqueue, "send", send)
    return queued


def test_send_test_is_queued_then_sent_once_without_retry(
    receiver, admin_user, monkeypatch, django_capture_on_commit_callbacks
):
    from publishing.notify import tasks as tasks_webhooks

    queued = _capture_queued(monkeypatch)
    webhook, secret = webhooks.webhook_save(ftrack_project_id="p", project_name="demo", url=receiver.url)
    receiver.statuses = [404]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        pending = webhooks.webhook_send_test(webhook=webhook, actor=admin_user)
        assert queued == []  # handed to Celery only once the transaction commits
    assert len(callbacks) == 1 and queued == [(pending.pk, None)]
    assert pending.status == "pending" and receiver.requests == []  # nothing sent by the caller
    # The worker sends it once; a test message is never retried.
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks_webhooks.webhook_deliver_task(pending.pk) == "failed"
    failed = WebhookDelivery.objects.get(pk=pending.pk)
    assert failed.attempts == 1 and "HTTP 404" in failed.last_error and len(queued) == 1

    ok = webhooks.webhook_send_test(webhook=webhook, actor=admin_user)
    assert webhooks.webhook_deliver(delivery=webhooks.webhook_delivery_claim(ok.pk)).status == "delivered"
    body = _verify(receiver.requests[-1], secret)
    assert body["review_portal"]["event"] == "webhook.test"
    assert receiver.requests[-1]["headers"]["X-Review-Portal-Event"] == "webhook.test"


def test_the_deliver_task_runs_on_the_maintenance_queue():
    from portal.celery import app

    route = app.amqp.router.route({}, "publishing.webhook_deliver", args=[1], kwargs={})
    assert route["queue"].name == "maintenance"


# --- server-side request forgery -----------------------------------------------------------------
REFUSED_URLS = [
    "http://127.0.0.1:6379/",  # Redis
    "http://127.8.9.10/hook",
    "http://localhost:5432/",  # a hostname that resolves to loopback
    "http://10.1.2.3/hook",
    "http://192.168.1.20/hook",
    "http://172.16.0.5/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[::1]:8000/",
    "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0:8000/",
    "http://224.0.0.1/",
    "http://100.64.0.1/",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_internal_addresses_are_refused_at_save(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(webhooks.WebhookURLError, match="only call public addresses"):
        webhooks.webhook_url_check(url)
    with pytest.raises(webhooks.WebhookURLError):
        webhooks.webhook_save(ftrack_project_id="p", project_name="demo", url=url)
    assert not ProjectWebhook.objects.exists()


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://hooks.example/x", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("https://user:pw@hooks.example/x", "user name or password"),
        ("https://token@hooks.example/x", "user name or password"),
        ("https:///x", "no host"),
    ],
)
def test_scheme_and_credentials_are_checked_even_when_private_addresses_are_allowed(settings, url, message):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    with pytest.raises(webhooks.WebhookURLError, match=message):
        webhooks.webhook_url_check(url)


def _resolving_to(monkeypatch, *addresses):
    def fake(host, port, *args, **kwargs):
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", fake)


def test_every_resolved_address_must_be_public(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    _resolving_to(monkeypatch, "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    webhooks.webhook_url_check("https://hooks.example/x")  # public: accepted
    _resolving_to(monkeypatch, "93.184.215.14", "10.0.0.7")  # one private answer is enough to refuse
    with pytest.raises(webhooks.WebhookURLError, match=r"10\.0\.0\.7"):
        webhooks.webhook_url_check("https://hooks.example/x")
    _resolving_to(monkeypatch)
    with pytest.raises(webhooks.WebhookURLError, match="could not be resolved") as unresolved:
        webhooks.webhook_url_check("https://hooks.example/x")
    assert not unresolved.value.permanent


def test_delivery_rechecks_the_url_and_never_calls_an_internal_address(producer, receiver, settings, caplog):
    # Stored before the check existed (or edited in the Django admin): refused when sending.
    ProjectWebhook.objects.create(
        ftrack_project_id="proj-demo", project_name="demo", url=receiver.url, secret_encrypted="x"
    )
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    [delivery] = webhooks.batch_webhooks_enqueue(batch=_batch(producer))
    delivery = webhooks.webhook_deliver(delivery=webhooks.webhook_delivery_claim(delivery.pk))
    assert receiver.requests == []
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 1, None)
    assert "refused" in delivery.last_error and "only call public addresses" in delivery.last_error
    assert "very-secret-path" not in delivery.last_error + caplog.text


def test_a_host_that_does_not_resolve_is_retried(producer, settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    webhooks.webhook_save(ftrack_project_id="proj-demo", project_name="demo", url="https://hooks.example/x")
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    _resolving_to(monkeypatch)
    [delivery] = webhooks.batch_webhooks_enqueue(batch=_batch(producer))
    delivery = webhooks.webhook_deliver(delivery=webhooks.webhook_delivery_claim(delivery.pk))
    assert delivery.status == "pending" and "could not be resolved" in delivery.last_error


def test_redirects_are_not_followed(producer, settings, monkeypatch):
    calls = []

    def fake_post(session, url, **kwargs):
        calls.append(kwargs)
        raise webhooks.requests.ConnectionError("stop here")

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    webhooks.webhook_save(ftrack_project_id="proj-demo", project_name="demo", url="https://hooks.example/x")
    monkeypatch.setattr(webhooks.requests.Session, "post", fake_post)
    [delivery] = webhooks.batch_webhooks_enqueue(batch=_batch(producer))
    webhooks.webhook_deliver(delivery=webhooks.webhook_delivery_claim(delivery.pk))
    assert [c["allow_redirects"] for c in calls] == [False]


def test_sweep_task_requeues_due_deliveries(producer, receiver, monkeypatch):
    from publishing.notify import tasks as tasks_webhooks

    webhooks.webhook_save(ftrack_project_id="proj-demo", project_name="demo", url=receiver.url)
    [delivery] = webhooks.batch_webhooks_enqueue(batch=_batch(producer))
    sent = []
    monkeypatch.setattr(tasks_webhooks.webhook_deliver_task, "delay", sent.append)
    assert tasks_webhooks.webhooks_retry_due() == 1 and sent == [delivery.pk]
    # The task itself claims, delivers and reports; a second run finds nothing due.
    assert tasks_webhooks.webhook_deliver_task(delivery.pk) == "delivered"
    assert tasks_webhooks.webhook_deliver_task(delivery.pk) == "not due"
    assert len(receiver.requests) == 1


def test_the_connected_address_is_checked_too(producer, receiver, settings, monkeypatch):
    # DNS rebinding: the host answered a public address to the check, then 127.0.0.1 to the connect.
    webhooks.webhook_save(ftrack_project_id="proj-demo", project_name="demo", url=receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    monkeypatch.setattr(webhooks, "webhook_url_check", lambda url: None)
    [delivery] = webhooks.batch_webhooks_enqueue(batch=_batch(producer))
    delivery = webhooks.webhook_deliver(delivery=webhooks.webhook_delivery_claim(delivery.pk))
    assert receiver.requests == []
    assert (
        delivery.status == "pending"
        and "connected to a non-public address (127.0.0.1)" in delivery.last_error
    )
