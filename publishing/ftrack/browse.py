"""Read-only ftrack lookups for the pages: projects, the context tree, users, asset types.

Each answer is computed with the user's own ftrack session (so ftrack applies that user's
permissions) and cached in Redis under that user's namespace for FTRACK_CACHE_TTL seconds.
"""

from __future__ import annotations

import re

import ftrack_api.exception
import requests

from publishing.core.errors import ContextNotFound, classify
from publishing.ftrack.cache import ResultCache
from publishing.ftrack.sessions import personal_identity, server_url, use_session

SEARCH_LIMIT = 50


def projects(user) -> list[dict]:
    def compute(session):
        rows = session.query("select id, name, full_name from Project").all()
        return sorted(
            ({"id": p["id"], "name": p["name"], "full_name": p["full_name"] or p["name"]} for p in rows),
            key=lambda p: p["name"].lower(),
        )

    return _cached(user, "projects", (), compute)


def children(user, parent_id: str) -> list[dict]:
    parent_id = _uuidish(parent_id)

    def compute(session):
        rows = session.query(f'select id, name from TypedContext where parent_id is "{parent_id}"').all()
        ids = [r["id"] for r in rows]
        with_children: set[str] = set()
        if ids:
            grandchildren = session.query(
                f"select parent_id from TypedContext where parent_id in ({','.join(ids)})"
            ).all()
            with_children = {g["parent_id"] for g in grandchildren}
        return sorted(
            (
                {
                    "id": r["id"],
                    "name": r["name"],
                    "type": r.entity_type,
                    "has_children": r["id"] in with_children,
                }
                for r in rows
            ),
            key=lambda c: (c["type"] == "Task", c["name"].lower()),
        )

    return _cached(user, "children", (parent_id,), compute)


def search(user, query: str, project_id: str | None = None) -> list[dict]:
    # Only word characters, spaces, dots and dashes reach the query language: nothing to escape.
    text = re.sub(r"[^\w .\-]", "", query or "").strip()
    if not text:
        return []
    project_id = _uuidish(project_id) if project_id else None

    def compute(session):
        where = f'name like "%{text}%"'
        if project_id:
            where += f' and project_id is "{project_id}"'
        rows = session.query(
            f"select id, name, parent_id, project_id from TypedContext where {where} limit {SEARCH_LIMIT}"
        ).all()
        rows = [r for r in rows if r.entity_type in ("Task", "Shot", "Sequence", "AssetBuild", "Episode")]
        paths = _paths(session, rows)
        return [
            {
                "id": r["id"],
                "name": r["name"],
                "type": r.entity_type,
                "path": paths[r["id"]],
                "project_id": r["project_id"],
            }
            for r in rows
        ]

    return _cached(user, "search", (text, project_id), compute)


def context(user, context_id: str) -> dict:
    context_id = _uuidish(context_id)

    def compute(session):
        rows = session.query(
            f'select id, name, parent_id, project_id from TypedContext where id is "{context_id}"'
        ).all()
        if not rows:
            raise ContextNotFound(context_id)
        row = rows[0]
        return {
            "id": row["id"],
            "name": row["name"],
            "type": row.entity_type,
            "path": _paths(session, [row])[row["id"]],
            "project_id": row["project_id"],
        }

    return _cached(user, "context", (context_id,), compute)


def users(user) -> list[dict]:
    def compute(session):
        rows = session.query(
            "select id, username, first_name, last_name, email from User where is_active is true"
        ).all()
        out = [
            {
                "id": u["id"],
                "username": u["username"],
                "name": " ".join(p for p in (u["first_name"], u["last_name"]) if p) or u["username"],
            }
            for u in rows
        ]
        return sorted(out, key=lambda u: u["name"].lower())

    return _cached(user, "users", (), compute)


def asset_types(user) -> list[dict]:
    def compute(session):
        rows = session.query("select id, name, short from AssetType").all()
        return sorted(
            ({"id": t["id"], "name": t["name"], "short": t["short"] or ""} for t in rows),
            key=lambda t: t["name"].lower(),
        )

    return _cached(user, "asset_types", (), compute)


def _cached(user, name: str, args: tuple, compute):
    credential = personal_identity(user)
    cache = ResultCache(server_url(), f"{user.pk}-{credential.api_user}")

    def run():
        try:
            with use_session(user) as session:
                return compute(session)
        except ContextNotFound:
            raise
        except (ftrack_api.exception.Error, requests.RequestException, ValueError, OSError) as exc:
            raise classify(exc, api_user=credential.api_user) from None

    return cache.get_or_compute(name, args, run)


def _paths(session, rows) -> dict[str, str]:
    """Readable "project / sq010 / sh010 / compositing" paths, walking parents a level at a time."""
    names: dict[str, str] = {}
    parents: dict[str, str | None] = {}
    for r in rows:
        names[r["id"]] = r["name"]
        parents[r["id"]] = r["parent_id"]
    for _ in range(20):  # depth bound: ftrack hierarchies are shallow
        missing = {p for p in parents.values() if p and p not in names}
        if not missing:
            break
        id_list = ",".join(sorted(missing))
        for found in session.query(
            f"select id, name, parent_id from TypedContext where id in ({id_list})"
        ).all():
            names[found["id"]] = found["name"]
            parents[found["id"]] = found["parent_id"]
        still = missing - set(names)
        if still:
            for project in session.query(
                f"select id, name from Project where id in ({','.join(sorted(still))})"
            ).all():
                names[project["id"]] = project["name"]
                parents[project["id"]] = None
        for orphan in missing - set(names):  # invisible ancestor: stop there
            names[orphan] = "…"
            parents[orphan] = None
    out = {}
    for r in rows:
        parts: list[str] = []
        node = r["id"]
        while node and len(parts) < 20:
            parts.append(names.get(node, "…"))
            node = parents.get(node)
        out[r["id"]] = " / ".join(reversed(parts))
    return out


def _uuidish(value: str) -> str:
    """ftrack ids are uuids; refuse anything that could change the meaning of a query."""
    value = str(value or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9\-]{1,64}", value):
        raise ContextNotFound(value[:64])
    return value
