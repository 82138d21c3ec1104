"""Running a parsed query against the store and shaping the rows the way the client expects."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from . import computed, relations
from . import entity_types as et
from .errors import ValidationError
from .query import Query
from .store import Store
from .visibility import Visibility

PAGE_MAX = 5000  # a query with no limit still answers in bounded pages; the client follows `next`


class Evaluator:
    def __init__(self, store: Store, visibility: Visibility, server_url: str = "", signer=None):
        self.store = store
        self.vis = visibility
        self.server_url = server_url
        self.signer = signer  # uploads.Signer, for the signed URLs of computed attributes

    # -- entry point -------------------------------------------------------------------------------
    def run(self, q: Query) -> tuple[list[dict], int | None]:
        if not et.exists(q.entity_type):
            raise ValidationError(f"Unknown entity type '{q.entity_type}'.")
        types = et.concrete_types(q.entity_type)
        for path in q.projections:
            self._check_path(q.entity_type, types, path)
        for path, _ in q.order_by:
            self._check_path(q.entity_type, types, path)
        self._check_expr(q.entity_type, types, q.where)
        projections = q.projections or [(p,) for p in et.default_projections(q.entity_type)]
        rows = [r for r in self.store.rows(q.entity_type) if self.vis.visible(r) and self.matches(r, q.where)]
        for path, descending in reversed(q.order_by):
            rows.sort(key=lambda r, p=path: _sort_key(self.values(r, p)), reverse=descending)
        limit = q.limit if q.limit is not None else PAGE_MAX
        page = rows[q.offset : q.offset + limit]
        more = q.offset + limit < len(rows)
        tree = _tree(projections)
        return [self.emit(r, tree) for r in page], (q.offset + limit if more else None)

    def _check_path(self, root: str, types, path) -> None:
        candidates = [root, *types]
        for part in path:
            found = None
            for t in candidates:
                if et.exists(t) and part in et.properties(t):
                    found = t
                    break
            if found is None:
                raise ValidationError(f"Unknown attribute '{part}' on type '{candidates[0]}'.")
            rel = et.relation(found, part)
            if rel is None:
                return  # a scalar ends the checkable part of the path
            candidates = [rel.target, *et.concrete_types(rel.target)]

    def _check_expr(self, root, types, node) -> None:
        kind = node[0]
        if kind in ("and", "or"):
            self._check_expr(root, types, node[1])
            self._check_expr(root, types, node[2])
        elif kind == "not":
            self._check_expr(root, types, node[1])
        elif kind in ("cmp", "has", "any"):
            self._check_path(root, types, node[1])

    # -- reading values ---------------------------------------------------------------------------
    def values(self, row: dict, path: tuple) -> list:
        """Every value reached from *row* along *path* (references give rows, scalars values)."""
        current = [row]
        for i, part in enumerate(path):
            nxt = []
            for item in current:
                if not isinstance(item, dict) or "__entity_type__" not in item:
                    continue
                type_name = item["__entity_type__"]
                props = et.properties(type_name)
                if part not in props:
                    continue
                if computed.handles(type_name, part):
                    value = computed.value(self, type_name, item, part)
                    nxt.extend(value if isinstance(value, list) else [value])
                elif et.relation(type_name, part) is not None:
                    nxt.extend(
                        r for r in relations.follow(self.store, type_name, item, part) if self.vis.visible(r)
                    )
                elif "$ref" in props[part] or props[part].get("type") in ("array", "mapped_array"):
                    continue
                else:
                    nxt.append(item.get(part))
            current = nxt
            if not current and i < len(path) - 1:
                return []
        return current

    def matches(self, row: dict, node) -> bool:
        kind = node[0]
        if kind == "true":
            return True
        if kind == "and":
            return self.matches(row, node[1]) and self.matches(row, node[2])
        if kind == "or":
            return self.matches(row, node[1]) or self.matches(row, node[2])
        if kind == "not":
            return not self.matches(row, node[1])
        if kind in ("has", "any"):
            return any(isinstance(r, dict) and self.matches(r, node[2]) for r in self.values(row, node[1]))
        _, path, op, literal = node
        found = self.values(row, path)
        if not found:
            found = [None]
        if op in ("ne", "not_in", "not_like"):
            positive = {"ne": "eq", "not_in": "in", "not_like": "like"}[op]
            return not any(_compare(v, positive, literal) for v in found)
        return any(_compare(v, op, literal) for v in found)

    # -- output -----------------------------------------------------------------------------------
    def emit(self, row: dict, tree: dict) -> dict:
        type_name = row["__entity_type__"]
        out = {"__entity_type__": type_name}
        for k in et.primary_key(type_name):
            out[k] = row.get(k)
        for k in et.system_projections(type_name):
            if k in et.properties(type_name) and k not in tree:
                out[k] = encode_value(type_name, k, row.get(k))
        props = et.properties(type_name)
        for name, sub in tree.items():
            if name not in props:
                continue  # attribute of a sibling subtype (query on a base type)
            if computed.handles(type_name, name):
                out[name] = computed.emit(self, type_name, row, name, sub)
                continue
            frag = props[name]
            rel = et.relation(type_name, name)
            if rel is None:
                if "$ref" in frag:
                    out[name] = None
                elif frag.get("type") in ("array", "mapped_array"):
                    out[name] = []
                else:
                    out[name] = encode_value(type_name, name, row.get(name))
                continue
            related = [r for r in relations.follow(self.store, type_name, row, name) if self.vis.visible(r)]
            if rel.kind == "reference":
                out[name] = self.emit(related[0], sub) if related else None
            else:
                if rel.kind == "mapped":  # key/value collections are useless without key and value
                    sub = {"key": {}, "value": {}, **sub}
                out[name] = [self.emit(r, sub) for r in related]
        return out


def encode_value(type_name: str, attribute: str, value):
    if value is not None and et.is_datetime(type_name, attribute):
        return {"__type__": "datetime", "value": value}
    return value


def _tree(paths) -> dict:
    tree: dict = {}
    for path in paths:
        node = tree
        for part in path:
            node = node.setdefault(part, {})
    return tree


def _sort_key(values: list):
    v = values[0] if values else None
    if isinstance(v, dict):
        v = v.get("id")
    # None sorts first; mixed types are ordered by type name so sorting never raises.
    return (v is not None, type(v).__name__, v if v is not None else 0)


def _as_datetime(value):
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def _coerce(value, literal):
    """Bring the literal to the stored value's type: the language has barewords and no types."""
    if literal is None or value is None:
        return literal
    if isinstance(value, dict):  # a row compared with a literal: compare its id
        return literal
    if isinstance(value, bool):
        if isinstance(literal, str):
            return literal.lower() in ("true", "1")
        return bool(literal)
    if isinstance(value, int | float):
        try:
            return float(literal)
        except (TypeError, ValueError):
            return literal
    if isinstance(value, str) and not isinstance(literal, str):
        return str(literal)
    return literal


def _compare(value, op: str, literal) -> bool:
    if isinstance(value, dict):
        value = value.get("id")
    if op == "in":
        return any(_compare(value, "eq", item) for item in literal)
    if op == "like":
        if value is None or literal is None:
            return False
        pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(literal))
        return re.fullmatch(pattern, str(value), re.IGNORECASE | re.DOTALL) is not None
    literal = _coerce(value, literal)
    if op == "eq":
        if value is None or literal is None:
            return value is None and literal is None
        if isinstance(value, int | float) and isinstance(literal, float):
            return float(value) == literal
        if value == literal:
            return True
        a, b = _as_datetime(value), _as_datetime(literal)
        return a is not None and a == b
    if value is None or literal is None:
        return False
    a, b = _as_datetime(value), _as_datetime(literal)
    if a is not None and b is not None:
        value, literal = a, b
    try:
        if op == "gt":
            return value > literal
        if op == "lt":
            return value < literal
        if op == "ge":
            return value >= literal
        if op == "le":
            return value <= literal
    except TypeError:
        return False
    raise ValidationError(f"Unsupported operator '{op}'.")
