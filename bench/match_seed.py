"""A JSON seed for the ftrack dev server: one large public project for name matching (issue 11).

``write_seed(path, shots=5000, tasks=5, sequences=50, versioned=50)`` writes project ``bigshow``
with ``sequences`` sequences ``sq001…``, ``shots`` shots ``sh0001…`` spread over them, each with
``tasks`` tasks (compositing, animation, lighting, fx, roto, …), and for the first ``versioned``
shots an asset ``sh0001_comp`` (type Compositing) with version 1 and 2 on compositing. Ids are
stable (uuid5), so the file can be loaded on top of ``--seed demo`` (its users, statuses and
project schema are reused).

``python bench/match_seed.py OUT.json [--shots N] [--tasks N]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ftrack_devserver.seed import sid  # noqa: E402  (stable ids shared with the demo seed)

TASK_NAMES = ["compositing", "animation", "lighting", "fx", "roto", "layout", "matchmove", "paint"]
PROJECT = "bigshow"


def shot_name(n: int) -> str:
    return f"sh{n:04d}"


def entities(shots: int, tasks: int, sequences: int, versioned: int) -> list[dict]:
    project_id = sid("project", PROJECT)
    rows: list[dict] = [
        {
            "__entity_type__": "Project",
            "id": project_id,
            "name": PROJECT,
            "full_name": "Big show",
            "is_private": False,
            "project_schema_id": sid("project-schema", "vfx"),
            "status": "active",
            "root": "",
        }
    ]
    per_sequence = max(1, -(-shots // sequences))
    task_names = (TASK_NAMES * (tasks // len(TASK_NAMES) + 1))[:tasks]
    for n in range(1, shots + 1):
        sequence = f"sq{(n - 1) // per_sequence + 1:03d}"
        if (n - 1) % per_sequence == 0:
            rows.append(
                {
                    "__entity_type__": "Sequence",
                    "id": sid(PROJECT, sequence),
                    "name": sequence,
                    "parent_id": project_id,
                }
            )
        shot_id = sid(PROJECT, sequence, shot_name(n))
        rows.append(
            {
                "__entity_type__": "Shot",
                "id": shot_id,
                "name": shot_name(n),
                "parent_id": sid(PROJECT, sequence),
            }
        )
        for task in task_names:
            rows.append(
                {
                    "__entity_type__": "Task",
                    "id": sid(PROJECT, sequence, shot_name(n), task),
                    "name": task,
                    "parent_id": shot_id,
                }
            )
        if n <= versioned:
            asset_id = sid(PROJECT, "asset", shot_name(n), "comp")
            rows.append(
                {
                    "__entity_type__": "Asset",
                    "id": asset_id,
                    "name": f"{shot_name(n)}_comp",
                    "context_id": shot_id,
                    "type_id": sid("asset-type", "Compositing"),
                }
            )
            for version in (1, 2):
                rows.append(
                    {
                        "__entity_type__": "AssetVersion",
                        "id": sid(PROJECT, "version", shot_name(n), str(version)),
                        "asset_id": asset_id,
                        "task_id": sid(PROJECT, sequence, shot_name(n), task_names[0]),
                        "version": version,
                    }
                )
    return rows


def write_seed(path, shots: int = 5000, tasks: int = 5, sequences: int = 50, versioned: int = 50) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"entities": entities(shots, tasks, sequences, versioned)}, fh)
    return str(path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--shots", type=int, default=5000)
    parser.add_argument("--tasks", type=int, default=5)
    args = parser.parse_args()
    write_seed(args.out, args.shots, args.tasks)
