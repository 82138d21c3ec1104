"""Telling people: a Note on each version, one email and in-app notifications per batch, an event.

* The ftrack Note goes on the version, addressed to the batch's reviewers (ftrack adds the
  author). One per version: a resumed job adopts a note it already wrote.
* The email goes once per batch, when its last job has finished (published or failed), to the
  reviewers and the producer. Whoever flips ``PublishBatch.notified_at`` first sends it.
* With FTRACK_EVENTS_ENABLED, an event announces each new reviewable version (topic
  ``reviewportal.version.published``, payload in docs/publishing.md).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from publishing.core.failures import describe
from publishing.ftrack.lookups import q, q_in
from publishing.ftrack.sessions import use_session
from publishing.models import FtrackCredential, Notification, PublishBatch, PublishJob
from publishing.notify import notifications, webhooks

if TYPE_CHECKING:
    from publishing.pipeline.run import Run

log = logging.getLogger(__name__)

EVENT_TOPIC = "reviewportal.version.published"
TERMINAL = (PublishJob.Status.PUBLISHED, PublishJob.Status.FAILED, PublishJob.Status.CANCELLED)


def note_to_reviewers(run: Run) -> None:
    """One Note on the version to the reviewers, sent in one commit on a fresh run.

    The note's id is recorded before it is created: a resumed run looks for that id (and for a
    note by the author on the version, as earlier runs made) instead of writing a second note.
    """
    session, job, found = run.session, run.job, run.lookups
    author = found.author
    if author is None:
        return  # a service key acting as a user ftrack does not know: nobody to sign the note
    version_id = job.ftrack_version_id
    if job.ftrack_note_id and not run.is_fresh("ftrack_note_id"):
        already = session.query(
            f'select id from Note where id is "{q(job.ftrack_note_id)}" '
            f'or (parent_id is "{q(version_id)}" and user_id is "{author["id"]}")'
        ).all()
        if already:
            run.save(ftrack_note_id=already[0]["id"])
            return
    note_id = run.reserve("ftrack_note_id")
    # The Note is created with its parent set directly (what ``version.create_note`` does through
    # the version's ``notes`` collection, without first loading that collection).
    note = session.create(
        "Note",
        {
            "id": note_id,
            "content": note_text(job),
            "author": author,
            "parent_id": version_id,
            "parent_type": "AssetVersion",
        },
    )
    for reviewer in found.reviewers:
        session.create("Recipient", {"note_id": note["id"], "resource_id": reviewer["id"]})
    if found.label is not None:
        session.create("NoteLabelLink", {"note_id": note["id"], "label_id": found.label["id"]})
    try:
        session.commit()
    except Exception:
        session.rollback()
        if not session.query(f'select id from Note where id is "{note_id}"').all():
            raise


def note_text(job: PublishJob) -> str:
    lines = [f"New version for review: {job.asset_name} v{job.ftrack_version_number or '?'}"]
    if job.comment:
        lines += ["", job.comment]
    return "\n".join(lines)


def announce(run: Run) -> None:
    """Publish the event, when enabled and the server has a hub. Never fails the publish."""
    if not settings.FTRACK_EVENTS_ENABLED:
        return
    import ftrack_api.event.base

    session, job = run.session, run.job
    try:
        hub = session.event_hub
        if not hub.connected:
            hub.connect()
        hub.publish(
            ftrack_api.event.base.Event(topic=EVENT_TOPIC, data=event_payload(job)),
            on_error="ignore",
        )
        run.event("event", f"announced on {EVENT_TOPIC}")
    except Exception as exc:  # the hub is optional: note it on the timeline and go on
        run.event("event", f"event not sent: {type(exc).__name__}")


def event_payload(job: PublishJob) -> dict:
    return {
        "version_id": job.ftrack_version_id,
        "version_number": job.ftrack_version_number,
        "asset_id": job.ftrack_asset_id,
        "asset_name": job.asset_name,
        "context_id": job.context_id,
        "project_id": job.project_id,
        "review_component_id": job.ftrack_review_component_id,
        "thumbnail_id": job.ftrack_thumbnail_id,
        "reviewers": [r.get("id") for r in job.batch.reviewers],
        "portal_job_id": job.pk,
        "portal_batch_id": job.batch_id,
        "published_by": job.batch.owner.get_username(),
    }


def batch_finished(batch_id: int, *, reviewer_emails: dict[str, str] | None = None) -> bool:
    """Send the batch's email and in-app notifications once all its jobs are over. True if sent now."""
    open_jobs = PublishJob.objects.filter(batch_id=batch_id).exclude(status__in=TERMINAL)
    if open_jobs.exists():
        return False
    claimed = PublishBatch.objects.filter(pk=batch_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return False
    batch = PublishBatch.objects.select_related("owner").get(pk=batch_id)
    jobs = list(batch.jobs.order_by("id"))
    published = [j for j in jobs if j.status == PublishJob.Status.PUBLISHED]
    failed = [j for j in jobs if j.status == PublishJob.Status.FAILED]
    if reviewer_emails is None:
        reviewer_emails = _reviewer_emails_of(batch)
    _email(batch, published, failed, reviewer_emails)
    _in_app(batch, published, failed)
    _webhooks(batch)
    return True


def _webhooks(batch: PublishBatch) -> None:
    """Hand the finished batch to the project webhooks (the notification centre owns them)."""
    try:
        webhooks.batch_webhooks_enqueue(batch=batch)
    except Exception:  # a webhook problem must never undo a publish or its email
        log.exception("could not queue the webhooks of batch %s", batch.pk)


def job_follow_up(job: PublishJob, *, reviewer_emails: dict[str, str] | None = None) -> bool:
    """A short email for a job published by a retry after its batch's email went out (listing it as failed).

    Sent once: a job becomes published only once. Returns True if sent.
    """
    batch = PublishBatch.objects.select_related("owner").get(pk=job.batch_id)
    if reviewer_emails is None:
        reviewer_emails = _reviewer_emails_of(batch)
    to = _recipients(batch, reviewer_emails)
    if not to:
        return False
    producer = batch.owner.get_full_name() or batch.owner.get_username()
    lines = [
        f"{job.asset_name} v{job.ftrack_version_number or '?'} from {producer} is now published for review",
        "(it had failed when the batch's email went out, and was retried).",
        "",
        f"Review it in ftrack: {job.review_url}" if job.review_url else "",
        f"The batch in the portal: {settings.PORTAL_BASE_URL}{batch_link(batch)}",
    ]
    EmailMultiAlternatives(
        subject=f"Now published: {job.asset_name} v{job.ftrack_version_number or '?'} from {producer}",
        body="\n".join(line for line in lines if line is not None),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
    ).send(fail_silently=False)
    Notification.objects.create(
        user_id=batch.owner_id,
        message=f"{job.asset_name} was published after a retry."[:500],
        link=batch_link(batch),
    )
    return True


def _recipients(batch: PublishBatch, reviewer_emails: dict[str, str]) -> list[str]:
    to = [e for e in (reviewer_emails.get(r.get("id", "")) for r in batch.reviewers) if e]
    if batch.owner.email:
        to.append(batch.owner.email)
    return list(dict.fromkeys(to))


def _email(batch: PublishBatch, published, failed, reviewer_emails: dict[str, str]) -> None:
    owner = batch.owner
    to = _recipients(batch, reviewer_emails)
    if not to:
        return
    for job in failed:
        # What to do about it, in the error catalogue's words (the same as the dashboard's).
        job.advice = describe(job.error_code, producer=owner.get_username())[1]
    context = {
        "batch": batch,
        "producer": owner.get_full_name() or owner.get_username(),
        "published": published,
        "failed": failed,
        "portal_url": settings.PORTAL_BASE_URL,
        "batch_url": settings.PORTAL_BASE_URL + batch_link(batch),
    }
    subject = f"{len(published)} new version(s) for review from {context['producer']}"
    if failed:
        subject += f" ({len(failed)} failed)"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/batch_published.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
    )
    message.attach_alternative(render_to_string("emails/batch_published.html", context), "text/html")
    message.send(fail_silently=False)


def batch_link(batch: PublishBatch) -> str:
    try:
        return reverse("publishing:batch", args=[batch.pk])
    except NoReverseMatch:  # pages not installed (e.g. a worker-only deployment)
        return ""


def _in_app(batch: PublishBatch, published, failed) -> None:
    link = batch_link(batch)
    text = f"{len(published)} version(s) published"
    if failed:
        text += f", {len(failed)} failed"
    people = {batch.owner_id: f"Your batch: {text}."}
    usernames = [r.get("username") for r in batch.reviewers if r.get("username")]
    if usernames:
        for credential in FtrackCredential.objects.filter(api_user__in=usernames).select_related("user"):
            people.setdefault(credential.user_id, f"{batch.owner.get_username()} sent you {text} for review.")
    notifications.notifications_create(messages=people, link=link)


def _reviewer_emails_of(batch: PublishBatch) -> dict[str, str]:
    try:
        with use_session(batch.owner) as session:
            return reviewer_emails(session, batch)
    except Exception:  # no usable credential: the producer still gets the email
        log.warning("reviewer emails unavailable for batch %s", batch.pk, exc_info=True)
        return {}


def reviewer_emails(session, batch: PublishBatch) -> dict[str, str]:
    ids = [r["id"] for r in batch.reviewers if r.get("id")]
    if not ids:
        return {}
    rows = session.query(f"select id, email from User where id in ({q_in(ids)})").all()
    return {u["id"]: u["email"] for u in rows if u["email"]}
