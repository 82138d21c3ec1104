"""Turning a submitted publish form into one PublishBatch and its PublishJobs.

1. Check every field and item, collecting all problems (a producer fixes them in one go).
   ftrack is asked (context, asset types, reviewers) before any row is written.
2. Write the batch, its jobs and their ordered uploads in one transaction.
3. After commit, hand each job to the publish pipeline.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from django.db import transaction

from publishing.core import enqueue
from publishing.core.errors import ContextNotFound, PublishError
from publishing.ftrack import browse
from publishing.matching.service import version_warnings
from publishing.models import JobEvent, JobUpload, LastTaskChoice, PublishBatch, PublishJob, Upload
from publishing.pipeline import jobs

log = logging.getLogger(__name__)

MAX_ITEMS = 500
MAX_FRAMES = 20000
ITEM_KINDS = {choice.value for choice in PublishJob.Kind}


class BatchInvalid(Exception):
    """The submission has problems; nothing was created.

    ``errors`` maps a form field to messages; ``item_errors`` has one dict per submitted item
    (empty when that item is fine), mapping an item field to messages.
    """

    def __init__(self, errors: dict[str, list[str]], item_errors: list[dict[str, list[str]]]):
        super().__init__("invalid publish batch")
        self.errors = errors
        self.item_errors = item_errors


@dataclass
class _Item:
    kind: str
    asset_name: str
    uploads: list[Upload]
    frames: list[int] = field(default_factory=list)
    pattern: str = ""
    context: dict | None = None  # this item's own ftrack context (else the batch's)


def batch_create_from_payload(*, owner, payload) -> PublishBatch:
    """A batch from the submit's JSON body (the upload page, ``POST /api/batches/`` and scripts all
    send the same shape, docs/api.md); every check is ``batch_create``'s, so every caller gets the
    same answers. Raises ``BatchInvalid``."""
    if not isinstance(payload, dict):
        raise BatchInvalid({"__all__": ["Send a JSON object."]}, [])
    encode = payload.get("encode", True)
    return batch_create(
        owner=owner,
        context_id=payload.get("context_id"),
        asset_type=payload.get("asset_type", "Upload"),
        comment=payload.get("comment") or "",
        reviewers=payload.get("reviewers") or [],
        encode=encode if isinstance(encode, bool) else True,
        items=payload.get("items"),
    )


def batch_create(
    *,
    owner,
    context_id: str | None,
    asset_type: str,
    comment: str = "",
    reviewers: list | None = None,
    encode: bool = True,
    items: list | None,
) -> PublishBatch:
    """Validate and create a batch with one queued job per item; raises ``BatchInvalid``.

    ftrack errors other than an unknown context (missing/rejected credential, ftrack down)
    propagate unchanged so the caller can answer them as such.
    """

    errors: dict[str, list[str]] = {}
    context = None
    context_id = str(context_id or "").strip()
    every_item_placed = (
        isinstance(items, list)
        and bool(items)
        and all(isinstance(i, dict) and str(i.get("context_id") or "").strip() for i in items)
    )
    if not context_id and not every_item_placed:
        errors.setdefault("context_id", []).append("Choose where in ftrack to publish (a task or shot).")
    if not isinstance(items, list) or not items:
        errors.setdefault("items", []).append("Add at least one file to publish.")
    if errors:
        # Nothing to look up in ftrack for a body without a target or files: say so at once, even
        # to a producer who has no ftrack key yet.
        raise BatchInvalid(errors, [])
    if context_id:
        try:
            context = browse.context(owner, context_id)
        except ContextNotFound:
            errors.setdefault("context_id", []).append(
                "This ftrack context does not exist or you cannot see it with your ftrack account."
            )

    asset_type = str(asset_type or "").strip()
    if not asset_type:
        errors.setdefault("asset_type", []).append("Choose an asset type.")
    else:
        known = {t["name"] for t in browse.asset_types(owner)}
        if asset_type not in known:
            errors.setdefault("asset_type", []).append(f"ftrack has no asset type named “{asset_type}”.")

    chosen_reviewers = _reviewers_checked(owner, reviewers, errors)
    if not isinstance(comment, str):
        errors.setdefault("comment", []).append("The comment must be text.")
        comment = ""

    checked_items, item_errors = _items_checked(owner, items, errors)
    _item_contexts_checked(owner, items, checked_items, item_errors)
    if errors or any(item_errors):
        raise BatchInvalid(errors, item_errors)
    warnings = _version_warnings(owner, checked_items, context, asset_type)

    with transaction.atomic():
        batch = PublishBatch.objects.create(
            owner=owner,
            comment=comment,
            reviewers=chosen_reviewers,
            encode_for_review=bool(encode),
        )
        for item, warning in zip(checked_items, warnings, strict=True):
            target = item.context or context
            assert target is not None  # no default and no own context is a BatchInvalid above
            job = _job_create(batch=batch, context=target, asset_type=asset_type, comment=comment, item=item)
            if warning:
                JobEvent.objects.create(
                    job=job, kind="warning", stage=job.stage, message=warning, actor=owner
                )
            enqueue.after_commit(jobs.job_enqueue, job.pk)
    log.info("batch %s created by %s with %d job(s)", batch.pk, owner, len(checked_items))
    _remember_task(owner, [item.context or context for item in checked_items])
    return batch


def _version_warnings(owner, items: list[_Item], context: dict | None, asset_type: str) -> list[str]:
    """A version in a file name that ftrack will not make is a warning on the job, never a refusal."""
    targets = []
    for item in items:
        where = item.context or context or {}
        targets.append(
            {
                "filename": item.uploads[0].filename if item.uploads else "",
                "project_id": where.get("project_id") or "",
                "context_id": where.get("id") or "",
                "asset_name": item.asset_name,
                "asset_type": asset_type,
            }
        )
    try:
        return version_warnings(owner, targets)
    except PublishError:  # ftrack did not answer: publish without the warnings
        log.warning("version check skipped for a batch of %s", owner)
        return [""] * len(items)


def _item_contexts_checked(owner, items, checked: list[_Item], item_errors) -> None:
    """Resolve each item's own ``context_id`` (a per-item error when unknown or invisible)."""

    if not isinstance(items, list):
        return
    ok = iter(checked)
    for raw, problems in zip(items, item_errors, strict=False):
        item = next(ok) if not problems and isinstance(raw, dict) else None
        own = str(raw.get("context_id") or "").strip() if isinstance(raw, dict) else ""
        if not own:
            continue
        try:
            found = browse.context(owner, own)
        except ContextNotFound:
            problems.setdefault("context_id", []).append(
                "This ftrack context does not exist or you cannot see it with your ftrack account."
            )
            continue
        if item is not None:
            item.context = found


def _remember_task(owner, contexts: list[dict | None]) -> None:
    """The last task chosen per project, offered first when a dropped name is ambiguous."""
    chosen = {}
    for found in contexts:
        if found and found.get("type") == "Task" and found.get("project_id"):
            chosen[found["project_id"]] = found.get("name", "")[:255]
    for project_id, task_name in chosen.items():
        LastTaskChoice.objects.update_or_create(
            user=owner, ftrack_project_id=project_id, defaults={"task_name": task_name}
        )


def _reviewers_checked(owner, reviewers, errors) -> list[dict]:

    if reviewers in (None, ""):
        return []
    if not isinstance(reviewers, list) or not all(isinstance(r, str) for r in reviewers):
        errors.setdefault("reviewers", []).append("Reviewers must be a list of ftrack user ids.")
        return []
    if not reviewers:
        return []
    by_id = {u["id"]: u for u in browse.users(owner)}
    unknown = [r for r in reviewers if r not in by_id]
    if unknown:
        errors.setdefault("reviewers", []).append(
            f"{len(unknown)} reviewer(s) are not active ftrack users; choose them again."
        )
        return []
    seen: dict[str, dict] = {}
    for reviewer_id in reviewers:
        user = by_id[reviewer_id]
        seen[reviewer_id] = {
            "id": user["id"],
            "username": user.get("username", ""),
            "name": user.get("name", ""),
        }
    return list(seen.values())


def _items_checked(owner, items, errors) -> tuple[list[_Item], list[dict[str, list[str]]]]:
    if not isinstance(items, list) or not items:
        errors.setdefault("items", []).append("Add at least one file to publish.")
        return [], []
    if len(items) > MAX_ITEMS:
        errors.setdefault("items", []).append(f"At most {MAX_ITEMS} items per batch.")
        return [], []

    wanted_ids: set[str] = set()
    for raw in items:
        if isinstance(raw, dict) and isinstance(raw.get("upload_ids"), list):
            wanted_ids.update(str(u) for u in raw["upload_ids"] if isinstance(u, str))
    # Uploads of other users are simply "not found": we do not reveal that they exist.
    uploads = {str(u.pk): u for u in Upload.objects.filter(owner=owner, pk__in=_valid_uuids(wanted_ids))}

    checked: list[_Item] = []
    item_errors: list[dict[str, list[str]]] = []
    used: set[str] = set()
    for raw in items:
        problems: dict[str, list[str]] = {}
        item = _item_checked(raw, uploads, used, problems)
        item_errors.append(problems)
        if item is not None and not problems:
            checked.append(item)
    return checked, item_errors


def _item_checked(raw, uploads: dict[str, Upload], used: set[str], problems) -> _Item | None:
    if not isinstance(raw, dict):
        problems["item"] = ["Each item must be an object."]
        return None
    kind = raw.get("kind")
    if kind not in ITEM_KINDS:
        problems.setdefault("kind", []).append("Kind must be movie, image or sequence.")
    asset_name = raw.get("asset_name")
    asset_name = asset_name.strip() if isinstance(asset_name, str) else ""
    if not asset_name:
        problems.setdefault("asset_name", []).append("Give the asset a name.")
    elif len(asset_name) > 255:
        problems.setdefault("asset_name", []).append("Asset names are at most 255 characters.")

    upload_ids = raw.get("upload_ids")
    if not isinstance(upload_ids, list) or not upload_ids or not all(isinstance(u, str) for u in upload_ids):
        problems.setdefault("upload_ids", []).append("This item has no uploaded file.")
        return None
    chosen: list[Upload] = []
    for upload_id in upload_ids:
        key = _uuid_or_none(upload_id)
        upload = uploads.get(key) if key else None
        if upload is None:
            problems.setdefault("upload_ids", []).append("An uploaded file of this item was not found.")
        elif key in used:
            problems.setdefault("upload_ids", []).append(
                f"“{upload.filename}” is already part of this batch."
            )
        elif upload.state != Upload.State.READY:
            problems.setdefault("upload_ids", []).append(_not_ready_message(upload))
        else:
            used.add(str(key))
            chosen.append(upload)
    if problems:
        return None

    if kind in (PublishJob.Kind.MOVIE, PublishJob.Kind.IMAGE):
        if len(chosen) != 1:
            problems.setdefault("upload_ids", []).append(f"A {kind} item has exactly one file.")
        elif chosen[0].kind and chosen[0].kind != kind:
            problems.setdefault("kind", []).append(f"“{chosen[0].filename}” is not a {kind}.")
        return _Item(kind=kind, asset_name=asset_name, uploads=chosen)

    return _sequence_checked(raw, asset_name, chosen, problems)


def _sequence_checked(raw, asset_name: str, chosen: list[Upload], problems) -> _Item | None:
    frames = raw.get("frames")
    if not isinstance(frames, list) or not all(
        isinstance(f, int) and not isinstance(f, bool) for f in frames
    ):
        problems.setdefault("frames", []).append("An image sequence needs its frame numbers.")
        return None
    if len(frames) != len(chosen):
        problems.setdefault("frames", []).append("Give one frame number per file of the sequence.")
    elif len(set(frames)) != len(frames):
        problems.setdefault("frames", []).append("Frame numbers must not repeat.")
    elif len(frames) > MAX_FRAMES:
        problems.setdefault("frames", []).append(f"At most {MAX_FRAMES} frames per sequence.")
    not_images = [u.filename for u in chosen if u.kind and u.kind != Upload.Kind.IMAGE]
    if not_images:
        problems.setdefault("upload_ids", []).append(f"Only still images make a sequence: “{not_images[0]}”.")
    pattern = raw.get("pattern")
    pattern = pattern.strip() if isinstance(pattern, str) else ""
    if not pattern or "%" not in pattern or "/" in pattern or "\\" in pattern or len(pattern) > 255:
        problems.setdefault("pattern", []).append("Give the sequence's name pattern, e.g. plate.%04d.exr.")
    if problems:
        return None
    ordered = sorted(zip(frames, chosen, strict=True), key=lambda pair: pair[0])
    return _Item(
        kind=PublishJob.Kind.SEQUENCE,
        asset_name=asset_name,
        uploads=[u for _, u in ordered],
        frames=[f for f, _ in ordered],
        pattern=pattern,
    )


def _not_ready_message(upload: Upload) -> str:
    if upload.state == Upload.State.REJECTED:
        reason = upload.reject_reason or "unsupported or corrupt"
        return f"“{upload.filename}” cannot be published: {reason}"
    if upload.state == Upload.State.EXPIRED:
        return f"“{upload.filename}” expired; upload it again."
    return f"“{upload.filename}” is still being uploaded or checked; wait until it is ready."


def _uuid_or_none(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return None


def _valid_uuids(values: set[str]) -> list[str]:
    return [key for key in map(_uuid_or_none, values) if key]


def _job_create(
    *, batch: PublishBatch, context: dict, asset_type: str, comment: str, item: _Item
) -> PublishJob:
    job = PublishJob.objects.create(
        batch=batch,
        kind=item.kind,
        frame_start=min(item.frames) if item.frames else None,
        frame_end=max(item.frames) if item.frames else None,
        sequence_pattern=item.pattern,
        context_id=context["id"],
        context_path=context.get("path", "")[:512],
        project_id=context.get("project_id", "") or "",
        asset_name=item.asset_name,
        asset_type=asset_type,
        comment=comment,
        status=PublishJob.Status.QUEUED,
        stage=PublishJob.Stage.QUEUED,
    )
    JobUpload.objects.bulk_create(
        JobUpload(
            job=job, upload=upload, position=position, frame=item.frames[position] if item.frames else None
        )
        for position, upload in enumerate(item.uploads)
    )
    JobEvent.objects.create(job=job, kind="queued", stage=PublishJob.Stage.QUEUED, actor=batch.owner)
    return job
