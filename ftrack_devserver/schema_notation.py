"""The compact notation the dev server's entity types are declared in, and its expansion.

Each entity type is one ``T(id, spec, ...)`` entry. ``spec`` is a whitespace-separated list of
property tokens (shell-style quoting allowed, for defaults containing spaces)::

    name[:kind][target][@relation][flags][=default]

kind      scalar kind; omitted means ``string``. ``int`` integer, ``num`` number, ``bool`` boolean,
          ``var`` variable, ``obj`` object, ``dt`` date-time string, ``fk`` foreign-key string,
          ``json`` JSON string, ``fkonly`` a bare ``format: foreign_key`` (no ``type``; the real
          server sends a few of those and the client skips them).
target    ``>Type`` reference, ``[Type]`` collection (array), ``{Type}`` mapped collection.
          A reference may carry a kind too (``dashboard_id:fk>Dashboard``): then it is a scalar
          for the client, as on the real server.
@relation how the server resolves the reference/collection (see ``schema.Relation``):
          on a reference, the local attribute holding the foreign key (``asset>Asset@asset_id``);
          on a collection, the attribute of the target rows pointing back
          (``components[Component]@version_id``), optionally with one filter
          (``assignments[Appointment]@context_id&type=assignment``); for a many-to-many through a
          storage-only link table, ``@Table(owner_column,target_column)``.
          Without ``@`` the server does not resolve the attribute (null / empty list).
flags     ``!`` required, ``^`` immutable, ``~`` computed, ``-`` restricted projection (the
          client drops it).
=default  the creation default. Parsed by kind: JSON for int/num/bool, the raw text otherwise
          (so ``name=`` is the empty string and ``id={uid}`` the client-side uuid marker).
          Flags come before the default: ``status!=queued`` is "required, default queued".

``base=`` copies another declared type's properties, keys, projections and system projections;
the entry's own tokens then add or replace properties by name. The expansion is always flat
(the client does not understand mixins).

Left out on purpose (the 3.1.0 client ignores them): descriptions, ``alias_for`` (server-side
table names), ``enum``, ``transform``, ``key_value_attributes``. ``system_projections`` name our
own attributes (the real server lists its internal column aliases there).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass

_KINDS: dict[str, dict] = {
    "": {"type": "string"},
    "int": {"type": "integer"},
    "num": {"type": "number"},
    "bool": {"type": "boolean"},
    "var": {"type": "variable"},
    "obj": {"type": "object"},
    "dt": {"type": "string", "format": "date-time"},
    "fk": {"type": "string", "format": "foreign_key"},
    "json": {"type": "string", "format": "json"},
    "fkonly": {"format": "foreign_key"},
}
_JSON_DEFAULT_KINDS = {"int", "num", "bool"}

_TOKEN = re.compile(
    r"""^(?P<name>\w+)
    (?::(?P<kind>\w+))?
    (?:>(?P<ref>\w+)|\[(?P<array>\w+)\]|\{(?P<mapped>\w+)\})?
    (?:@(?P<via>\w+)
        (?:\((?P<link_owner>\w+),(?P<link_target>\w+)\))?
        (?:&(?P<filter_attr>\w+)=(?P<filter_value>[\w.-]+))?
    )?
    (?P<flags>[!^~-]*)
    (?:=(?P<default>.*))?$""",
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class T:
    """One declared entity type (see the module docstring for the notation)."""

    id: str
    spec: str
    base: str | None = None
    pk: str | None = None  # space-separated; default "id" (or the base's)
    dp: str | None = None  # default projections; default the primary key (or the base's)
    sys: str | None = None  # system projections: attributes added to every returned entity


@dataclass(frozen=True)
class PropertyDecl:
    """A parsed token: the client-facing fragment plus flags and relation wiring."""

    name: str
    fragment: dict
    required: bool
    immutable: bool
    computed: bool
    via: str | None = None
    link: tuple[str, str] | None = None
    filter: tuple[str, str] | None = None


def parse_token(token: str) -> PropertyDecl:
    match = _TOKEN.match(token)
    if not match:
        raise ValueError(f"bad property token {token!r}")
    g = match.groupdict()
    kind = g["kind"] or ""
    if kind not in _KINDS:
        raise ValueError(f"unknown kind {kind!r} in {token!r}")
    fragment: dict = {}
    if g["array"] or g["mapped"]:
        if kind:
            raise ValueError(f"a collection takes no kind: {token!r}")
        fragment["type"] = "array" if g["array"] else "mapped_array"
        fragment["items"] = {"$ref": g["array"] or g["mapped"]}
    elif g["ref"]:
        if kind:
            fragment.update(_KINDS[kind])
        fragment["$ref"] = g["ref"]
    else:
        fragment.update(_KINDS[kind])
    flags = g["flags"]
    if "-" in flags:
        fragment["restricted_projection"] = True
    if g["default"] is not None:
        raw = g["default"]
        fragment["default"] = json.loads(raw) if kind in _JSON_DEFAULT_KINDS else raw
    link = (g["link_owner"], g["link_target"]) if g["link_owner"] else None
    filt = (g["filter_attr"], g["filter_value"]) if g["filter_attr"] else None
    return PropertyDecl(
        name=g["name"],
        fragment=fragment,
        required="!" in flags,
        immutable="^" in flags,
        computed="~" in flags,
        via=g["via"],
        link=link,
        filter=filt,
    )


@dataclass
class Expanded:
    """A declared type after inheritance: ordered properties and type-level lists."""

    id: str
    properties: dict[str, PropertyDecl]
    primary_key: list[str]
    default_projections: list[str]
    system_projections: list[str]


def expand(declarations: list[T]) -> dict[str, Expanded]:
    """Resolve ``base=`` inheritance and parse every token; order follows the declarations."""
    result: dict[str, Expanded] = {}
    for decl in declarations:
        if decl.id in result:
            raise ValueError(f"{decl.id} declared twice")
        if decl.base is not None:
            if decl.base not in result:
                raise ValueError(f"{decl.id}: base {decl.base} must be declared first")
            parent = result[decl.base]
            properties = dict(parent.properties)
            pk, dp, sys = parent.primary_key, parent.default_projections, parent.system_projections
        else:
            properties, pk, dp, sys = {}, ["id"], None, []
        for token in shlex.split(decl.spec):
            prop = parse_token(token)
            properties[prop.name] = prop
        pk = decl.pk.split() if decl.pk is not None else pk
        if decl.dp is not None:
            dp = decl.dp.split()
        elif dp is None:
            dp = list(pk)
        sys = decl.sys.split() if decl.sys is not None else sys
        result[decl.id] = Expanded(decl.id, properties, list(pk), list(dp), list(sys))
    return result


def to_schema(entry: Expanded) -> dict:
    """The flat JSON schema the server sends in ``query_schemas`` for one type."""
    props = entry.properties
    schema = {
        "id": entry.id,
        "type": "object",
        "primary_key": list(entry.primary_key),
        "default_projections": list(entry.default_projections),
        "properties": {name: dict(p.fragment) for name, p in props.items()},
        "required": [name for name, p in props.items() if p.required],
        "immutable": [name for name, p in props.items() if p.immutable],
    }
    computed = [name for name, p in props.items() if p.computed]
    if computed:
        schema["computed"] = computed
    if entry.system_projections:
        schema["system_projections"] = list(entry.system_projections)
    return schema
