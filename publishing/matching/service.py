"""The one matching service behind ``POST /api/context/match/``, the upload page and
``manage.py publish --match-names``: rules and remembered choices from the portal's database,
places from ftrack (``publishing.ftrack.naming``, the user's own key, cached per user)."""

from __future__ import annotations

from publishing.core.errors import ContextNotFound
from publishing.ftrack import browse, naming
from publishing.matching.plan import build_plan
from publishing.matching.rules import compile_rules
from publishing.models import LastTaskChoice, NamingRule

MAX_NAMES = 5000
MAX_NAME = 2048


def rules_for(project_id: str):
    rows = NamingRule.objects.filter(ftrack_project_id=project_id).order_by("position", "id")
    return compile_rules((r.pattern, r.is_regex) for r in rows)


def project_named(user, project: str) -> dict:
    """The project *user* may see by id or (case-insensitive) name; ``ContextNotFound`` otherwise."""
    wanted = str(project or "").strip()
    for row in browse.projects(user):
        if wanted in (row["id"], row["name"]) or wanted.lower() == row["name"].lower():
            return row
    raise ContextNotFound(wanted[:64])


def match_names(user, project: str, items: list[dict], asset_type: str | None = None) -> dict:
    found = project_named(user, project)
    index = naming.project_index(user, found["id"])
    remembered = (
        LastTaskChoice.objects.filter(user=user, ftrack_project_id=found["id"])
        .values_list("task_name", flat=True)
        .first()
        or ""
    )
    plan = build_plan(
        index, found["name"], items, rules_for(found["id"]), asset_type=asset_type, remembered_task=remembered
    )
    return {
        "project": {"id": found["id"], "name": found["name"]},
        "items": plan,
        "truncated": index["truncated"],
    }
