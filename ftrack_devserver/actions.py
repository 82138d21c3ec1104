"""The ``POST /api`` operations (FTRACK-PROTOCOL §1.6).

One call is one transaction: every operation runs in order under the store lock, and the first
failure undoes the whole call, so a client sees either all of its commit or none of it. Effects
that must not happen for a failed call (``ftrack.update`` events, encode jobs) are queued on the
call and released only after the store has committed.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from . import defaults, relations
from . import entity_types as et
from .errors import ApiError, UnknownActionError, ValidationError
from .evaluate import Evaluator, encode_value
from .query import parse
from .visibility import Visibility, hidden_projects

SERVER_VERSION = "dev"


def now_iso() -> str:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0).isoformat()


class Call:
    """State of one ``/api`` call: who makes it, and what to do once it has committed."""

    def __init__(self, app, username: str):
        self.app = app
        self.store = app.store
        self.username = username
        users = self.store.lookup("User", "username", username)
        self.user_id = users[0]["id"] if users else None
        self.visibility = Visibility(self.store, hidden_projects(self.store, username))
        self.changes: list[dict] = []  # ftrack.update entries
        self.after_commit: list = []
        self.after_rollback: list = []  # undo effects outside the store (a reserved upload)
        self.created_notes: list[dict] = []

    def evaluator(self) -> Evaluator:
        return Evaluator(self.store, self.visibility, self.app.server_url, self.app.signer)


def execute(app, username: str, operations: list) -> list:
    if not isinstance(operations, list):
        raise ValidationError("The request body must be a JSON list of operations.")
    with app.store.transaction():
        call = Call(app, username)  # reads the store, so only under its lock
        results = []
        try:
            for op in operations:
                if not isinstance(op, dict):
                    raise ValidationError("Each operation must be a JSON object.")
                results.append(_dispatch(call, op))
            defaults.finish_notes(call)
        except BaseException:
            for undo in call.after_rollback:
                undo()
            raise
    if call.changes:
        app.publish_update(call.changes, username)
    for effect in call.after_commit:
        effect()
    return results


def _dispatch(call: Call, op: dict):
    action = op.get("action")
    handler = _ACTIONS.get(action)
    if handler is None:
        raise UnknownActionError(f"Invalid action u'{action}'")
    return handler(call, op)


# -- schema and server information -----------------------------------------------------------------
def _server_information(call: Call, op: dict) -> dict:
    return {
        "version": SERVER_VERSION,
        "schema_hash": et.SCHEMA_HASH,
        "storage_scenario": {"scenario": "ftrack.automatic", "data": {}},
        "is_timezone_support_enabled": True,
    }


def _schemas(call: Call, op: dict) -> list:
    return et.SCHEMAS


# -- query ---------------------------------------------------------------------------------------
def _query(call: Call, op: dict) -> dict:
    q = parse(op.get("expression", ""))
    data, next_offset = call.evaluator().run(q)
    return {"action": "query", "data": data, "metadata": {"next": {"offset": next_offset}}}


def run_query(app, expression: str, username: str) -> list[dict]:
    """Every row of *expression* (all pages) as the API would return them, for ``review.handle``."""
    q = parse(expression)
    out = []
    with app.store.lock:
        call = Call(app, username)
        while True:
            data, next_offset = call.evaluator().run(q)
            out.extend(data)
            if next_offset is None or (q.limit is not None and len(out) >= q.limit):
                return out
            q.offset = next_offset


# -- create / update / delete --------------------------------------------------------------------
def _decode(type_name: str, attribute: str, value):
    if isinstance(value, dict) and value.get("__type__") in ("datetime", "date"):
        value = value.get("value")
    if value is None:
        return None
    kind = et.scalar_type(type_name, attribute)
    if et.is_datetime(type_name, attribute):
        try:
            dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"'{attribute}' of '{type_name}' needs a date and time.")
        if dt.tzinfo is not None:  # stored as naive UTC, as real servers send them back
            dt = dt.astimezone(UTC).replace(tzinfo=None)
        return dt.isoformat()
    ok = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
    }.get(kind)
    if ok is not None and not ok(value):
        raise ValidationError(f"Invalid value for '{attribute}' of '{type_name}': expected {kind}.")
    return value


def _apply(call: Call, type_name: str, row: dict, data: dict, *, creating: bool) -> tuple[dict, list]:
    """Split *data* into row changes and collection updates, validating every attribute."""
    changes, collections = {}, []
    pk = et.primary_key(type_name)
    for name, value in data.items():
        if name.startswith("__"):
            continue
        try:
            kind = et.attribute_kind(type_name, name)
        except et.UnknownAttribute as error:
            raise ValidationError(str(error))
        if name in et.computed(type_name):
            continue
        if kind in ("scalar", "datetime"):
            value = _decode(type_name, name, value)
            if not creating and name in pk and value != row.get(name):
                raise ValidationError(f"'{name}' of '{type_name}' cannot be changed.")
            changes[name] = value
        elif kind == "reference":
            rel = et.relation(type_name, name)
            if rel is None:
                continue
            if value is None:
                changes[rel.local] = None
                continue
            if not isinstance(value, dict):
                raise ValidationError(f"'{name}' of '{type_name}' must be an entity reference.")
            ref_type = value.get("__entity_type__") or rel.target
            target_key = value.get(rel.remote)
            if not et.exists(ref_type) or call.store.get(ref_type, (target_key,)) is None:
                raise ValidationError(f"'{name}' of '{type_name}' refers to a missing {ref_type}.")
            changes[rel.local] = target_key
        else:
            if not isinstance(value, list):
                raise ValidationError(f"'{name}' of '{type_name}' must be a list of references.")
            if et.relation(type_name, name) is not None:
                collections.append((name, value))
    return changes, collections


def _find(call: Call, type_name: str, key) -> dict:
    if not isinstance(key, list) or len(key) != len(et.primary_key(type_name)):
        raise ValidationError(
            f"entity_key of '{type_name}' must list {', '.join(et.primary_key(type_name))}."
        )
    row = call.store.get(type_name, tuple(key))
    if row is None or not call.visibility.visible(row):
        raise ValidationError(f"No '{type_name}' with key {', '.join(map(str, key))}.")
    return row


def _entity_type(op: dict) -> str:
    type_name = op.get("entity_type")
    if not isinstance(type_name, str) or not et.exists(type_name):
        raise ValidationError(f"Unknown entity type '{type_name}'.")
    return type_name


def echo(type_name: str, row: dict) -> dict:
    out = {"__entity_type__": row["__entity_type__"]}
    for name in et.primary_key(type_name):
        out[name] = row.get(name)
    for name in et.stored_attributes(row["__entity_type__"]):
        if name in row:
            out[name] = encode_value(type_name, name, row[name])
    return out


def _create(call: Call, op: dict) -> dict:
    type_name = _entity_type(op)
    if type_name != et.concrete_types(type_name)[0] or len(et.concrete_types(type_name)) > 1:
        raise ValidationError(
            f"'{type_name}' is abstract; create one of {', '.join(et.concrete_types(type_name))}."
        )
    data = op.get("entity_data") or {}
    if not isinstance(data, dict):
        raise ValidationError("entity_data must be an object.")
    changes, collections = _apply(call, type_name, {}, data, creating=True)
    key = op.get("entity_key")
    if isinstance(key, list):
        for name, value in zip(et.primary_key(type_name), key, strict=False):
            changes.setdefault(name, value)
    row = defaults.for_create(call, type_name, changes)
    for name in et.primary_key(type_name):
        if row.get(name) in (None, ""):
            raise ValidationError(f"'{name}' is required to create '{type_name}'.")
    if call.store.get(type_name, call.store.key_of(type_name, row)) is not None:
        raise ValidationError(f"A '{type_name}' with this key already exists.")
    row = call.store.insert(type_name, row)
    for name, refs in collections:
        relations.link_collection(call.store, type_name, row, name, refs)
    defaults.after_create(call, type_name, row)
    call.changes.append(_change("add", type_name, row, {k: (None, v) for k, v in changes.items()}))
    return {"action": "create", "data": echo(type_name, row)}


def _update(call: Call, op: dict) -> dict:
    type_name = _entity_type(op)
    row = _find(call, type_name, op.get("entity_key"))
    data = op.get("entity_data") or {}
    changes, collections = _apply(call, row["__entity_type__"], row, data, creating=False)
    diff = {k: (row.get(k), v) for k, v in changes.items() if row.get(k) != v}
    if changes:
        call.store.update(row, changes)
    for name, refs in collections:
        relations.link_collection(call.store, row["__entity_type__"], row, name, refs)
    if diff or collections:
        call.changes.append(_change("update", type_name, row, diff))
    return {"action": "update", "data": echo(type_name, row)}


def _delete(call: Call, op: dict) -> dict:
    type_name = _entity_type(op)
    row = _find(call, type_name, op.get("entity_key"))
    call.store.delete(row)
    call.changes.append(_change("remove", type_name, row, {}))
    return {"action": "delete", "data": True}


def _change(action: str, type_name: str, row: dict, diff: dict) -> dict:
    concrete = row["__entity_type__"]
    key = [row.get(k) for k in et.primary_key(concrete)]
    return {
        "entityId": key[0] if len(key) == 1 else key,
        "entityType": concrete.lower(),
        "action": action,
        "changes": {k: {"old": old, "new": new} for k, (old, new) in diff.items()},
        "keys": list(diff),
        "parents": [],
    }


# -- files, jobs and the rest ---------------------------------------------------------------------
def _upload_metadata(call: Call, op: dict) -> dict:
    return call.app.files.upload_metadata(call.app.server_url, op)


def _complete_multipart(call: Call, op: dict) -> dict:
    result, finish, cancel = call.app.files.complete_multipart(call.app.server_url, op)
    # The file appears only if the whole call commits; otherwise the upload stays open for a retry.
    call.after_commit.append(finish)
    call.after_rollback.append(cancel)
    return result


def _encode_media(call: Call, op: dict) -> dict:
    from .encoding import start_encode_job

    return start_encode_job(call, op)


def _widget_url(call: Call, op: dict) -> dict:
    return {"widget_url": f"{call.app.server_url}/widget/{op.get('name') or 'info'}"}


def _invite(call: Call, op: dict) -> dict:
    return {"sent": True}


def _reset_remote(call: Call, op: dict) -> dict:
    if op.get("reset_type") != "api_key" or op.get("entity_type") != "User":
        raise ValidationError("Only reset_type api_key of a User is supported.")
    key = op.get("entity_key")
    # ftrack_api's Session.reset_remote sends the bare id (entity.get("id")), not a key list.
    row = _find(call, "User", key if isinstance(key, list) else [key])
    if row.get("id") != call.user_id:
        raise ValidationError("You may only reset your own API key.")
    new_key = str(uuid.uuid4())
    call.after_commit.append(lambda: call.app.store.set_api_key(row["username"], new_key))
    return {"data": {"api_key": new_key}}


_ACTIONS = {
    "query_server_information": _server_information,
    "query_schemas": _schemas,
    "query": _query,
    "create": _create,
    "update": _update,
    "delete": _delete,
    "get_upload_metadata": _upload_metadata,
    "complete_multipart_upload": _complete_multipart,
    "encode_media": _encode_media,
    "get_widget_url": _widget_url,
    "send_user_invite": _invite,
    "send_review_session_invite": _invite,
    "reset_remote": _reset_remote,
}


def error_body(error: Exception) -> dict:
    if isinstance(error, ApiError):
        return {"exception": error.exception, "content": error.content, "error_code": None}
    return {"exception": "ServerError", "content": "Internal server error.", "error_code": None}


def dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
