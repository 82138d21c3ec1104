"""Readable ftrack paths ("demo/sq010/sh010/compositing") to context ids, with the user's own key.

The command line names where to publish the way people say it; the portal stores ids. The walk
goes through ``publishing.ftrack.browse`` (projects, then children level by level), so it sees
exactly what the user's ftrack account sees and shares browse's per-user cache.
"""

from __future__ import annotations

from publishing.core.errors import ContextNotFound
from publishing.ftrack import browse

MAX_DEPTH = 20
SHOWN_CHOICES = 12


class ContextPathInvalid(ContextNotFound):
    """The path names something that is not there; the message says which part and what is."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message
        self.args = (message,)


def split_path(path: str) -> list[str]:
    """ "demo/sq010/sh010/compositing", "demo / sq010 / sh010 / compositing" → the names."""
    parts = [part.strip() for part in str(path or "").replace("\\", "/").split("/")]
    return [part for part in parts if part]


def _pick(rows: list[dict], name: str, keys: tuple[str, ...]) -> dict | None:
    exact = [row for row in rows if any(row.get(key) == name for key in keys)]
    if len(exact) == 1:
        return exact[0]
    folded = [row for row in rows if any(str(row.get(key, "")).lower() == name.lower() for key in keys)]
    return folded[0] if len(folded) == 1 else None


def _choices(rows: list[dict]) -> str:
    names = sorted({row["name"] for row in rows}, key=str.lower)
    shown = ", ".join(names[:SHOWN_CHOICES])
    return shown + (f" and {len(names) - SHOWN_CHOICES} more" if len(names) > SHOWN_CHOICES else "")


def resolve_path(user, path: str) -> dict:
    """The context at ``path``: {"id", "name", "type", "path", "project_id"}.

    Raises ``ContextPathInvalid`` (a ``ContextNotFound``) naming the first part that does not
    exist, and the ftrack errors of ``browse`` (missing or rejected credential, ftrack down).
    """

    names = split_path(path)
    if not names:
        raise ContextPathInvalid('Give the ftrack path to publish to, e.g. "demo/sq010/sh010/compositing".')
    if len(names) > MAX_DEPTH:
        raise ContextPathInvalid(f"An ftrack path has at most {MAX_DEPTH} parts.")
    projects = browse.projects(user)
    project = _pick(projects, names[0], ("name", "full_name"))
    if project is None:
        raise ContextPathInvalid(
            f"No ftrack project named “{names[0]}” that you can see. Projects: {_choices(projects) or 'none'}."
        )
    node = {"id": project["id"], "name": project["name"], "type": "Project"}
    walked = [project["name"]]
    for name in names[1:]:
        children = browse.children(user, node["id"])
        found = _pick(children, name, ("name",))
        if found is None:
            where = " / ".join(walked)
            inside = _choices(children)
            raise ContextPathInvalid(
                f"“{where}” has nothing named “{name}”. "
                + (f"It contains: {inside}." if inside else "It contains nothing you can publish to.")
            )
        node = found
        walked.append(found["name"])
    if node["type"] == "Project":
        raise ContextPathInvalid(
            "Publish to a task, shot or sequence inside the project, not to the project itself."
        )
    return {**node, "path": " / ".join(walked), "project_id": project["id"]}
