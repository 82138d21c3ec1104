"""``manage.py publish --dry-run``: the ftrack operations a publish would commit, sent nowhere.

The publisher's stages commit as they go (and record ids on the job row), so they cannot run
half-way. Instead this builds the same entities the VERSION and UPLOAD stages create (Asset unless
one with that name and type exists, AssetVersion, the FileComponent or SequenceComponent with its
frames, their ComponentLocation in ftrack.server) with ``session.create`` on the user's real ftrack
session. ``create`` only records an operation locally; the list printed is the session's own
``recorded_operations``, then ``rollback()`` drops them. Only reads (queries) reach the server.
"""

from __future__ import annotations

import uuid

import ftrack_api.operation
import ftrack_api.symbol

from publishing.ftrack.lookups import SERVER_LOCATION_ID, q
from publishing.ftrack.sessions import open_session, personal_identity
from publishing.pipeline.publisher import _pending_review_status


def _pending_review(session, project_id: str):
    # The publisher's own choice of status.
    return _pending_review_status(session, project_id)


def record_publish(
    session, *, context_id: str, asset_type: str, asset_name: str, comment: str, item, assets: dict
) -> None:
    """Record (not commit) the creations of one item's version and components on ``session``.

    ``assets`` remembers Assets recorded for earlier items: uncommitted, no query finds them.
    """
    context = session.query(
        f'select id, name, parent_id, project_id from TypedContext where id is "{q(context_id)}"'
    ).one()
    type_entity = session.query(f'select id, name from AssetType where name is "{q(asset_type)}"').one()
    task = context if context.entity_type == "Task" else None
    parent = context["parent"] if task is not None else context
    asset = (
        assets.get((asset_name, type_entity["id"], parent["id"]))
        or session.query(
            f'select id, name from Asset where name is "{q(asset_name)}" and type_id is "{type_entity["id"]}" '
            f'and context_id is "{parent["id"]}"'
        ).first()
    )
    if asset is None:
        asset = session.create(
            "Asset", {"id": str(uuid.uuid4()), "name": asset_name, "type": type_entity, "parent": parent}
        )
    assets[(asset_name, type_entity["id"], parent["id"])] = asset
    data = {"id": str(uuid.uuid4()), "asset": asset, "comment": comment}
    if task is not None:
        data["task"] = task
    status = _pending_review(session, context["project_id"])
    if status is not None:
        data["status"] = status
    version = session.create("AssetVersion", data)
    location = session.get("Location", SERVER_LOCATION_ID)
    file_type = item.paths[0].suffix
    if item.kind == "sequence":
        width = int(item.pattern.split("%0", 1)[1].split("d", 1)[0]) if "%0" in item.pattern else 0
        container = session.create(
            "SequenceComponent",
            {
                "id": str(uuid.uuid4()),
                "name": "main",
                "file_type": file_type,
                "size": item.size,
                "padding": width,
                "version": version,
            },
        )
        for frame, path in zip(item.frames, item.paths, strict=True):
            member = session.create(
                "FileComponent",
                {
                    "id": str(uuid.uuid4()),
                    "name": f"{frame:0{width}d}" if width else str(frame),
                    "file_type": file_type,
                    "size": path.stat().st_size,
                    "container": container,
                },
            )
            _locate(session, member, location)
        _locate(session, container, location)
    else:
        component = session.create(
            "FileComponent",
            {
                "id": str(uuid.uuid4()),
                "name": "main",
                "file_type": file_type,
                "size": item.size,
                "version": version,
            },
        )
        _locate(session, component, location)


def _locate(session, component, location) -> None:
    session.create(
        "ComponentLocation",
        {"component": component, "location": location, "resource_identifier": component["id"]},
    )


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
