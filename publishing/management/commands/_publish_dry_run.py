"""``manage.py publish --dry-run``: the ftrack operations a publish would commit, sent nowhere.

The publisher's stages commit as they go (and record ids on the job row), so they cannot run
half-way. Instead this calls the stages' own recording code (``record_version``, ``component_data``,
``record_in_server_location``: Asset unless one with that name and type exists, AssetVersion, the
FileComponent or SequenceComponent with its frames, their ComponentLocation in ftrack.server) on the
user's real ftrack session. ``create`` only records an operation locally; the list printed is the session's own
``recorded_operations``, then ``rollback()`` drops them. Only reads (queries) reach the server.
"""

from __future__ import annotations

import uuid

import ftrack_api.operation
import ftrack_api.symbol

from publishing.core.errors import ContextNotFound, FtrackRefused
from publishing.ftrack.lookups import prefetch
from publishing.ftrack.sessions import open_session, personal_identity
from publishing.ftrack.uploader import component_data, member_name, record_in_server_location
from publishing.pipeline.publisher import padding_of, record_version


def record_publish(
    session, *, context_id: str, asset_type: str, asset_name: str, comment: str, item, assets: dict
) -> None:
    """Record (not commit) the creations of one item's version and components on ``session``, with
    the publisher's own code: the same look-ups, the same Asset and AssetVersion, the same components.

    ``assets`` remembers Assets recorded for earlier items: uncommitted, no query finds them.
    """
    found = prefetch(session, context_id=context_id, asset_type=asset_type, api_user="", reviewer_ids=[])
    if found.context is None:
        raise ContextNotFound(context_id)
    if found.asset_type is None:
        raise FtrackRefused(f'ftrack has no asset type named "{asset_type}"')
    key = (asset_name, found.asset_type["id"], found.parent()["id"])
    asset, version = record_version(
        session,
        found,
        asset=assets.get(key) or found.asset_named(asset_name),
        asset_id=str(uuid.uuid4()),
        asset_name=asset_name,
        version_id=str(uuid.uuid4()),
        comment=comment,
    )
    assets[key] = asset
    file_type = item.paths[0].suffix
    data = component_data(
        component_id=str(uuid.uuid4()),
        name="main",
        file_type=file_type,
        size=item.size,
        version_id=version["id"],
    )
    if item.kind != "sequence":
        record_in_server_location(session, session.create("FileComponent", data))
        return
    padding = padding_of(item.pattern)
    container = session.create("SequenceComponent", {**data, "padding": padding})
    for frame, path in zip(item.frames, item.paths, strict=True):
        member = component_data(
            component_id=str(uuid.uuid4()),
            name=member_name(frame, padding),
            file_type=file_type,
            size=path.stat().st_size,
            container_id=container["id"],
        )
        record_in_server_location(session, session.create("FileComponent", member))
    record_in_server_location(session, container)


def _value(value) -> str | None:
    if value is ftrack_api.symbol.NOT_SET or value is None:
        return None
    if isinstance(value, ftrack_api.entity.base.Entity):
        key = ftrack_api.inspection.primary_key(value)
        return f"{value.entity_type}({', '.join(str(v) for v in key.values())})"
    if isinstance(value, ftrack_api.collection.Collection | ftrack_api.collection.MappedCollectionProxy):
        return None if not len(value) else f"[{len(value)} item(s)]"
    return repr(value)


def describe_operations(session) -> list[str]:
    """The session's recorded operations, one readable line each (creates and updates)."""
    lines = []
    for operation in session.recorded_operations:
        key = ", ".join(str(v) for v in operation.entity_key.values())
        if isinstance(operation, ftrack_api.operation.CreateEntityOperation):
            shown = {name: _value(value) for name, value in sorted(operation.entity_data.items())}
            fields = ", ".join(
                f"{name}={text}" for name, text in shown.items() if text is not None and name != "id"
            )
            lines.append(f"create {operation.entity_type}({key}): {fields}")
        elif isinstance(operation, ftrack_api.operation.UpdateEntityOperation):
            lines.append(
                f"update {operation.entity_type}({key}).{operation.attribute_name} = {_value(operation.new_value)}"
            )
        elif isinstance(operation, ftrack_api.operation.DeleteEntityOperation):
            lines.append(f"delete {operation.entity_type}({key})")
    return lines


def dry_run(user, *, context_id: str, asset_type: str, asset_name: str, comment: str, items) -> list[str]:
    """Open ``user``'s own ftrack session, record every item's publish, describe it, send nothing."""
    identity = personal_identity(user)
    session = open_session(identity.api_user, identity.secret())
    try:
        assets: dict = {}
        for item in items:
            record_publish(
                session,
                context_id=context_id,
                asset_type=asset_type,
                asset_name=asset_name,
                comment=comment,
                item=item,
                assets=assets,
            )
        return describe_operations(session)
    finally:
        session.rollback()
        session.close()
