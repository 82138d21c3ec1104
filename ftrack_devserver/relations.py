"""Following references and collections between rows, as the schema's RELATIONS describe them."""

from __future__ import annotations

from . import entity_types as et
from .store import Store


def _extra(rel) -> dict:
    return rel.extra or {}


def _through(rel):
    """(link type, column pointing at the owner, column pointing at the target) or None."""
    through = _extra(rel).get("through")
    if through is None:
        return None
    if isinstance(through, dict):
        return through["type"], through["local"], through["remote"]
    return tuple(through)


def follow(store: Store, type_name: str, row: dict, attribute: str) -> list[dict]:
    """Rows reached from *row* through *attribute* (0 or 1 for a reference)."""
    rel = et.relation(type_name, attribute)
    if rel is None:
        return []
    if rel.kind == "reference":
        value = row.get(rel.local)
        if value is None:
            return []
        if (rel.remote,) == et.primary_key(rel.target):
            found = store.get(rel.target, (value,))
            return [found] if found is not None else []
        return store.lookup(rel.target, rel.remote, value)[:1]
    through = _through(rel)
    if through is not None:
        link_type, owner_col, target_col = through
        out = []
        for link in store.lookup(link_type, owner_col, row.get(rel.local)):
            found = store.get(rel.target, (link.get(target_col),))
            if found is not None:
                out.append(found)
        return out
    found = store.lookup(rel.target, rel.remote, row.get(rel.local))
    where = _extra(rel).get("where")
    if where:
        found = [r for r in found if all(r.get(k) == v for k, v in where.items())]
    return found


def link_collection(store: Store, type_name: str, row: dict, attribute: str, refs: list[dict]) -> None:
    """Make *attribute* of *row* hold exactly the referenced rows (an ``update`` of a collection).

    For one-to-many relations the member's foreign key is pointed at the owner (this is how a Note
    gets its parent from ``update AssetVersion {notes: [...]}``); members dropped from the list
    have that key cleared unless it is part of their primary key. Many-to-many relations add and
    remove link rows.
    """
    from .errors import ValidationError  # local: errors imports nothing from here, keeps cycles out

    rel = et.relation(type_name, attribute)
    if rel is None or rel.kind == "reference":
        raise ValidationError(f"'{attribute}' of '{type_name}' is not a collection that can be set.")
    members = []
    for ref in refs:
        ref_type = ref.get("__entity_type__") or rel.target
        found = store.get(ref_type, tuple(ref.get(k) for k in et.primary_key(ref_type)))
        if found is None:
            raise ValidationError(f"'{ref_type}' referenced in '{attribute}' does not exist.")
        members.append(found)
    through = _through(rel)
    owner_value = row.get(rel.local)
    if through is not None:
        link_type, owner_col, target_col = through
        wanted = {m["id"] for m in members}
        for link in list(store.lookup(link_type, owner_col, owner_value)):
            if link.get(target_col) not in wanted:
                store.delete(link)
            else:
                wanted.discard(link.get(target_col))
        for target_id in wanted:
            store.insert(link_type, {owner_col: owner_value, target_col: target_id})
        return
    current = {id(r): r for r in store.lookup(rel.target, rel.remote, owner_value)}
    for member in members:
        changes = {}
        if member.get(rel.remote) != owner_value:
            changes[rel.remote] = owner_value
        if "parent_type" in _extra(rel) and member.get("parent_type") != row["__entity_type__"]:
            changes["parent_type"] = row["__entity_type__"]
        if changes:
            store.update(member, changes)
        current.pop(id(member), None)
    for left in current.values():
        if rel.remote not in et.primary_key(left["__entity_type__"]):
            store.update(left, {rel.remote: None})
