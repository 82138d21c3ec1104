"""The one matching service behind ``POST /api/context/match/``, the upload page and
``manage.py publish --match-names``: rules and remembered choices from the portal's database,
places from ftrack (``publishing.ftrack.naming``, the user's own key, cached per user)."""

from __future__ import annotations

import re

from publishing.core.errors import ContextNotFound
from publishing.ftrack import browse, naming
from publishing.matching.plan import Places, build_plan
from publishing.matching.rules import compile_rules
from publishing.models import LastTaskChoice, NamingRule

MAX_NAMES = 5000
MAX_NAME = 2048
VERSION_IN_NAME = re.compile(r"(?:^|[_\-. ])v(\d{1,9})(?=$|[_\-. ])", re.IGNORECASE)


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


def version_warnings(user, targets: list[dict]) -> list[str]:
    """For each target ``{"filename", "project_id", "context_id", "asset_name", "asset_type"}``: a
    warning when the file name carries a version (``v003``) that is not the one ftrack will make
    for that asset on that task's parent, else "". Asks ftrack only for names that carry one."""
    warnings = [""] * len(targets)
    places: dict[str, Places] = {}
    for position, target in enumerate(targets):
        said = VERSION_IN_NAME.findall(target["filename"].rsplit(".", 1)[0])
        if not said or not target["project_id"]:
            continue
        if target["project_id"] not in places:
            places[target["project_id"]] = Places.of(naming.project_index(user, target["project_id"]), "")
        found = places[target["project_id"]]
        parent = found.parents.get(target["context_id"]) or target["context_id"]
        will_be = found.latest(parent, target["asset_name"], target["asset_type"]) + 1
        if int(said[-1]) != will_be:
            warnings[position] = (
                f"The file name says v{int(said[-1]):03d} but ftrack will make v{will_be:03d} of {target['asset_name']}."
            )
    return warnings
