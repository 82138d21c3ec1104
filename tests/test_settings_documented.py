"""Every environment variable portal/settings.py reads is documented in docs/settings.md (with the same
default) and listed in .env.example, and the documentation names no variable the code does not read.

Settings and their defaults live only in portal/settings.py; this keeps the table beside them true.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SETTINGS = REPO / "portal" / "settings.py"
DOC = REPO / "docs" / "settings.md"
EXAMPLE = REPO / ".env.example"


def _read_by_code() -> dict[str, object]:
    """NAME → literal default (or ``...`` when the default is computed) of each ``env.*("NAME", ...)``."""
    found: dict[str, object] = {}
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        is_env = (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env"
        )
        # env.str("NAME", default=...), and the settings' own _duration("NAME", "24h")
        is_env = is_env or (isinstance(func, ast.Name) and func.id in ("env", "_duration"))
        is_os = (
            isinstance(func, ast.Attribute) and func.attr == "get" and "environ" in ast.unparse(func.value)
        )
        first = node.args[0]
        if (is_env or is_os) and isinstance(first, ast.Constant) and isinstance(first.value, str):
            default = next((k.value for k in node.keywords if k.arg == "default"), None)
            if default is None and len(node.args) > 1:
                default = node.args[1]
            try:
                found[first.value] = ast.literal_eval(default) if default is not None else None
            except ValueError:
                found[first.value] = ...
    return found


def _documented() -> dict[str, str]:
    """NAME → the Default cell of its row in docs/settings.md."""
    rows = {}
    for line in DOC.read_text().splitlines():
        match = re.match(r"\|\s*`([A-Z][A-Z0-9_]*)`\s*\|([^|]*)\|", line)
        if match:
            rows[match.group(1)] = match.group(2).strip()
    return rows


def _shown(value) -> set[str]:
    """The ways a literal default may be written in the table."""
    if isinstance(value, bool):
        return {f"`{str(value).lower()}`"}
    if isinstance(value, int | float):
        number = int(value) if float(value).is_integer() else value
        return {f"`{number}`", f"`{float(value)}`"}
    if isinstance(value, str | list | tuple | dict) and not value:
        return {""}  # empty: any explanation will do ("empty", "falls back to `REDIS_URL`", ...)
    if isinstance(value, str):
        return {f"`{value}`"}
    if isinstance(value, list | tuple):
        return {f"`{','.join(map(str, value))}`"}
    return set()


def test_the_settings_file_is_read_at_all():
    read = _read_by_code()
    assert {"DEBUG", "SECRET_KEY", "FTRACK_SERVER", "REDIS_URL", "UPLOAD_CHUNK_SIZE"} <= set(read)


def test_every_variable_read_is_documented_and_in_the_example():
    read, documented = _read_by_code(), _documented()
    example = EXAMPLE.read_text()
    missing_doc = sorted(set(read) - set(documented))
    missing_example = sorted(name for name in read if not re.search(rf"^#?\s*{name}=", example, re.M))
    assert not missing_doc, f"read by portal/settings.py but not in docs/settings.md: {missing_doc}"
    assert not missing_example, f"read by portal/settings.py but not in .env.example: {missing_example}"


def test_the_documentation_names_only_variables_the_code_reads():
    stale = sorted(set(_documented()) - set(_read_by_code()))
    assert not stale, f"docs/settings.md documents variables portal/settings.py does not read: {stale}"


def test_documented_defaults_match_the_code():
    read, documented = _read_by_code(), _documented()
    wrong = []
    for name, default in read.items():
        forms = _shown(default)
        cell = documented.get(name, "")
        if forms == {""}:
            if not cell:
                wrong.append(f"{name}: the docs do not say what an empty value means")
        elif forms and not any(form.lower() in cell.lower() for form in forms):
            wrong.append(f"{name}: code {default!r}, docs {cell!r}")
    assert not wrong, "defaults differ:\n" + "\n".join(wrong)
