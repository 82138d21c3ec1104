"""The entity schema the dev server serves (``query_schemas``) and how its types map onto storage.

The types are declared in ``schema_core`` / ``schema_extra`` in the notation of
``schema_notation`` and expanded here, at import, into the flat dicts a real ftrack server
returns. Everything the store and the query engine need to know about types comes from here:

- ``SCHEMAS`` / ``SCHEMA_BY_ID`` / ``SCHEMA_HASH``: what ``query_schemas`` and
  ``query_server_information`` answer;
- ``SUBTYPES``: which concrete types' rows a query on a type returns (``Context`` → projects,
  sequences, shots, tasks);
- ``STORAGE_TABLE``: which id space a concrete type's rows live in (all contexts share one, so a
  ``parent`` reference to ``Context`` finds a ``Shot``);
- ``RELATIONS``: how each reference and collection is resolved between rows;
- ``HIDDEN_COLUMNS``: foreign keys the server keeps on rows but the schema does not expose.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ftrack_devserver.schema_core import CORE_TYPES
from ftrack_devserver.schema_extra import EXTRA_TYPES
from ftrack_devserver.schema_notation import Expanded, expand, to_schema

_EXPANDED: dict[str, Expanded] = expand(CORE_TYPES + EXTRA_TYPES)

SCHEMAS: list[dict] = [to_schema(entry) for entry in _EXPANDED.values()]
SCHEMA_BY_ID: dict[str, dict] = {schema["id"]: schema for schema in SCHEMAS}
# The client compares this with the digest of its cached schema list, computed the same way; a
# content-derived hash also keeps the client's shared cache file from mixing up servers.
SCHEMA_HASH: str = hashlib.md5(json.dumps(SCHEMAS, sort_keys=True).encode()).hexdigest()

_CONTEXTS = ["Project", "Sequence", "Shot", "Task"]
_COMPONENTS = ["FileComponent", "SequenceComponent", "ContainerComponent"]
_CUSTOM_ATTRIBUTE_VALUES = [
    t for t in SCHEMA_BY_ID if t.endswith("CustomAttributeValue") and t != "CustomAttributeValue"
]

# Base types never stored themselves: a query on one returns rows of these concrete types.
_ABSTRACT: dict[str, list[str]] = {
    "Context": _CONTEXTS,
    "TypedContext": ["Sequence", "Shot", "Task"],
    "Component": _COMPONENTS,
    "Resource": ["User", "Group"],
    "List": ["AssetVersionList", "TypedContextList"],
    "CustomAttributeValue": _CUSTOM_ATTRIBUTE_VALUES,
}
SUBTYPES: dict[str, list[str]] = {
    type_id: list(_ABSTRACT.get(type_id, [type_id])) for type_id in SCHEMA_BY_ID
}

_SHARED_TABLES = {
    "Context": _CONTEXTS,
    "Component": _COMPONENTS,
    "Resource": ["User", "Group"],
    "List": ["AssetVersionList", "TypedContextList"],
    "CustomAttributeValue": _CUSTOM_ATTRIBUTE_VALUES,
}
STORAGE_TABLE: dict[str, str] = {type_id: type_id for type_id in SCHEMA_BY_ID if type_id not in _ABSTRACT}
for _table, _members in _SHARED_TABLES.items():
    STORAGE_TABLE.update(dict.fromkeys(_members, _table))

# Foreign keys with no schema property: the real server keeps Status → State in a column the
# API does not expose, yet ``Status.state`` must resolve. Seeds set these on rows directly.
HIDDEN_COLUMNS: dict[str, tuple[str, ...]] = {"Status": ("state_id",)}

# Collections whose members record which type their parent is, as a schema id in ``parent_type``
# (Note and Metadata hang off many types through one ``parent_id``).
_POLYMORPHIC_CHILDREN = {"Note", "Metadata"}


@dataclass(frozen=True)
class Relation:
    """How one reference or collection attribute is resolved between rows.

    kind "reference": the row's ``local`` attribute holds the target's ``remote`` (always "id").
    kind "collection" / "mapped": target rows whose ``remote`` attribute equals the row's
    ``local`` (always "id"). ``extra`` refines that:
      ``through``: (link table, column pointing at the owner, column pointing at the target) for a
        many-to-many kept in a storage-only link table; ``remote`` is then the target's "id";
      ``parent_type``: True when the members also carry the owner's schema id in
        ``parent_type`` (Note, Metadata) — set it when linking them;
      ``where``: {attribute: value} the members must also match.
    """

    kind: Literal["reference", "collection", "mapped"]
    target: str
    local: str
    remote: str
    extra: Mapping = field(default_factory=dict, hash=False)


def _relation(prop) -> Relation | None:
    frag = prop.fragment
    if prop.via is None:
        return None
    if "$ref" in frag:
        return Relation("reference", frag["$ref"], prop.via, "id")
    target = frag["items"]["$ref"]
    kind = "mapped" if frag["type"] == "mapped_array" else "collection"
    extra: dict = {}
    if prop.link is not None:
        extra["through"] = (prop.via, prop.link[0], prop.link[1])
        return Relation(kind, target, "id", "id", extra)
    if target in _POLYMORPHIC_CHILDREN and prop.via == "parent_id":
        extra["parent_type"] = True
    if prop.filter is not None:
        extra["where"] = {prop.filter[0]: prop.filter[1]}
    return Relation(kind, target, "id", prop.via, extra)


RELATIONS: dict[str, dict[str, Relation]] = {}
for _type_id, _entry in _EXPANDED.items():
    _rels = {name: rel for name, prop in _entry.properties.items() if (rel := _relation(prop))}
    RELATIONS[_type_id] = _rels


def primary_key(type_id: str) -> list[str]:
    return list(SCHEMA_BY_ID[type_id]["primary_key"])


def scalar_attributes(type_id: str) -> list[str]:
    """Properties stored as plain values on the row: neither a reference nor a collection.

    A foreign-key string that also names a ``$ref`` (``DashboardResource.dashboard_id``) is a
    scalar here, as it is for the client.
    """
    out = []
    for name, frag in SCHEMA_BY_ID[type_id]["properties"].items():
        if frag.get("type") in ("array", "mapped_array"):
            continue
        if "$ref" in frag and "type" not in frag:
            continue
        out.append(name)
    return out
