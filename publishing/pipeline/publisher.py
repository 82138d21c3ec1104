"""The publish flow of one PublishJob, stage by stage.

1. Claim the job (conditional update), choose the credential (the project's service key acting as
   the producer, else the producer's personal key; recorded on the job) and borrow its session.
2. VERSION: resolve the context, find or create the Asset (same name and type under the same
   parent is reused), create the AssetVersion on the task with the comment and, where the
   project's workflow has it, the "Pending review" status.
3. UPLOAD: stream the source from staging into ftrack.server (uploader.py); a sequence becomes a
   SequenceComponent with one member per frame.
4. ENCODE: make it reviewable (review.py: encode_media and follow the Job, or a pre-encoded route).
5. VERIFY: a review component with valid ftr_meta in ftrack.server and a thumbnail, or fail.
6. NOTIFY: the Note to the reviewers (and the optional event); after the job is marked published,
   the batch email and in-app notifications go out once the batch's last job is over.
7. PUBLISHED, with the ftrack link and the duration of each stage.

Exactly once: every ftrack id is chosen here and written on the job *before* the entity is
created in ftrack, and every stage first asks ftrack what already exists. A worker killed at any
point therefore resumes on redelivery without making a second version or component. A finished
stage is recorded in ``stage_durations`` and skipped by a later run.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from datetime import timedelta

import ftrack_api.exception
import ftrack_api.symbol
from django.conf import settings
from django.utils import timezone

from publishing.core.errors import (
    ContextNotFound,
    FtrackCredentialRejected,
    FtrackRefused,
    PublishError,
    ServiceKeyRejected,
    StagingFileMissing,
    classify,
)
from publishing.ftrack.lookups import prefetch
from publishing.ftrack.sessions import pool, server_url, use_session
from publishing.ftrack.uploader import (
    Source,
    component_data,
    component_exists,
    ensure_file_component,
    in_server_location,
    member_name,
    record_in_server_location,
)
from publishing.models import JobEvent, PublishBatch, PublishJob
from publishing.pipeline import encode as review
from publishing.pipeline import notify, verify
from publishing.pipeline.jobs import job_claim, job_enqueue, worker_id
from publishing.pipeline.run import JobLost, Run
from publishing.vault.credentials import (
    credential_for_publish,
    credential_mark_unhealthy,
    credential_record_failure,
    service_key_record_failure,
)

log = logging.getLogger(__name__)
Stage = PublishJob.Stage
Status = PublishJob.Status


# --- stages ------------------------------------------------------------------------------------


def stage_version(run: Run) -> None:
    session, job, found = run.session, run.job, run.lookups
    if job.ftrack_version_id and not run.is_fresh("ftrack_version_id"):
        existing = session.query(
            f'select id, version from AssetVersion where id is "{job.ftrack_version_id}"'
        ).all()
        if existing:
            run.save(ftrack_version_number=existing[0]["version"])
            return
    context = found.context
    if context is None:
        raise ContextNotFound(job.context_id, job.context_path)
    if found.asset_type is None:
        raise FtrackRefused(f'ftrack has no asset type named "{job.asset_type}"')
    asset = found.asset_named(job.asset_name, job.ftrack_asset_id)
    if asset is not None and asset["id"] != job.ftrack_asset_id:
        run.save(ftrack_asset_id=asset["id"])
    _, version = record_version(
        session,
        found,
        asset=asset,
        asset_id=run.reserve("ftrack_asset_id") if asset is None else asset["id"],
        asset_name=job.asset_name,
        version_id=run.reserve("ftrack_version_id"),
        comment=job.comment,
    )
    try:
        session.commit()
    except Exception:
        session.rollback()
        # Applied but unanswered, or made by another run of this job: the recorded id tells.
        version = session.query(f'select id, version from AssetVersion where id is "{version["id"]}"').first()
        if version is None:
            raise
    run.save(ftrack_version_number=version["version"], project_id=context["project_id"] or job.project_id)


def record_version(session, found, *, asset, asset_id: str, asset_name: str, version_id: str, comment: str):
    """Record (not commit) what the VERSION stage creates: the Asset when ``asset`` is None (named
    ``asset_name``, of the looked-up type, under the context's parent) and the AssetVersion, on the
    task when the context is one, in the project's "Pending review" status where it has one.

    The stage commits them; ``manage.py publish --dry-run`` lists them instead. Returns both."""
    context = found.context
    if asset is None:
        asset = session.create(
            "Asset", {"id": asset_id, "name": asset_name, "type": found.asset_type, "parent": found.parent()}
        )
    data = {"id": version_id, "asset": asset, "comment": comment}
    if context.entity_type == "Task":
        data["task"] = context
    status = found.pending_review_status()
    if status is None and not _has_workflow(context):
        status = _pending_review_status(session, context["project_id"])
    if status is not None:
        data["status"] = status
    return asset, session.create("AssetVersion", data)


def _pending_review_status(session, project_id: str):
    """The "Pending review" status by the project's workflow, asked the slow way (fallback)."""
    try:
        project = session.query(f'select project_schema from Project where id is "{project_id}"').first()
        statuses = project["project_schema"].get_statuses("AssetVersion") if project is not None else []
    except (ftrack_api.exception.Error, KeyError, TypeError, AttributeError):
        # Some servers do not expose the workflow: fall back to the status by name.
        statuses = session.query('select id, name from Status where name is "Pending review"').all()
    for status in statuses:
        if str(status["name"]).strip().lower() == "pending review":
            return status
    return None


def _has_workflow(context) -> bool:
    """Whether the prefetch could read the project's version workflow (else ask the slow way)."""
    try:
        return context["project"]["project_schema"]["_version_workflow"] is not None
    except (KeyError, TypeError, AttributeError):
        return False


def stage_upload(run: Run) -> None:
    for upload in run.uploads:
        if not _staging_exists(upload):
            raise StagingFileMissing(upload.filename)
    if run.job.kind == PublishJob.Kind.SEQUENCE:
        _upload_sequence(run)
        return
    upload = run.uploads[0]
    ensure_file_component(
        run.session,
        component_id=run.reserve("ftrack_component_id"),
        name="main",
        source=Source(upload.storage_path, upload.size, upload.md5_base64),
        file_type=_suffix(upload.filename),
        version_id=run.job.ftrack_version_id,
        on_bytes=run.bytes_counter(),
        known_new=run.is_fresh("ftrack_component_id"),
    )
    run.heartbeat(bytes_sent=upload.size, progress=1.0, force=True)


def _upload_sequence(run: Run) -> None:
    session, job = run.session, run.job
    container_id = run.reserve("ftrack_component_id")
    file_type = _suffix(run.uploads[0].filename)
    padding = padding_of(job.sequence_pattern)
    # Member ids derive from the container id, so a resumed run finds the frames it already sent.
    members = [(link, str(uuid.uuid5(uuid.UUID(container_id), str(link.frame)))) for link in run.links]
    present = in_server_location(session, [container_id] + [m for _, m in members])
    if container_id in present:
        return
    if not component_exists(session, container_id):
        size = sum(u.size for u in run.uploads)
        data = component_data(
            component_id=container_id,
            name="main",
            file_type=file_type,
            size=size,
            version_id=job.ftrack_version_id,
        )
        session.create("SequenceComponent", {**data, "padding": padding})
        session.commit()
    counter = run.bytes_counter()
    for link, member_id in members:
        if member_id in present:
            counter(link.upload.size)
            continue
        ensure_file_component(
            session,
            component_id=member_id,
            name=member_name(link.frame, padding),
            source=Source(link.upload.storage_path, link.upload.size, link.upload.md5_base64),
            file_type=file_type,
            version_id=None,
            on_bytes=counter,
            extra={"container_id": container_id},
        )
    record_in_server_location(session, session.get("SequenceComponent", container_id))
    session.commit()


def stage_encode(run: Run) -> None:
    review.make_reviewable(run)


def stage_verify(run: Run) -> None:
    verify.verify_playable(run)


def stage_notify(run: Run) -> None:
    notify.note_to_reviewers(run)
    notify.announce(run)


STAGES = (
    (Stage.VERSION, stage_version),
    (Stage.UPLOAD, stage_upload),
    (Stage.ENCODE, stage_encode),
    (Stage.VERIFY, stage_verify),
    (Stage.NOTIFY, stage_notify),
)


# --- the run -----------------------------------------------------------------------------------


def publish(job_id: int) -> str:
    """Run (or resume) one job. Returns what happened: published, retrying, failed, skipped, lost."""
    worker = worker_id()
    job = job_claim(job_id, worker=worker)
    if job is None:
        return "skipped"
    run = Run(job, worker)
    owner = job.batch.owner
    emails: dict[str, str] | None = None
    try:
        # Chosen at every run, not once per job: an admin may add, replace or disable the
        # project's service key between a failed attempt and its retry.
        chosen = credential_for_publish(user=owner, project_id=job.project_id)
        run.credential, run.api_user = chosen, chosen.api_user
        run.save(credential_label=chosen.label[:255])
        run.event("credential", f"Publishing with the {chosen.label}.")
        with use_session(owner, chosen) as session:
            run.session = session
            session.rollback()  # a pooled session carries nothing from an earlier job
            run.lookups = prefetch(
                session,
                context_id=job.context_id,
                asset_type=job.asset_type,
                api_user=run.api_user,
                reviewer_ids=[r["id"] for r in job.batch.reviewers if r.get("id")],
            )
            for stage, action in STAGES:
                if stage in (job.stage_durations or {}):
                    continue
                _run_stage(run, stage, action)
            emails = run.lookups.emails
        _mark_published(run)
    except JobLost:
        log.info("job %s was taken from %s; stopping", job_id, worker)
        return "lost"
    except Exception as exc:  # every failure ends in a recorded state
        return _failed(run, exc)
    if not notify.batch_finished(job.batch_id, reviewer_emails=emails):
        # The batch's email went out before this run began: it listed this job as failed, and a
        # retry has published it since. Tell the same people, briefly.
        notified_at = (
            PublishBatch.objects.filter(pk=job.batch_id).values_list("notified_at", flat=True).first()
        )
        if notified_at is not None and notified_at < run.started_at:
            try:
                notify.job_follow_up(job, reviewer_emails=emails)
            except Exception:  # the job is published; a mail problem must not turn it into a failure
                log.exception("could not send the follow-up email of job %s", job.pk)
    return "published"


def _run_stage(run: Run, stage: str, action) -> None:
    run.save(stage=stage, progress=0.0, heartbeat_at=timezone.now())
    run.event("stage", PublishJob.Stage(stage).label)
    started = time.monotonic()
    try:
        action(run)
    except BaseException:
        run.session.rollback()  # drop half-made local entities; nothing uncommitted may linger
        raise
    durations = dict(run.job.stage_durations or {})
    durations[stage] = round(time.monotonic() - started, 3)
    # attempts counts tries of the current stage: progress made resets it.
    run.save(stage_durations=durations, progress=1.0, attempts=0, heartbeat_at=timezone.now())


def _mark_published(run: Run) -> None:
    job = run.job
    run.save(
        status=Status.PUBLISHED,
        stage=Stage.DONE,
        progress=1.0,
        review_url=version_url(job),
        finished_at=timezone.now(),
        error_code="",
        error_message="",
        is_retryable=False,
        next_attempt_at=None,
    )
    run.event("published", f"published as {job.asset_name} v{job.ftrack_version_number}")


def version_url(job: PublishJob) -> str:
    template = settings.FTRACK_VERSION_URL
    return template.format(server=server_url(), version_id=job.ftrack_version_id, project_id=job.project_id)


def _failed(run: Run, exc: BaseException) -> str:
    job = run.job
    error = classify(exc, api_user=run.api_user)
    if error.code == "internal":
        log.exception("publish job %s failed unexpectedly", job.pk)
    if isinstance(error, FtrackCredentialRejected):
        error = _credential_refused(run, error)
    attempts = job.attempts + 1
    max_attempts = int(settings.PUBLISH_MAX_ATTEMPTS)
    now = timezone.now()
    common = {
        "attempts": attempts,
        "error_code": error.code,
        "error_message": error.message,
        "is_retryable": error.retryable,
        "claimed_by": "",
        "updated_at": now,
    }
    still_ours = PublishJob.objects.filter(pk=job.pk, claimed_by=run.worker, status=Status.RUNNING)
    if error.retryable and attempts < max_attempts:
        delay = retry_delay(attempts)
        next_at = now + timedelta(seconds=delay)
        if not still_ours.update(status=Status.RETRYING, next_attempt_at=next_at, **common):
            return "lost"
        JobEvent.objects.create(
            job_id=job.pk,
            kind="error",
            stage=job.stage,
            message=f"{error.message} Next attempt in {delay:g} s.",
            data={"code": error.code, "attempt": attempts, "next_attempt_at": next_at.isoformat()},
        )
        job_enqueue(job.pk, countdown=delay)
        return "retrying"
    if not still_ours.update(status=Status.FAILED, finished_at=now, next_attempt_at=None, **common):
        return "lost"
    JobEvent.objects.create(
        job_id=job.pk, kind="error", stage=job.stage, message=error.message, data={"code": error.code}
    )
    notify.batch_finished(job.batch_id)
    return "failed"


def _credential_refused(run: Run, error: FtrackCredentialRejected) -> PublishError:
    """Blame the credential ftrack refused, and return the error the job records.

    A personal key: marked unhealthy (its pooled sessions closed) and its owner told once, in-app
    and by email. A project service key: the refusal is recorded on the service key for the admins,
    the producer's own credential is left alone, and the job says who can fix it.
    """
    owner, chosen = run.job.batch.owner, run.credential
    try:
        if chosen is not None and chosen.version_key[0] == "service":
            service_key = service_key_record_failure(
                chosen=chosen,
                message=f"ftrack refused this key as {chosen.api_user} (publish job {run.job.pk}).",
            )
            pool().discard(owner, chosen)
            name = service_key.project_name if service_key is not None else run.job.project_id
            return ServiceKeyRejected(name, chosen.api_user)
        credential_mark_unhealthy(user=owner, message=error.message)
        credential_record_failure(user=owner, message=error.message)
    except Exception:  # the job must still end in a recorded state
        log.exception("could not record the refused credential of job %s", run.job.pk)
    return error


def retry_delay(attempt: int) -> float:
    """Exponential backoff: base, 2×base, 4×base ... capped at the ceiling (seconds)."""
    base = float(settings.PUBLISH_RETRY_BASE)
    ceiling = float(settings.PUBLISH_RETRY_CEILING)
    return max(0.0, min(ceiling, base * 2 ** (attempt - 1)))


def _staging_exists(upload) -> bool:
    from django.core.files.storage import storages

    return bool(upload.storage_path) and storages["staging"].exists(upload.storage_path)


def _suffix(filename: str) -> str:
    return "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def padding_of(pattern: str) -> int:
    """The frame number width of a sequence pattern (``plate.%04d.exr``, ``plate.####.exr``)."""
    match = re.search(r"%0?(\d*)d", pattern or "")
    if match:
        return int(match.group(1) or 0)
    hashes = re.search(r"#+", pattern or "")
    return len(hashes.group(0)) if hashes else 0
