"""What the rest of the server needs to know about entity types, read from the schema module."""

from __future__ import annotations

import functools

from . import schema

SCHEMAS = schema.SCHEMAS
SCHEMA_BY_ID = schema.SCHEMA_BY_ID
SCHEMA_HASH = schema.SCHEMA_HASH
RELATIONS = schema.RELATIONS

SCALAR_TYPES = {"string", "integer", "number", "boolean", "variable", "object"}

# Storage-only link tables of many-to-many relations (no schema type): name -> key columns.
LINK_TABLES: dict[str, tuple[str, str]] = {}
for _rels in RELATIONS.values():
    for _rel in _rels.values():
        _through = (_rel.extra or {}).get("through")
        if _through:
            LINK_TABLES[_through[0]] = tuple(sorted(_through[1:]))


class UnknownType(Exception):
    pass


class UnknownAttribute(Exception):
    pass


def exists(type_name: str) -> bool:
    return type_name in SCHEMA_BY_ID


def require(type_name: str) -> dict:
    try:
        return SCHEMA_BY_ID[type_name]
    except KeyError:
        raise UnknownType(f"Unknown entity type '{type_name}'.")


@functools.cache
def concrete_types(type_name: str) -> tuple[str, ...]:
    """Types whose rows answer a query on *type_name* (itself, or its subtypes for a base type)."""
    subs = schema.SUBTYPES.get(type_name)
    if not subs:
        return (type_name,)
    return tuple(dict.fromkeys(subs))


def table_of(type_name: str) -> str:
    """Rows of related types (all contexts, all components) share one id space and one table."""
    return schema.STORAGE_TABLE.get(type_name, type_name)


@functools.cache
def primary_key(type_name: str) -> tuple[str, ...]:
    if type_name in LINK_TABLES:
        return LINK_TABLES[type_name]
    return tuple(schema.primary_key(type_name))


def properties(type_name: str) -> dict:
    if type_name in LINK_TABLES:
        return {column: {"type": "string"} for column in LINK_TABLES[type_name]}
    return require(type_name)["properties"]


def relation(type_name: str, attribute: str):
    return RELATIONS.get(type_name, {}).get(attribute)


def attribute_kind(type_name: str, attribute: str) -> str:
    """'scalar', 'datetime', 'reference', 'collection', 'mapped', or raise UnknownAttribute."""
    frag = properties(type_name).get(attribute)
    if frag is None:
        raise UnknownAttribute(f"Unknown attribute '{attribute}' on type '{type_name}'.")
    rel = relation(type_name, attribute)
    if rel is not None:
        return rel.kind
    if frag.get("type") == "string" and frag.get("format") == "date-time":
        return "datetime"
    if frag.get("type") in SCALAR_TYPES:
        return "scalar"
    # A $ref or array the schema gives no storage for: answered as empty.
    if "$ref" in frag:
        return "reference"
    return "collection"


def is_datetime(type_name: str, attribute: str) -> bool:
    frag = properties(type_name).get(attribute) or {}
    return frag.get("format") == "date-time"


def scalar_type(type_name: str, attribute: str) -> str | None:
    return (properties(type_name).get(attribute) or {}).get("type")


@functools.cache
def stored_attributes(type_name: str) -> tuple[str, ...]:
    """Scalar attributes kept on the row (what create/update results echo)."""
    out = []
    for name, frag in properties(type_name).items():
        if relation(type_name, name) is None and frag.get("type") in SCALAR_TYPES:
            out.append(name)
    return tuple(out)


def computed(type_name: str) -> set[str]:
    return set(require(type_name).get("computed", ()))


def default_projections(type_name: str) -> list[str]:
    return list(require(type_name).get("default_projections") or primary_key(type_name))


def system_projections(type_name: str) -> list[str]:
    return list(require(type_name).get("system_projections", ()))


@functools.cache
def family(type_name: str) -> frozenset[str]:
    """Concrete types a row may have to count as a *type_name* (a reference to it may hold)."""
    return frozenset(concrete_types(type_name))
