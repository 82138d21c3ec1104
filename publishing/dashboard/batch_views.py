"""The publishes list and one batch's detail."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from publishing.core import roles
from publishing.core.access import portal_member_required
from publishing.dashboard.batch_selectors import batch_detail, batches_for_list
from publishing.dashboard.selectors import ACTIVE


@portal_member_required
def batch_list(request):
    page = Paginator(batches_for_list(request.user), 25).get_page(request.GET.get("page"))
    context = {"page": page, "sees_everyone": roles.is_coordinator(request.user)}
    return render(request, "publishing/batch_list.html", context)


@portal_member_required
def batch_show(request, batch_id: int):
    # Someone else's batch is "not found" for a producer: its existence is not theirs to know.
    batch = batch_detail(request.user, batch_id)
    if batch is None:
        raise Http404("No such batch")
    return render(request, "publishing/batch_detail.html", _batch_context(batch))


@require_GET
@portal_member_required
def batch_rows(request, batch_id: int):
    """The batch's job list alone, for the live refresh (static/js/dashboard.js, as the dashboard)."""
    batch = batch_detail(request.user, batch_id)
    if batch is None:
        raise Http404("No such batch")
    context = _batch_context(batch)
    response = render(request, "publishing/_batch_jobs.html", context)
    response["X-Active-Jobs"] = str(context["active_count"])
    response["Cache-Control"] = "no-store"
    return response


def _batch_context(batch) -> dict:
    jobs = list(batch.jobs.all())
    return {"batch": batch, "jobs": jobs, "active_count": sum(1 for job in jobs if job.status in ACTIVE)}
