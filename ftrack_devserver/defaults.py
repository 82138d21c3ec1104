"""Values the server fills in on create, the way ftrack does (FTRACK-PROTOCOL §1.6, §2.5, §6.1)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from . import entity_types as et
from . import relations

_SYSTEM_TYPE = {"FileComponent": "file", "SequenceComponent": "sequence", "ContainerComponent": "container"}


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0).isoformat()


def for_create(call, type_name: str, given: dict) -> dict:
    row = {}
    for name, frag in et.properties(type_name).items():
        if "default" not in frag or name in given:
            continue
        default = frag["default"]
        if default == "{uid}":
            if name in et.primary_key(type_name):
                row[name] = str(uuid.uuid4())
        else:
            row[name] = default
    row.update(given)
    hook = _HOOKS.get(type_name) or _HOOKS.get(et.table_of(type_name))
    if hook is not None:
        hook(call, type_name, row)
    return row


def _asset_version(call, type_name, row):
    if row.get("version") is None:
        siblings = call.store.lookup("AssetVersion", "asset_id", row.get("asset_id"))
        row["version"] = max((v.get("version") or 0 for v in siblings), default=0) + 1
    row.setdefault("user_id", call.user_id)
    if row.get("user_id") is None:
        row["user_id"] = call.user_id
    row.setdefault("date", _now())
    if row.get("status_id") is None:
        row["status_id"] = _default_version_status(call, row)
    row.setdefault("is_published", True)


def _default_version_status(call, row) -> str | None:
    """First status of the version workflow of the asset's project, else the first status."""
    asset = call.store.get("Asset", (row.get("asset_id"),))
    project_id = call.visibility.project_of(asset) if asset else None
    project = call.store.get("Project", (project_id,)) if project_id else None
    schema = call.store.get("ProjectSchema", (project.get("project_schema_id"),)) if project else None
    if schema is not None:
        workflows = relations.follow(call.store, "ProjectSchema", schema, "_version_workflow")
        if workflows:
            statuses = relations.follow(call.store, "WorkflowSchema", workflows[0], "statuses")
            if statuses:
                return min(statuses, key=lambda s: s.get("sort") or 0)["id"]
    statuses = list(call.store.rows("Status"))
    return statuses[0]["id"] if statuses else None


def _component(call, type_name, row):
    row["system_type"] = _SYSTEM_TYPE.get(type_name, "file")
    row.setdefault("name", "main")
    row.setdefault("size", 0)


def _context(call, type_name, row):
    row.setdefault("created_at", _now())
    row.setdefault("created_by_id", call.user_id)
    if type_name == "Project":
        row["context_type"] = "show"
        row.setdefault("is_private", False)
        row.setdefault("full_name", row.get("name"))
        row["project_id"] = row.get("id") if "project_id" in et.properties(type_name) else None
        return
    row["context_type"] = "task"
    parent = call.store.get("Context", (row.get("parent_id"),)) if row.get("parent_id") else None
    if parent is not None:
        row["project_id"] = (
            parent["id"] if parent["__entity_type__"] == "Project" else parent.get("project_id")
        )


def _note(call, type_name, row):
    if row.get("user_id") is None:
        row["user_id"] = call.user_id
    row.setdefault("date", _now())
    row.setdefault("is_todo", False)
    if row.get("parent_id") and not row.get("parent_type"):
        for candidate in ("Context", "AssetVersion", "ReviewSessionObject"):
            found = call.store.get(candidate, (row["parent_id"],))
            if found is not None:
                row["parent_type"] = found["__entity_type__"]
                break


def _job(call, type_name, row):
    row.setdefault("user_id", call.user_id)
    row.setdefault("created_at", _now())
    row.setdefault("status", "queued")
    row.setdefault("type", "api_job")


def _resource(call, type_name, row):
    row["resource_type"] = "user" if type_name == "User" else "group"
    if type_name == "User":
        row.setdefault("is_active", True)


_HOOKS = {
    "AssetVersion": _asset_version,
    "Component": _component,
    "Context": _context,
    "Note": _note,
    "Job": _job,
    "Resource": _resource,
}


def after_create(call, type_name: str, row: dict) -> None:
    if type_name == "Note":
        call.created_notes.append(row)


def finish_notes(call) -> None:
    """The author of a note is always one of its recipients (ftrack adds them itself).

    Done at the end of the call because the client creates the Recipient rows after the Note in
    the same commit, and may list the author among them.
    """
    for note in call.created_notes:
        author = note.get("user_id")
        if not author or call.store.get("Note", (note.get("id"),)) is None:
            continue
        if call.store.get("Recipient", (note["id"], author)) is None:
            call.store.insert("Recipient", {"note_id": note["id"], "resource_id": author})
