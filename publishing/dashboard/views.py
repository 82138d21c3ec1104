"""The publishes dashboard: every job for coordinators and admins, "My publishes" for producers.

The page renders in full once; ``static/js/dashboard.js`` then re-fetches the rows fragment
(``dashboard/rows/`` with the same query string) every two seconds, so stages, progress bars and
ETAs move without a reload. Without JavaScript the page still works, it just does not move.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from publishing.core import roles
from publishing.core.access import portal_member_required, safe_next
from publishing.dashboard.selectors import (
    DashboardFilters,
    failed_jobs_in_group,
    failure_groups,
    jobs_for_dashboard,
    parse_id,
    producer_choices,
    project_choices,
)
from publishing.models import PublishJob
from publishing.pipeline.jobs import JobStateError, job_retry

# One click retries at most this many jobs; a bigger pile is a sign to look before retrying.
BULK_RETRY_LIMIT = 500


def _page(request):
    filters = DashboardFilters.from_query(request.GET)
    return jobs_for_dashboard(
        user=request.user,
        filters=filters,
        older_than=parse_id(request.GET.get("older")),
        newer_than=parse_id(request.GET.get("newer")),
        limit=int(settings.DASHBOARD_PAGE_SIZE),
    )


def _row_context(request, page) -> dict:
    return {
        "page": page,
        "filters": page.filters,
        "sees_everyone": roles.is_coordinator(request.user),
        "review_base": review_page_base(),
        # Where row actions send the user back to: this very list, same filters and page (the
        # rows fragment is fetched with the page's query string, so it can rebuild it).
        "here": reverse("publishing:dashboard") + (f"?{request.GET.urlencode()}" if request.GET else ""),
    }


def review_page_base() -> str:
    """The dev server's review page for a version is ``<server>/review/version/<id>``."""
    return settings.FTRACK_SERVER.rstrip("/") + "/review/version/"


@require_GET
@portal_member_required
def dashboard(request):
    page = _page(request)
    filters = page.filters
    context = _row_context(request, page)
    context.update(
        {
            "failures": failure_groups(request.user, filters),
            "producers": producer_choices(request.user),
            "projects": project_choices(request.user),
            "statuses": status_choices(),
            "rows_url": reverse("publishing:dashboard_rows")
            + ("?" + request.GET.urlencode() if request.GET else ""),
        }
    )
    return render(request, "publishing/dashboard.html", context)


@require_GET
@portal_member_required
def dashboard_rows(request):
    """The table body alone, for the live refresh; the count of active jobs travels in a header."""
    page = _page(request)
    response = render(request, "publishing/_job_rows.html", _row_context(request, page))
    response["X-Active-Jobs"] = str(page.active_count)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@portal_member_required
def bulk_retry(request):
    """Retry every failed job of one cause (among those this user may see); each retry is audited."""

    filters = DashboardFilters.from_query(request.POST)
    jobs = list(failed_jobs_in_group(request.user, request.POST.get("group", ""), filters)[:BULK_RETRY_LIMIT])
    retried = skipped = 0
    for job in jobs:
        try:
            job_retry(job=job, actor=request.user)
        except (JobStateError, PermissionDenied):
            # Someone else retried it meanwhile, or it is not this user's to retry.
            skipped += 1
        else:
            retried += 1
    if not jobs:
        messages.warning(request, "No failed jobs of that kind are left to retry.")
    else:
        text = f"Retrying {retried} job{'s' if retried != 1 else ''}."
        if skipped:
            text += f" {skipped} could not be retried (already retried or not yours)."
        messages.success(request, text)
    return redirect(safe_next(request, reverse("publishing:dashboard")))


def status_choices() -> list[tuple[str, str]]:
    """Status filter choices, in the order a coordinator thinks of them."""
    labels = dict(PublishJob.Status.choices)
    order = ["failed", "running", "retrying", "queued", "published", "cancelled"]
    return [("active", "In progress (any)"), *((value, labels[value]) for value in order)]
