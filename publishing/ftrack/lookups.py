"""Reading from ftrack in as few round trips as possible.

``ftrack_api`` sends one HTTP call per ``session.query``; the server accepts several operations per
call, so reads a publish needs together go out together (``batch_query``), and what they return is
merged into the session exactly as ``session.query`` would merge it.

* ``prefetch``: everything the stages read about the surroundings of a job in one call: the context
  (with its parent's assets and the project's version workflow), the asset type, the ftrack users
  involved (author, reviewers with their email) and the "Review" note label.
* ``version_state``: everything the encode and verify stages ask about a version in one call: its
  components with their locations and metadata, and its thumbnail's locations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import ftrack_api.symbol

from publishing.core.errors import NotPlayable

SERVER_LOCATION_ID = ftrack_api.symbol.SERVER_LOCATION_ID


def batch_query(session, expressions: list[str]) -> list[list]:
    """Run several queries in one call; returns one list of merged entities per expression."""
    results = session.call([{"action": "query", "expression": e} for e in expressions])
    # What ``session.query`` does with its single result: a plain ``merge`` would skip nested
    # entities whose identity did not change (a shot's fresh ``assets`` under a known task).
    # One record of merged entities per result, as for one query: a shared one would skip an entity
    # a later result brings with other attributes (a thumbnail that is also a review component).
    merge = getattr(session, "_merge_recursive", None) or session.merge
    out = []
    for result in results:
        merged: dict = {}
        out.append([merge(entity, merged) for entity in result["data"]])
    return out


def json_field(raw) -> dict:
    """ftrack keeps JSON in string attributes (Job.data, ftr_meta): parse leniently, {} when unusable."""
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def q(text) -> str:
    """The one quoting rule for values put into ftrack's query language, always between double
    quotes (``where name is "{q(name)}"``). ftrack's grammar has no escape sequence inside a
    literal, so the two characters that could end or bend it, ``"`` and ``\\``, are dropped: a
    hostile value (``x" or name like "%``) can then only ever be a strange name that matches
    nothing, never more query."""
    return str(text).replace("\\", "").replace('"', "")


def q_in(values) -> str:
    """``"a","b"`` for ``where id in (...)``, each value quoted by ``q``."""
    return ",".join(f'"{q(value)}"' for value in values)


@dataclass
class Lookups:
    # ftrack entities (ftrack_api builds their classes at run time from the server's schemas).
    context: Any
    asset_type: Any
    author: Any
    reviewers: list = field(default_factory=list)
    label: Any = None

    @property
    def emails(self) -> dict[str, str]:
        return {u["id"]: u["email"] for u in self.reviewers if u["email"]}

    def parent(self):
        """Where the asset lives: a task's parent (the shot), else the context itself."""
        if self.context is None:
            return None
        return self.context["parent"] if self.context.entity_type == "Task" else self.context

    def asset_named(self, name: str, asset_id: str = ""):
        """The existing Asset with this id, or with this name and type under the parent, from the prefetch."""
        parent = self.parent()
        if parent is None or self.asset_type is None:
            return None
        assets = list(parent["assets"])
        for asset in assets:
            if asset_id and asset["id"] == asset_id:
                return asset
        for asset in assets:
            if asset["name"] == name and asset["type_id"] == self.asset_type["id"]:
                return asset
        return None

    def pending_review_status(self):
        """The project's version workflow status named "Pending review", or None."""
        try:
            statuses = self.context["project"]["project_schema"]["_version_workflow"]["statuses"]
        except (KeyError, TypeError, AttributeError):
            return None
        for status in statuses:
            if str(status["name"]).strip().lower() == "pending review":
                return status
        return None


def prefetch(session, *, context_id: str, asset_type: str, api_user: str, reviewer_ids: list[str]) -> Lookups:
    users = f'username is "{q(api_user)}"'
    if reviewer_ids:
        users += " or id in (" + q_in(reviewer_ids) + ")"
    # The context's own assets and its parent's: the asset lives under a task's parent, or under
    # the context itself when it is not a task; both are small lists.
    context, types, people, labels = batch_query(
        session,
        [
            "select id, name, parent_id, project_id, assets.name, assets.type_id, parent.assets.name, "
            "parent.assets.type_id, project.project_schema._version_workflow.statuses.name "
            f'from TypedContext where id is "{q(context_id)}"',
            f'select id, name from AssetType where name is "{q(asset_type)}"',
            f"select id, username, email from User where {users}",
            'select id, name from NoteLabel where name is "Review"',
        ],
    )
    author = next((u for u in people if u["username"] == api_user), None)
    wanted = set(reviewer_ids)
    return Lookups(
        context=context[0] if context else None,
        asset_type=types[0] if types else None,
        author=author,
        reviewers=[u for u in people if u["id"] in wanted],
        label=labels[0] if labels else None,
    )


@dataclass
class VersionState:
    """What ftrack holds for a version, read in one call."""

    version: Any
    components: list

    @staticmethod
    def stored(entity) -> bool:
        return any(cl["location_id"] == SERVER_LOCATION_ID for cl in entity["component_locations"])

    def review_components(self) -> list:
        return [c for c in self.components if str(c["name"]).startswith("ftrackreview-")]

    def ftr_meta(self, component):
        return component["metadata"].get("ftr_meta")

    @property
    def thumbnail_id(self) -> str | None:
        return self.version["thumbnail_id"]

    def thumbnail_stored(self) -> bool:
        thumbnail = self.version["thumbnail"]
        return thumbnail is not None and self.stored(thumbnail)


def version_state(session, version_id: str) -> VersionState:
    versions, components = batch_query(
        session,
        [
            "select id, thumbnail_id, thumbnail.component_locations.location_id "
            f'from AssetVersion where id is "{q(version_id)}"',
            "select id, name, file_type, component_locations.location_id, metadata.key, metadata.value "
            f'from Component where version_id is "{q(version_id)}"',
        ],
    )
    if not versions:
        raise NotPlayable("the version no longer exists in ftrack")
    return VersionState(versions[0], components)
