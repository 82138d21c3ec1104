"""The credentials page: where a user gives the portal their ftrack username and API key."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from publishing.errors import FtrackCredentialRejected, FtrackUnavailable
from publishing.forms import CredentialForm
from publishing.selectors import credential_for_user
from publishing.services.credentials import credential_save
from publishing.views.access import portal_member_required

log = logging.getLogger(__name__)


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@portal_member_required
def credentials(request):
    next_url = _safe_next(request)
    form = CredentialForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        api_user = form.cleaned_data["api_user"]
        try:
            credential_save(user=request.user, api_user=api_user, api_key=form.cleaned_data["api_key"])
        except FtrackCredentialRejected:
            form.add_error("api_key", f"ftrack rejected this API key for user {api_user}.")
        except FtrackUnavailable:
            form.add_error(
                None, "ftrack is not answering right now, so the key could not be checked. Try again shortly."
            )
        else:
            messages.success(
                request, f"Your ftrack credential is verified and saved (ftrack user {api_user})."
            )
            return redirect(next_url or "publishing:credentials")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "credential": credential_for_user(request.user), "next": next_url}
    return render(request, "publishing/credentials.html", context, status=status)
