"""One batched, cached read of a project's places for name matching.

``project_index(user, project_id)`` answers, for what *user* may see in ftrack (their own key):
every sequence, shot and task of the project, and every asset with its latest version number.
It is one ftrack request holding two queries (contexts, assets), each one page, cached as plain JSON in
the user's Redis namespace (``ResultCache``) for FTRACK_CACHE_TTL seconds: a warm read asks
ftrack nothing. No names from the outside ever reach a query: only the project id, checked to
be uuid-like.
"""

from __future__ import annotations

from publishing.ftrack.browse import _cached, _uuidish

# One page per query: a project larger than this is read only in part (said in ``truncated``).
MAX_ROWS = 200_000
PLACE_TYPES = ("Sequence", "Episode", "Shot", "AssetBuild", "Folder")


def project_index(user, project_id: str) -> dict:
    """``{"contexts": [[id, name, type, parent_id], ...], "assets": [[parent_id, name, type,
    latest_version], ...], "truncated": bool}`` for one project (ids as strings)."""
    project_id = _uuidish(project_id)

    def compute(session):
        # Both queries in one request, read as they come: ``session.query`` would merge every
        # row into the session's (Redis-backed) entity cache, seconds for a 25 000-task project.
        contexts, assets = (
            answer["data"]
            for answer in session.call(
                [
                    {
                        "action": "query",
                        "expression": "select id, name, parent_id from TypedContext"
                        f' where project_id is "{project_id}" limit {MAX_ROWS}',
                    },
                    {
                        "action": "query",
                        "expression": "select id, name, context_id, type.name, latest_version.version"
                        f' from Asset where parent.project_id is "{project_id}" limit {MAX_ROWS}',
                    },
                ]
            )
        )
        out_contexts = [[c["id"], c["name"], c.entity_type, c["parent_id"]] for c in contexts]
        out_assets = []
        for a in assets:
            latest = a["latest_version"]
            asset_type = a["type"]
            out_assets.append(
                [
                    a["context_id"],
                    a["name"],
                    asset_type["name"] if asset_type else "",
                    latest["version"] if latest else 0,
                ]
            )
        return {
            "contexts": out_contexts,
            "assets": out_assets,
            "truncated": len(contexts) >= MAX_ROWS or len(assets) >= MAX_ROWS,
        }

    return _cached(user, "naming_index", (project_id,), compute)
