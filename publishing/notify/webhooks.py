"""Outgoing webhooks per ftrack project: Slack-compatible JSON, HMAC-signed, retried with backoff.

1. ``webhook_save`` registers a URL for a project and makes a shared secret (shown to the admin once).
2. When a batch has finished, ``batch_webhooks_enqueue`` writes one ``WebhookDelivery`` per active
   webhook of each project in the batch and hands it to Celery after commit.
3. The task claims the delivery (conditional UPDATE, so a duplicate message or the retry sweep never
   sends twice at once) and calls ``webhook_deliver``: POST the JSON, sign the raw body with the
   secret. 2xx → delivered; anything else → retry later (exponential backoff) until
   ``WEBHOOK_MAX_ATTEMPTS``, then failed with the reason.

Webhook URLs are secrets too (a Slack incoming-webhook URL is its own credential): logs and stored
errors name the webhook by id and host only, never the full URL.

Server-side request forgery: an admin could point a webhook at the portal's own network (the cloud
metadata address, Redis or PostgreSQL on 127.0.0.1, private ranges). ``webhook_url_check`` runs when
a URL is saved and again before every delivery (DNS may have changed since): http(s) only, no
credentials in the URL, and every address the host resolves to must be public. Redirects are never
followed. ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` lifts the address rule (tests, an internal receiver).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from publishing.core import enqueue
from publishing.core.crypto import decrypt_secret, encrypt_secret
from publishing.models import ProjectWebhook, PublishBatch, WebhookDelivery

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Review-Portal-Signature"
TIMESTAMP_HEADER = "X-Review-Portal-Timestamp"
EVENT_HEADER = "X-Review-Portal-Event"
EVENT_BATCH_FINISHED = "batch.finished"
EVENT_TEST = "webhook.test"
# While one worker is sending, the delivery's next_attempt_at is pushed this far out: the retry
# sweep leaves it alone, and picks it up again only if that worker died mid-send.
CLAIM_LEASE = timedelta(minutes=2)


def max_attempts() -> int:
    return int(settings.WEBHOOK_MAX_ATTEMPTS)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the ``attempts``-th failed try: base, 2×base, 4×base … capped at the ceiling."""
    base = float(settings.WEBHOOK_RETRY_BASE)
    ceiling = float(settings.WEBHOOK_RETRY_CEILING)
    return timedelta(seconds=min(ceiling, base * 2 ** max(0, attempts - 1)))


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` + hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def url_for_display(url: str) -> str:
    """Scheme and host, the path hidden: enough to recognise a webhook, useless to call it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.path.strip("/") or parts.query else url


class WebhookURLError(ValueError):
    """A webhook URL the portal refuses to call; the message is safe to show (host only, no path).

    ``permanent`` is False when the host could not be resolved (DNS may answer again later).
    """

    def __init__(self, message: str, *, permanent: bool = True):
        super().__init__(message)
        self.permanent = permanent


def _address_allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global  # e.g. 100.64.0.0/10 (carrier-grade NAT)
    )


def webhook_url_check(url: str) -> None:
    """Raise ``WebhookURLError`` unless the portal may POST to ``url`` (see the module docstring)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookURLError("That is not a valid URL.") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise WebhookURLError("Use an http:// or https:// URL.")
    if parts.username is not None or parts.password is not None:
        raise WebhookURLError("The URL must not contain a user name or password.")
    host = parts.hostname
    if not host:
        raise WebhookURLError("The URL has no host.")
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return
    port = port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise WebhookURLError(f"The host {host} could not be resolved.", permanent=False) from None
    if not infos:
        raise WebhookURLError(f"The host {host} could not be resolved.", permanent=False)
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone index
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise WebhookURLError(f"The host {host} resolves to an unusable address.") from None
        if not _address_allowed(ip):
            raise WebhookURLError(
                f"The host {host} resolves to a private, loopback, link-local or reserved address"
                f" ({ip}); webhooks may only call public addresses."
            )


class _PeerCheck:
    """Checks the address actually connected to, after DNS: a host that answered a public address
    to ``webhook_url_check`` and a private one a moment later (DNS rebinding) is still refused."""

    def _new_conn(self):
        sock = super()._new_conn()
        if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
            peer = ipaddress.ip_address(str(sock.getpeername()[0]).split("%", 1)[0])
            if not _address_allowed(peer):
                sock.close()
                raise WebhookURLError(
                    f"The host {self.host} connected to a non-public address ({peer}); "
                    "webhooks may only call public addresses."
                )
        return sock


class _CheckedHTTPConnection(_PeerCheck, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_PeerCheck, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


def _session() -> requests.Session:
    session = requests.Session()
    session.max_redirects = 0
    for prefix in ("http://", "https://"):
        session.mount(prefix, _CheckedAdapter())
    return session


# --- registering ---------------------------------------------------------------------------------
def webhook_save(
    *, ftrack_project_id: str, project_name: str, url: str, actor=None, webhook: ProjectWebhook | None = None
) -> tuple[ProjectWebhook, str | None]:
    """Create a webhook (a new secret is made) or change the URL/project of one.

    Returns ``(webhook, secret)``; ``secret`` is the plain shared secret on creation only (the one
    time anybody sees it), None on a change. Raises ``WebhookURLError`` for a refused URL.
    """
    webhook_url_check(url)
    if webhook is not None:
        webhook.ftrack_project_id, webhook.project_name, webhook.url = ftrack_project_id, project_name, url
        webhook.save(update_fields=["ftrack_project_id", "project_name", "url"])
        return webhook, None
    secret = _new_secret()
    webhook = ProjectWebhook.objects.create(
        ftrack_project_id=ftrack_project_id,
        project_name=project_name,
        url=url,
        secret_encrypted=encrypt_secret(secret),
        created_by=actor,
    )
    log.info("webhook %s created for project %s (%s)", webhook.pk, project_name, url_for_display(url))
    return webhook, secret


def webhook_rotate_secret(*, webhook: ProjectWebhook) -> str:
    """A new shared secret; the old one stops working at once. Returns the new one (shown once)."""
    secret = _new_secret()
    webhook.secret_encrypted = encrypt_secret(secret)
    webhook.save(update_fields=["secret_encrypted"])
    return secret


def webhook_set_active(*, webhook: ProjectWebhook, active: bool) -> ProjectWebhook:
    webhook.is_active = active
    webhook.save(update_fields=["is_active"])
    return webhook


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


# --- enqueueing ----------------------------------------------------------------------------------
def batch_webhooks_enqueue(*, batch: PublishBatch) -> list[WebhookDelivery]:
    """One delivery per active webhook of each project the batch published to, sent after commit."""
    jobs = list(batch.jobs.order_by("id"))
    by_project: dict[str, list] = {}
    for job in jobs:
        if job.project_id:
            by_project.setdefault(job.project_id, []).append(job)
    if not by_project:
        return []
    hooks = ProjectWebhook.objects.filter(ftrack_project_id__in=list(by_project), is_active=True)
    deliveries = [
        WebhookDelivery.objects.create(
            webhook=hook,
            batch=batch,
            event=EVENT_BATCH_FINISHED,
            payload=batch_payload(batch, by_project[hook.ftrack_project_id], project_name=hook.project_name),
            next_attempt_at=timezone.now(),
        )
        for hook in hooks
    ]
    for delivery in deliveries:
        _enqueue_after_commit(delivery.pk)
    return deliveries


def webhook_send_test(*, webhook: ProjectWebhook, actor=None) -> WebhookDelivery:
    """Queue a test message (sent once by a worker, never retried); returns the pending delivery.

    Never sent inside the admin's request: the web process makes no outgoing call to the URL.
    """
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event=EVENT_TEST,
        payload=test_payload(webhook, actor=actor),
        next_attempt_at=timezone.now(),
    )
    _enqueue_after_commit(delivery.pk)
    return delivery


DELIVER_TASK = "publishing.webhook_deliver"  # registered name (notify/tasks.py)


def _enqueue_after_commit(delivery_id: int, *, countdown: float | None = None) -> None:
    # Broker down: the retry sweep (publishing.webhooks_retry_due) sends it once the broker is back.
    enqueue.after_commit(enqueue.send, DELIVER_TASK, delivery_id, countdown=countdown)


# --- delivering ----------------------------------------------------------------------------------
def webhook_delivery_claim(delivery_id: int, *, now=None) -> WebhookDelivery | None:
    """Take a due pending delivery for sending; None when it is not due, done, or being sent."""
    now = now or timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimed = WebhookDelivery.objects.filter(
        due, pk=delivery_id, status=WebhookDelivery.Status.PENDING
    ).update(next_attempt_at=now + CLAIM_LEASE)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)


def webhook_deliver(*, delivery: WebhookDelivery, retry: bool = True) -> WebhookDelivery:
    """One attempt: POST the signed JSON. Records the outcome on the row and schedules a retry.

    A test message is tried once only. The URL is checked again first (it may have been saved
    before the check existed, edited in the Django admin, or its DNS changed).
    """
    webhook = delivery.webhook
    retry = retry and delivery.event != EVENT_TEST
    try:
        webhook_url_check(webhook.url)
    except WebhookURLError as refused:
        return _record(
            delivery,
            status_code=None,
            error=f"refused: {refused}",
            retry=retry and not refused.permanent,
        )
    now = timezone.now()
    timestamp = str(int(now.timestamp()))
    payload = dict(delivery.payload)
    # The timestamp is inside the signed body too, so a receiver can refuse replays of old bodies.
    payload["review_portal"] = {**payload.get("review_portal", {}), "sent_at": timestamp}
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    status_code, error = None, ""
    try:
        secret = decrypt_secret(webhook.secret_encrypted)
        with _session() as session:
            response = session.post(
                webhook.url,
                data=body,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": "ReviewPortal-Webhook/1",
                    SIGNATURE_HEADER: sign(secret, body),
                    TIMESTAMP_HEADER: timestamp,
                    EVENT_HEADER: delivery.event,
                },
                timeout=float(settings.WEBHOOK_TIMEOUT),
                allow_redirects=False,
            )
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code} from {_host(webhook.url)}: {_snippet(response)}"
    except WebhookURLError as refused:  # the connection reached a non-public address
        error = f"refused: {refused}"
    except requests.Timeout:
        error = f"no answer from {_host(webhook.url)} within {settings.WEBHOOK_TIMEOUT} s"
    except requests.ConnectionError:
        error = f"could not connect to {_host(webhook.url)}"
    except Exception as exc:  # a bad URL, an unreadable secret: say what, never echo the URL or secret
        error = f"not sent: {type(exc).__name__}"
    return _record(delivery, status_code=status_code, error=error, retry=retry)


def _record(
    delivery: WebhookDelivery, *, status_code: int | None, error: str, retry: bool
) -> WebhookDelivery:
    now = timezone.now()
    delivery.attempts += 1
    delivery.response_status = status_code
    if not error:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at, delivery.next_attempt_at, delivery.last_error = now, None, ""
    elif retry and delivery.attempts < max_attempts():
        delivery.last_error = error
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    else:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
        delivery.last_error = (
            f"gave up after {delivery.attempts} attempt{'s' if delivery.attempts != 1 else ''}: {error}"
        )
    delivery.save(
        update_fields=[
            "attempts",
            "response_status",
            "status",
            "delivered_at",
            "next_attempt_at",
            "last_error",
        ]
    )
    if error:
        log.warning(
            "webhook %s delivery %s attempt %s: %s",
            delivery.webhook_id,
            delivery.pk,
            delivery.attempts,
            error,
        )
    if delivery.status == WebhookDelivery.Status.PENDING:
        due = delivery.next_attempt_at or now
        countdown = max(0.0, (due - now).total_seconds())
        _enqueue_after_commit(delivery.pk, countdown=countdown)
    return delivery


def webhook_deliveries_due(*, now=None, limit: int = 100) -> list[int]:
    """Ids of pending deliveries whose next attempt is due (the sweep re-sends them)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


# --- payloads ------------------------------------------------------------------------------------
def batch_payload(batch: PublishBatch, jobs: list, *, project_name: str) -> dict:
    """Slack-compatible message (``text`` + ``blocks``) plus a ``review_portal`` object for machines."""
    base = settings.PORTAL_BASE_URL
    producer = batch.owner.get_full_name() or batch.owner.get_username()
    published = [j for j in jobs if j.status == "published"]
    failed = [j for j in jobs if j.status == "failed"]
    headline = f"{_mrkdwn(producer)} published {len(published)} version{'s' if len(published) != 1 else ''}"
    headline += f" to {_mrkdwn(project_name)} for review"
    if failed:
        headline += f" ({len(failed)} failed)"
    batch_url = base + _path("publishing:batch", batch.pk)
    lines = [_job_line(job) for job in jobs]
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*"}}]
    if batch.comment:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _quote(batch.comment)}})
    # Slack caps a section's text at 3000 characters: a long batch is cut, with a pointer to the rest.
    listing = "\n".join(lines)
    if len(listing) > 2900:
        listing = listing[:2900].rsplit("\n", 1)[0] + "\n…"
    if listing:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": listing}})
    if batch_url:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"<{batch_url}|Batch #{batch.pk} in the portal>"}],
            }
        )
    return {
        "text": headline,
        "blocks": blocks,
        "review_portal": {
            "event": EVENT_BATCH_FINISHED,
            "project": {"id": jobs[0].project_id if jobs else "", "name": project_name},
            "batch": {
                "id": batch.pk,
                "url": batch_url,
                "producer": batch.owner.get_username(),
                "comment": batch.comment,
                "reviewers": [r.get("username", "") for r in batch.reviewers],
            },
            "jobs": [_job_data(job, base) for job in jobs],
        },
    }


def test_payload(webhook: ProjectWebhook, *, actor=None) -> dict:
    who = (actor.get_full_name() or actor.get_username()) if actor is not None else "An admin"
    text = f"Test message from the Review Portal for {_mrkdwn(webhook.project_name)}, sent by {_mrkdwn(who)}."
    return {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        "review_portal": {
            "event": EVENT_TEST,
            "project": {"id": webhook.ftrack_project_id, "name": webhook.project_name},
        },
    }


def _job_line(job) -> str:
    name = _mrkdwn(
        f"{job.asset_name} v{job.ftrack_version_number}" if job.ftrack_version_number else job.asset_name
    )
    where = _mrkdwn(job.context_path or job.context_id)
    if job.status == "published":
        link = f"<{job.review_url}|{name}>" if job.review_url else name
        return f"• {link} in {where}: published"
    reason = f": {_mrkdwn(job.error_message)}" if job.error_message else ""
    return f"• {name} in {where}: {job.get_status_display().lower()}{reason}"


def _job_data(job, base: str) -> dict:
    return {
        "id": job.pk,
        "status": job.status,
        "asset_name": job.asset_name,
        "asset_type": job.asset_type,
        "context_path": job.context_path,
        "context_id": job.context_id,
        "version_id": job.ftrack_version_id,
        "version_number": job.ftrack_version_number,
        "error": job.error_message if job.status == "failed" else "",
        "portal_url": base + _path("publishing:job", job.pk),
        "review_url": job.review_url,
    }


def _path(name: str, pk: int) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:  # a worker-only deployment without the pages
        return ""


def _mrkdwn(text: str) -> str:
    """Slack's escaping: user text can then neither forge links nor ping <!channel>."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _quote(text: str) -> str:
    return "\n".join("> " + _mrkdwn(line) for line in text.splitlines()[:20])


def _host(url: str) -> str:
    return urlsplit(url).netloc or "the webhook"


def _snippet(response) -> str:
    text = " ".join((response.text or "").split())
    return (text[:200] + "…") if len(text) > 200 else (text or response.reason or "no body")
