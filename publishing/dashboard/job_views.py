"""One job: its page (timeline, stages, attempts, errors, ftrack ids, the file's probe), retry,
cancel, and its thumbnail.

Retry and cancel call the pipeline's services (``publishing.pipeline.jobs``), which check who may
act and write the audit event (who, when) into the job's timeline.

Thumbnails: ftrack serves them only on a URL that carries an API key, and no key may ever reach a
page. So the browser asks us (``jobs/<pk>/thumbnail/``) and we fetch the image with the ftrack
session of the job's producer, then cache the bytes (a component id never changes content).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from publishing.core import roles
from publishing.core.access import forbidden, portal_member_required, safe_next
from publishing.core.failures import describe_for
from publishing.dashboard.selectors import (
    eta_seconds,
    human_duration,
    job_files,
    job_timeline,
    job_visible_to,
    stage_lines,
)
from publishing.dashboard.views import review_page_base
from publishing.ftrack import thumbnails
from publishing.pipeline import jobs as job_services

log = logging.getLogger(__name__)

THUMBNAIL_CACHE_SECONDS = 24 * 3600


def _job_or_404(request, pk: int):
    # Someone else's job is "not found" for a producer: its existence is not theirs to know.
    job = job_visible_to(request.user, pk)
    if job is None:
        raise Http404("No such job")
    return job


@require_GET
@portal_member_required
def job_detail(request, pk: int):
    from django.utils import timezone

    job = _job_or_404(request, pk)
    eta = eta_seconds(job, timezone.now())
    failure = None
    if job.status == job.Status.FAILED:
        cause, advice = describe_for(job.error_code or "internal", owner=job.batch.owner, viewer=request.user)
        failure = {"cause": cause, "advice": advice}
    context = {
        "job": job,
        "stages": stage_lines(job),
        "events": job_timeline(job),
        "files": job_files(job),
        "failure": failure,
        "eta": eta,
        "eta_text": human_duration(eta),
        "review_base": review_page_base(),
        "ftrack_ids": [
            ("Asset", job.ftrack_asset_id),
            ("AssetVersion", job.ftrack_version_id),
            ("Version number", job.ftrack_version_number),
            ("FileComponent", job.ftrack_component_id),
            ("Review component", job.ftrack_review_component_id),
            ("Encode Job", job.ftrack_encode_job_id),
            ("Thumbnail", job.ftrack_thumbnail_id),
            ("Note", job.ftrack_note_id),
        ],
        "may_act": roles.is_coordinator(request.user) or job.batch.owner_id == request.user.pk,
    }
    return render(request, "publishing/job_detail.html", context)


def _act(request, pk: int, action_name: str):

    job = _job_or_404(request, pk)
    action = getattr(job_services, action_name)
    try:
        action(job=job, actor=request.user)
    except PermissionDenied as error:
        return forbidden(request, str(error))
    except job_services.JobStateError as error:
        messages.error(request, str(error))
    else:
        verb = "Retrying" if action_name == "job_retry" else "Cancelled"
        messages.success(request, f"{verb} {job.asset_name}.")
    return redirect(safe_next(request, reverse("publishing:job", args=[job.pk])))


@require_POST
@portal_member_required
def job_retry(request, pk: int):
    """Run a failed job again from the stage that failed."""
    return _act(request, pk, "job_retry")


@require_POST
@portal_member_required
def job_cancel(request, pk: int):
    return _act(request, pk, "job_cancel")


@require_GET
@portal_member_required
def job_thumbnail(request, pk: int):
    job = _job_or_404(request, pk)
    if not job.ftrack_thumbnail_id:
        raise Http404("No thumbnail")
    key = f"ftrack-thumbnail:{settings.FTRACK_SERVER}:{job.ftrack_thumbnail_id}"
    found = cache.get(key)
    if found is None:
        found = thumbnails.fetch(job.batch.owner, job.ftrack_thumbnail_id)
        if found is None:
            raise Http404("Thumbnail not available")
        cache.set(key, found, THUMBNAIL_CACHE_SECONDS)
    content_type, body = found
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = f"private, max-age={THUMBNAIL_CACHE_SECONDS}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
