"""The credentials page: where a user gives the portal their ftrack username and API key."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from publishing.core.access import portal_member_required
from publishing.core.errors import FtrackCredentialRejected, FtrackUnavailable
from publishing.vault.credentials import credential_save, credential_verify
from publishing.vault.forms import CredentialForm
from publishing.vault.selectors import credential_for_user, jobs_affected

log = logging.getLogger(__name__)

UNAVAILABLE = "ftrack is not answering right now, so the key could not be checked. Try again shortly."


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
            form.add_error(None, UNAVAILABLE)
        else:
            messages.success(
                request, f"Your ftrack credential is verified and saved (ftrack user {api_user})."
            )
            return redirect(next_url or "publishing:credentials")
    status = 400 if request.method == "POST" else 200
    credential = credential_for_user(request.user)
    context = {
        "form": form,
        "credential": credential,
        "next": next_url,
        "jobs_affected": jobs_affected(request.user).count()
        if credential and not credential.is_healthy
        else 0,
    }
    return render(request, "publishing/credentials.html", context, status=status)


@require_POST
@portal_member_required
def verify_own(request):
    """ "Verify now" for the user's own stored key."""
    credential = credential_for_user(request.user)
    if credential is None:
        messages.error(
            request, "There is no stored key to verify yet. Enter your ftrack username and API key."
        )
        return redirect("publishing:credentials")
    try:
        ok = credential_verify(credential=credential, actor=request.user)
    except FtrackUnavailable:
        messages.error(request, UNAVAILABLE)
    else:
        if ok:
            messages.success(request, f"ftrack accepted your key (ftrack user {credential.api_user}).")
        else:
            messages.error(request, f"ftrack refused your key: {credential.last_error}")
    return redirect("publishing:credentials")
