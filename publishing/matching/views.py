"""The naming-rules page (admins): a project's ordered rules, add / remove, and a try-out box.

A project without rules uses ``rules.DEFAULT_TEMPLATES``; the page shows them. Saving goes
through ``NamingRuleForm``, which refuses a rule that does not compile or names an unknown token.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Max
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from publishing.core import roles
from publishing.core.access import role_required
from publishing.core.errors import PublishError
from publishing.ftrack import browse
from publishing.matching.forms import NamingRuleForm
from publishing.matching.rules import DEFAULT_TEMPLATES
from publishing.matching.service import match_names
from publishing.models import NamingRule

admin_required = role_required(roles.is_admin, "Only admins edit the naming rules.")
MAX_TRY = 50


@require_http_methods(["GET", "POST"])
@admin_required
def naming_rules(request):
    try:
        projects = browse.projects(request.user)
    except PublishError as problem:
        projects, problem_text = [], str(problem)
    else:
        problem_text = ""
    by_id = {p["id"]: p for p in projects}
    project = by_id.get(request.GET.get("project") or request.POST.get("project") or "")
    form, tried, status = None, None, 200
    if project is not None:
        rule = NamingRule(
            ftrack_project_id=project["id"], project_name=project["name"], updated_by=request.user
        )
        if request.method == "POST":
            form = NamingRuleForm(request.POST, instance=rule)
            if form.is_valid():
                form.save()
                messages.success(request, f"Rule saved for {project['name']}.")
                return redirect(_page(project["id"]))
            status = 400
        else:
            following = NamingRule.objects.filter(ftrack_project_id=project["id"]).aggregate(
                n=Max("position")
            )
            form = NamingRuleForm(instance=rule, initial={"position": (following["n"] or 0) + 1})
        names = [n.strip() for n in request.GET.get("try", "").splitlines() if n.strip()][:MAX_TRY]
        if names:
            tried = _tried(request.user, project["id"], names)
    rules = (
        NamingRule.objects.filter(ftrack_project_id=project["id"]) if project else NamingRule.objects.none()
    )
    return render(
        request,
        "publishing/naming_rules.html",
        {
            "projects": projects,
            "project": project,
            "problem": problem_text,
            "rules": list(rules.order_by("position", "id")),
            "defaults": DEFAULT_TEMPLATES,
            "form": form,
            "tried": tried,
            "try_text": request.GET.get("try", ""),
        },
        status=status,
    )


def _tried(user, project_id: str, names: list[str]) -> list[dict] | None:
    items = []
    for name in names:
        folder, _, file_name = name.replace("\\", "/").rpartition("/")
        items.append({"name": file_name, "folder": folder})
    try:
        return match_names(user, project_id, items)["items"]
    except PublishError:
        return None


@require_POST
@admin_required
def naming_rule_delete(request, pk: int):
    rule = NamingRule.objects.filter(pk=pk).first()
    if rule is None:
        messages.error(request, "That rule was already removed.")
        return redirect("publishing:naming_rules")
    rule.delete()
    messages.success(request, f"Rule “{rule.pattern}” removed from {rule.project_name}.")
    return redirect(_page(rule.ftrack_project_id))


def _page(project_id: str) -> str:
    return f"{reverse('publishing:naming_rules')}?project={project_id}"
