"""Who may see what: rows under a private project are hidden from users who are not its members.

Membership follows ftrack's security model in its simplest form: a user sees a private project
when one of their ``UserSecurityRole`` rows has ``is_all_projects`` set, or links the project
through a ``UserSecurityRoleProject``. Public projects and rows that belong to no project
(users, statuses, locations, ...) are visible to every authenticated user.
"""

from __future__ import annotations

from . import entity_types as et
from .store import Store

# How to reach the owning row from rows that are not contexts: (foreign key column, owner type).
_OWNER = {
    "Asset": ("context_id", "Context"),
    "AssetVersion": ("asset_id", "Asset"),
    "ComponentLocation": ("component_id", "Component"),
    "JobComponent": ("component_id", "Component"),
    "Recipient": ("note_id", "Note"),
    "NoteLabelLink": ("note_id", "Note"),
    "NoteComponent": ("note_id", "Note"),
    "Appointment": ("context_id", "Context"),
    "ReviewSessionObject": ("asset_version_id", "AssetVersion"),
}
_POLYMORPHIC = {"Note", "Metadata"}  # parent_id + parent_type


def hidden_projects(store: Store, username: str) -> frozenset[str]:
    """Ids of private projects *username* may not see (empty for most users: the fast path)."""
    private = [r["id"] for r in store.rows("Project") if r.get("is_private")]
    if not private:
        return frozenset()
    users = [u for u in store.rows("User") if u.get("username") == username]
    allowed: set[str] = set()
    for user in users:
        for role in store.lookup("UserSecurityRole", "user_id", user["id"]):
            if role.get("is_all_projects"):
                return frozenset()
            for link in store.lookup("UserSecurityRoleProject", "user_security_role_id", role["id"]):
                allowed.add(link.get("project_id"))
    return frozenset(p for p in private if p not in allowed)


class Visibility:
    """Per-request answer to "may this user see this row?", memoised by row identity."""

    def __init__(self, store: Store, hidden: frozenset[str]):
        self.store = store
        self.hidden = hidden
        self._memo: dict[tuple, str | None] = {}

    def visible(self, row: dict) -> bool:
        if not self.hidden:
            return True
        return self.project_of(row) not in self.hidden

    def project_of(self, row: dict, depth: int = 0) -> str | None:
        type_name = row["__entity_type__"]
        key = (type_name, self.store.key_of(type_name, row))
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # guards against cycles in bad data
        result = None
        if depth < 12:
            owner = self._owner(row, type_name)
            if owner is not None:
                result = self.project_of(owner, depth + 1)
            elif et.table_of(type_name) == et.table_of("Project"):
                result = row["id"] if type_name == "Project" else row.get("project_id")
        self._memo[key] = result
        return result

    def _owner(self, row: dict, type_name: str) -> dict | None:
        store = self.store
        if type_name in _POLYMORPHIC:
            parent_type = row.get("parent_type")
            if row.get("parent_id") and parent_type and et.exists(parent_type):
                return store.get(parent_type, (row["parent_id"],))
            return None
        if et.table_of(type_name) == et.table_of("Component"):
            if row.get("version_id"):
                return store.get("AssetVersion", (row["version_id"],))
            if row.get("container_id"):
                return store.get("Component", (row["container_id"],))
            return None
        if type_name in _OWNER:
            column, owner_type = _OWNER[type_name]
            if row.get(column):
                return store.get(owner_type, (row[column],))
        return None
