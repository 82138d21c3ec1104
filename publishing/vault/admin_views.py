"""Admin tools of the credential vault: everybody's credential health and project service keys."""

from __future__ import annotations

import logging

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from publishing.core import roles
from publishing.core.access import role_required
from publishing.core.errors import (
    FtrackCredentialRejected,
    FtrackUnavailable,
    MissingCredential,
    PublishError,
)
from publishing.ftrack import browse
from publishing.models import FtrackCredential, ProjectServiceKey
from publishing.vault.credentials import credential_verify, service_key_disable, service_key_save
from publishing.vault.selectors import credential_health_rows, service_keys
from publishing.vault.service_keys import ServiceKeyError
from publishing.vault.views import UNAVAILABLE

log = logging.getLogger(__name__)

admin_required = role_required(roles.is_admin, "Only admins manage everybody's ftrack credentials.")


def _rows():
    rows = []
    for user in credential_health_rows():
        try:
            credential = user.ftrack_credential
        except FtrackCredential.DoesNotExist:
            credential = None
        rows.append({"user": user, "credential": credential, "jobs_affected": user.jobs_affected})
    return rows


@admin_required
def credential_health(request):
    return render(request, "publishing/admin_credentials.html", {"rows": _rows()})


@require_POST
@admin_required
def credential_verify_now(request, user_id: int):
    user = get_object_or_404(get_user_model(), pk=user_id)
    credential = FtrackCredential.objects.filter(user=user).select_related("user").first()
    name = user.get_username()
    if credential is None:
        messages.error(request, f"{name} has no ftrack credential to verify.")
        return redirect("publishing:admin_credentials")
    try:
        ok = credential_verify(credential=credential, actor=request.user)
    except FtrackUnavailable:
        messages.error(request, UNAVAILABLE)
    else:
        if ok:
            messages.success(request, f"{name}: verified — ftrack accepts the key of {credential.api_user}.")
        else:
            messages.error(request, f"{name}: refused — {credential.last_error}")
    return redirect("publishing:admin_credentials")


class ServiceKeyForm(forms.Form):
    project = forms.ChoiceField(label="ftrack project")
    # render_value=False: the key is never echoed back into the page, not even after an error.
    api_key = forms.CharField(
        label="ftrack global API key",
        max_length=512,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
        help_text="In ftrack: System settings → Security → API keys. Checked with your own ftrack username.",
    )

    def __init__(self, *args, projects: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.projects = {p["id"]: p for p in projects}
        choices = [("", "Choose a project")] + [(p["id"], _project_label(p)) for p in projects]
        self.fields["project"].choices = choices  # type: ignore[attr-defined]  # a ChoiceField


def _project_label(project: dict) -> str:
    full_name, name = project.get("full_name") or "", project["name"]
    return f"{full_name} ({name})" if full_name and full_name != name else name


def _projects(user) -> tuple[list[dict], str]:
    """The projects the admin sees in ftrack, or why they cannot be listed."""

    try:
        return browse.projects(user), ""
    except MissingCredential:
        return (
            [],
            "Connect your own ftrack credential first: service keys are checked with your ftrack username.",
        )
    except PublishError as error:
        return [], error.message


@admin_required
def service_key_list(request):
    projects, problem = _projects(request.user)
    form = ServiceKeyForm(request.POST or None, projects=projects)
    if request.method == "POST" and form.is_valid():
        project = form.projects[form.cleaned_data["project"]]
        try:
            service_key_save(
                project_id=project["id"],
                project_name=project["name"],
                api_key=form.cleaned_data["api_key"],
                actor=request.user,
            )
        except FtrackCredentialRejected as rejected:
            form.add_error(
                "api_key", f"ftrack rejected this key for user {rejected.api_user}. Nothing was saved."
            )
        except FtrackUnavailable:
            form.add_error(None, UNAVAILABLE)
        except ServiceKeyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Service key for project {project['name']} verified and saved.")
            return redirect("publishing:admin_service_keys")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "service_keys": service_keys(), "problem": problem}
    return render(request, "publishing/admin_service_keys.html", context, status=status)


@require_POST
@admin_required
def service_key_disable_view(request, pk: int):
    service_key = get_object_or_404(ProjectServiceKey, pk=pk)
    service_key_disable(service_key=service_key, actor=request.user)
    messages.success(request, f"Service key for project {service_key.project_name} disabled.")
    return redirect("publishing:admin_service_keys")
