"""Attributes the server derives instead of storing: links, latest versions, signed URLs."""

from __future__ import annotations

from . import entity_types as et


def _is_context(type_name: str) -> bool:
    return et.table_of(type_name) == et.table_of("Project")


def _ancestors(ev, row: dict) -> list[dict]:
    """Parents of a context, nearest first, stopping at the project."""
    out, seen = [], {row.get("id")}
    parent_id = row.get("parent_id")
    while parent_id and parent_id not in seen:
        seen.add(parent_id)
        parent = ev.store.get("Context", (parent_id,))
        if parent is None:
            break
        out.append(parent)
        parent_id = parent.get("parent_id")
    return out


def _link(ev, type_name: str, row: dict) -> list[dict]:
    def item(r):
        kind = "Project" if r["__entity_type__"] == "Project" else "TypedContext"
        name = r.get("full_name") or r.get("name") if kind == "Project" else r.get("name")
        return {"id": r["id"], "name": name, "type": kind}

    if _is_context(type_name):
        chain = [row, *_ancestors(ev, row)]
        return [item(r) for r in reversed(chain)]
    if type_name == "AssetVersion":
        asset = ev.store.get("Asset", (row.get("asset_id"),))
        if asset is None:
            return []
        context = ev.store.get("Context", (asset.get("context_id"),))
        head = _link(ev, context["__entity_type__"], context) if context else []
        return [
            *head,
            {"id": asset["id"], "name": asset.get("name"), "type": "Asset"},
            {"id": row["id"], "name": f"v{row.get('version') or 0}", "type": "AssetVersion"},
        ]
    return []


def _latest_version(ev, asset_id) -> dict | None:
    versions = ev.store.lookup("AssetVersion", "asset_id", asset_id)
    return max(versions, key=lambda v: v.get("version") or 0) if versions else None


def _signed_get(ev, component_id):
    if not component_id or ev.signer is None:
        return None
    return {"value": ev.signer.download_url(ev.server_url, component_id)}


def handles(type_name: str, attribute: str) -> bool:
    if attribute in ("link", "_link"):
        return _is_context(type_name) or type_name == "AssetVersion"
    if attribute == "ancestors":
        return _is_context(type_name)
    if attribute == "thumbnail_url":
        return True
    if attribute == "url":
        return type_name in ("ComponentLocation", "JobComponent")
    return (type_name, attribute) in (("AssetVersion", "is_latest_version"), ("Asset", "latest_version"))


def value(ev, type_name: str, row: dict, attribute: str):
    """Value used by where-clauses: rows for references and collections, plain values otherwise."""
    if attribute == "ancestors":
        return [a for a in _ancestors(ev, row) if a["__entity_type__"] != "Project" and ev.vis.visible(a)]
    if attribute == "latest_version":
        return _latest_version(ev, row.get("id"))
    if attribute == "is_latest_version":
        latest = _latest_version(ev, row.get("asset_id"))
        return latest is not None and latest.get("id") == row.get("id")
    if attribute in ("link", "_link"):
        return _link(ev, type_name, row)
    if attribute == "thumbnail_url":
        return _signed_get(ev, row.get("thumbnail_id"))
    if attribute == "url":
        return _signed_get(ev, row.get("component_id"))
    return None


def emit(ev, type_name: str, row: dict, attribute: str, sub: dict):
    result = value(ev, type_name, row, attribute)
    if attribute == "ancestors":
        return [ev.emit(r, sub) for r in result]
    if attribute == "latest_version":
        return ev.emit(result, sub) if result is not None else None
    return result
