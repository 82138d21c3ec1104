"""The notification centre (every portal member, own entries only) and the webhook admin page.

Notifications are always looked up with ``user=request.user``: an id from the URL that belongs to
someone else is simply "not found". The webhook secret appears in exactly one response (the one
that created or renewed it), marked ``no-store``; the URL is shown with its path hidden.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from publishing.core import roles
from publishing.core.access import portal_member_required, role_required, safe_next
from publishing.core.errors import PublishError
from publishing.ftrack import browse
from publishing.models import ProjectWebhook, WebhookDelivery
from publishing.notify import notifications as notification_services
from publishing.notify import webhooks as webhook_services

PAGE_SIZE = 25

admin_required = role_required(roles.is_admin, "Only admins manage the project webhooks.")


# --- notification centre -------------------------------------------------------------------------
@require_GET
@portal_member_required
def notification_list(request):
    page = Paginator(notification_services.notifications_of(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "publishing/notifications.html", {"page": page})


@require_GET
@portal_member_required
def notifications_unread(request):
    """``{"unread": n}`` for the bell's poll; never cached (the count is the point)."""
    response = JsonResponse({"unread": notification_services.notifications_unread_count(request.user)})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@portal_member_required
def notification_read(request, pk: int):
    changed = notification_services.notifications_mark_read(user=request.user, ids=[pk])
    if not changed and not notification_services.notifications_of(request.user).filter(pk=pk).exists():
        raise Http404("No such notification")
    return redirect(safe_next(request, reverse("publishing:notifications")))


@require_POST
@portal_member_required
def notifications_read_all(request):
    changed = notification_services.notifications_mark_read(user=request.user)
    messages.success(request, f"Marked {changed} notification{'s' if changed != 1 else ''} as read.")
    return redirect(safe_next(request, reverse("publishing:notifications")))


# --- webhooks (admins) ---------------------------------------------------------------------------
class WebhookForm(forms.Form):
    project = forms.ChoiceField(label="ftrack project", required=False)
    ftrack_project_id = forms.CharField(label="ftrack project id", max_length=64, required=False)
    project_name = forms.CharField(label="Project name", max_length=255, required=False)
    url = forms.URLField(
        label="Webhook URL",
        max_length=1024,
        assume_scheme="https",
        help_text="Where the portal POSTs its JSON, e.g. a Slack incoming-webhook URL.",
    )

    def __init__(self, *args, projects: list[dict] | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.projects = {p["id"]: p for p in projects or []}
        if projects:
            # Picked from ftrack: the id and name come from the list, not from typing.
            choices = [("", "Choose a project")] + [(p["id"], p["full_name"] or p["name"]) for p in projects]
            self.fields["project"].choices = choices  # type: ignore[attr-defined]  # a ChoiceField
            self.fields["project"].required = True
            del self.fields["ftrack_project_id"], self.fields["project_name"]
        else:
            del self.fields["project"]
            self.fields["ftrack_project_id"].required = True
            self.fields["project_name"].required = True

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError("Use an http:// or https:// URL.")
        try:  # no internal addresses (SSRF): checked again before every delivery
            webhook_services.webhook_url_check(url)
        except webhook_services.WebhookURLError as refused:
            raise forms.ValidationError(str(refused)) from None
        return url

    def target(self) -> tuple[str, str]:
        data = self.cleaned_data
        if "project" in data:
            project = self.projects[data["project"]]
            return project["id"], project["name"]
        return data["ftrack_project_id"].strip(), data["project_name"].strip()


def _ftrack_projects(user) -> list[dict] | None:

    try:
        return browse.projects(user)
    except PublishError:  # no credential, rejected, ftrack down: the admin types id and name instead
        return None


def _webhooks_page(
    request, form: WebhookForm, *, new_secret: tuple[ProjectWebhook, str] | None = None, status=200
):
    hooks = list(ProjectWebhook.objects.order_by("project_name", "id"))
    for hook in hooks:
        hook.display_url = webhook_services.url_for_display(hook.url)  # type: ignore[attr-defined]
    deliveries = list(WebhookDelivery.objects.select_related("webhook").order_by("-created_at", "-id")[:20])
    response = render(
        request,
        "publishing/notifications_webhooks.html",
        {"form": form, "webhooks": hooks, "deliveries": deliveries, "new_secret": new_secret},
        status=status,
    )
    if new_secret:
        # The one response that carries the secret: no cache, no back-button copy.
        response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@admin_required
def webhook_admin(request):
    projects = _ftrack_projects(request.user)
    form = WebhookForm(request.POST or None, projects=projects)
    if request.method == "POST":
        if not form.is_valid():
            return _webhooks_page(request, form, status=400)
        project_id, project_name = form.target()
        try:
            webhook, secret = webhook_services.webhook_save(
                ftrack_project_id=project_id,
                project_name=project_name,
                url=form.cleaned_data["url"],
                actor=request.user,
            )
        except webhook_services.WebhookURLError as refused:  # DNS changed since the form's check
            form.add_error("url", str(refused))
            return _webhooks_page(request, form, status=400)
        messages.success(request, f"Webhook for {project_name} saved.")
        return _webhooks_page(
            request,
            WebhookForm(projects=projects),
            new_secret=(webhook, secret),
        )
    return _webhooks_page(request, form)


def _webhook_or_404(pk: int) -> ProjectWebhook:
    webhook = ProjectWebhook.objects.filter(pk=pk).first()
    if webhook is None:
        raise Http404("No such webhook")
    return webhook


@require_POST
@admin_required
def webhook_test(request, pk: int):
    webhook = _webhook_or_404(pk)
    # Queued for a worker (maintenance queue), never sent inside this request.
    webhook_services.webhook_send_test(webhook=webhook, actor=request.user)
    messages.success(request, "Test queued — see recent deliveries below.")
    return redirect("publishing:webhooks")


@require_POST
@admin_required
def webhook_active(request, pk: int):
    webhook = _webhook_or_404(pk)
    active = request.POST.get("active") == "1"
    webhook_services.webhook_set_active(webhook=webhook, active=active)
    messages.success(request, f"Webhook for {webhook.project_name} {'switched on' if active else 'paused'}.")
    return redirect("publishing:webhooks")


@require_POST
@admin_required
def webhook_secret(request, pk: int):
    webhook = _webhook_or_404(pk)
    secret = webhook_services.webhook_rotate_secret(webhook=webhook)
    messages.success(
        request, f"New secret for {webhook.project_name}'s webhook: the old one no longer signs."
    )
    return _webhooks_page(
        request, WebhookForm(projects=_ftrack_projects(request.user)), new_secret=(webhook, secret)
    )
