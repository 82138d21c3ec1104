"""Entity storage: every row in memory for fast queries, every change written through to SQLite.

Rows live in one dict per storage table (types that share an id space, like all contexts or all
components, share a table). A row is a dict of its stored scalar attributes plus
``__entity_type__`` (the concrete type) and ``__seq__`` (creation order, the stable default order).

One re-entrant lock guards the whole store: queries are short, and holding it across a whole
``/api`` call is what makes a call one transaction. File transfers never take it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from . import entity_types as et

_MISSING = object()


class Store:
    def __init__(self, data_dir: str):
        os.makedirs(data_dir, exist_ok=True)
        self.lock = threading.RLock()
        self.db = sqlite3.connect(
            os.path.join(data_dir, "ftrack.sqlite3"), check_same_thread=False, isolation_level=None
        )
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS entities (tbl TEXT NOT NULL, pk TEXT NOT NULL, seq INTEGER NOT NULL,"
            " data TEXT NOT NULL, PRIMARY KEY (tbl, pk))"
        )
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS api_keys (username TEXT PRIMARY KEY, api_key TEXT NOT NULL)"
        )
        self.db.execute("CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self.tables: dict[str, dict[tuple, dict]] = {}
        self.api_keys: dict[str, str] = dict(self.db.execute("SELECT username, api_key FROM api_keys"))
        self._seq = 0
        self._indexes: dict[tuple[str, str], dict] = {}
        self._undo: list | None = None
        self._changed: set | None = None
        for tbl, _pk, seq, data in self.db.execute("SELECT tbl, pk, seq, data FROM entities ORDER BY seq"):
            row = json.loads(data)
            row["__seq__"] = seq
            self.tables.setdefault(tbl, {})[self.key_of(row["__entity_type__"], row)] = row
            self._seq = max(self._seq, seq)

    # -- settings (server secret) ---------------------------------------------------------------
    def setting(self, name: str, factory) -> str:
        with self.lock:
            found = self.db.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
            if found:
                return found[0]
            value = factory()
            self.db.execute("INSERT INTO settings (name, value) VALUES (?, ?)", (name, value))
            return value

    def set_api_key(self, username: str, api_key: str) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO api_keys (username, api_key) VALUES (?, ?)"
                " ON CONFLICT(username) DO UPDATE SET api_key = excluded.api_key",
                (username, api_key),
            )
            self.api_keys[username] = api_key

    # -- reads ----------------------------------------------------------------------------------
    @staticmethod
    def key_of(type_name: str, values: dict) -> tuple:
        return tuple(str(values.get(k)) for k in et.primary_key(type_name))

    def rows(self, type_name: str) -> Iterator[dict]:
        """Rows answering a query on *type_name*, in creation order."""
        wanted = set(et.concrete_types(type_name))
        tables = dict.fromkeys(et.table_of(t) for t in wanted)
        if len(tables) == 1:
            for row in self.tables.get(next(iter(tables)), {}).values():
                if row["__entity_type__"] in wanted:
                    yield row
            return
        merged = [
            r for tbl in tables for r in self.tables.get(tbl, {}).values() if r["__entity_type__"] in wanted
        ]
        merged.sort(key=lambda r: r["__seq__"])
        yield from merged

    def get(self, type_name: str, key: tuple) -> dict | None:
        row = self.tables.get(et.table_of(type_name), {}).get(tuple(str(k) for k in key))
        if row is None or row["__entity_type__"] not in et.family(type_name):
            return None
        return row

    def lookup(self, type_name: str, column: str, value) -> list[dict]:
        """Rows of *type_name*'s table whose *column* equals *value* (index built on first use)."""
        if value is None:
            return []
        tbl = et.table_of(type_name)
        index = self._indexes.get((tbl, column))
        if index is None:
            index = {}
            for row in self.tables.get(tbl, {}).values():
                v = row.get(column)
                if v is not None:
                    index.setdefault(v, []).append(row)
            self._indexes[(tbl, column)] = index
        family = et.family(type_name)
        return [r for r in index.get(value, ()) if r["__entity_type__"] in family]

    # -- writes (only inside transaction()) -----------------------------------------------------
    @contextmanager
    def transaction(self):
        """All-or-nothing: an exception restores every row touched and writes nothing to disk."""
        with self.lock:
            if self._undo is not None:  # nested: the outer transaction owns the outcome
                yield self
                return
            self._undo, self._changed = [], set()
            try:
                yield self
            except BaseException:
                for tbl, key, old in reversed(self._undo):
                    if old is _MISSING:
                        self.tables[tbl].pop(key, None)
                    else:
                        self.tables[tbl][key] = old
                self._indexes.clear()
                raise
            else:
                self._persist(self._changed)
            finally:
                self._undo = self._changed = None

    def _touch(self, tbl: str, key: tuple) -> None:
        old = self.tables.setdefault(tbl, {}).get(key, _MISSING)
        self._undo.append((tbl, key, dict(old) if old is not _MISSING else _MISSING))
        self._changed.add((tbl, key))
        self._indexes.clear()

    def insert(self, type_name: str, row: dict) -> dict:
        assert self._undo is not None, "writes happen inside transaction()"
        tbl = et.table_of(type_name)
        key = self.key_of(type_name, row)
        self._touch(tbl, key)
        self._seq += 1
        row = dict(row, __entity_type__=type_name, __seq__=self._seq)
        self.tables[tbl][key] = row
        return row

    def update(self, row: dict, changes: dict) -> None:
        assert self._undo is not None, "writes happen inside transaction()"
        type_name = row["__entity_type__"]
        tbl, key = et.table_of(type_name), self.key_of(type_name, row)
        self._touch(tbl, key)  # keeps a copy for undo, so the row may change in place
        row.update(changes)

    def delete(self, row: dict) -> None:
        assert self._undo is not None, "writes happen inside transaction()"
        type_name = row["__entity_type__"]
        tbl, key = et.table_of(type_name), self.key_of(type_name, row)
        self._touch(tbl, key)
        self.tables[tbl].pop(key, None)

    def _persist(self, changed: set) -> None:
        if not changed:
            return
        cur = self.db.cursor()
        cur.execute("BEGIN")
        try:
            for tbl, key in changed:
                row = self.tables.get(tbl, {}).get(key)
                pk = json.dumps(list(key))
                if row is None:
                    cur.execute("DELETE FROM entities WHERE tbl = ? AND pk = ?", (tbl, pk))
                else:
                    data = {k: v for k, v in row.items() if k != "__seq__"}
                    cur.execute(
                        "INSERT OR REPLACE INTO entities (tbl, pk, seq, data) VALUES (?, ?, ?, ?)",
                        (tbl, pk, row["__seq__"], json.dumps(data)),
                    )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self.lock:
            self.db.close()
