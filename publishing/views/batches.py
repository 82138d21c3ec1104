"""The publishes list and one batch's detail."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from publishing import roles
from publishing.selectors import batch_detail, batches_for_list
from publishing.views.access import portal_member_required


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
    return render(request, "publishing/batch_detail.html", {"batch": batch, "jobs": list(batch.jobs.all())})
