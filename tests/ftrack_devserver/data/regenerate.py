"""Derive the schema test's reference data from a folder of real ftrack server responses.

    python tests/ftrack_devserver/data/regenerate.py --from PATH/TO/ftrack-reference

reads ``query_schemas.json`` there (a real server's answer to ``query_schemas``) and writes
``reference_schemas.json`` beside this script: the entries of every type the dev server serves, keys
sorted, so that a diff after a regeneration shows only what ftrack changed. The test reads that
file, so the repository tests itself wherever it is cloned.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "reference_schemas.json"


def derive(reference: list[dict], served: set[str]) -> list[dict]:
    return sorted((entry for entry in reference if entry["id"] in served), key=lambda entry: entry["id"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--from", dest="source", required=True, type=Path, help="folder of reference responses"
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE.parents[2]))
    from ftrack_devserver import schema

    reference = json.loads((args.source / "query_schemas.json").read_text())
    derived = derive(reference, set(schema.SCHEMA_BY_ID))
    OUT.write_text(json.dumps(derived, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(derived)} of {len(reference)} types to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
