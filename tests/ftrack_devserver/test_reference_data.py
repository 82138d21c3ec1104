"""The schema test's reference data is derived from real ftrack responses by a script of ours."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def _regenerate_module():
    spec = importlib.util.spec_from_file_location("regenerate", DATA / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_keeps_the_served_types_sorted_and_drops_the_rest(tmp_path, monkeypatch):
    module = _regenerate_module()
    source = tmp_path / "reference"
    source.mkdir()
    entries = [
        {"id": "Shot", "properties": {}},
        {"id": "Nonsense", "properties": {}},
        {"id": "Asset", "properties": {}},
    ]
    (source / "query_schemas.json").write_text(json.dumps(entries))
    monkeypatch.setattr(module, "OUT", tmp_path / "out.json")
    assert module.main(["--from", str(source)]) == 0
    written = json.loads((tmp_path / "out.json").read_text())
    assert [entry["id"] for entry in written] == ["Asset", "Shot"]


def test_the_committed_data_is_what_the_schema_test_reads():
    data = json.loads((DATA / "reference_schemas.json").read_text())
    ids = [entry["id"] for entry in data]
    assert ids == sorted(ids) and {"AssetVersion", "FileComponent", "Location"} <= set(ids)
