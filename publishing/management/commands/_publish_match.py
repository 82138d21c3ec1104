"""``manage.py publish --match-names``: each file to the task its name (and folder) names.

``plan_items`` asks the matching service (the same one as ``POST /api/context/match/``) and
returns one row per local item; ``plan_lines`` prints it; rows that are not placed take the
``--context`` default when one is given, else the command exits 2 listing them.
"""

from __future__ import annotations

from publishing.matching.service import match_names


def plan_items(user, project: str, items, asset_type: str) -> list[dict]:
    wanted = [{"name": item.paths[0].name, "folder": str(item.paths[0].parent)} for item in items]
    return match_names(user, project, wanted, asset_type)["items"]


def plan_lines(items, plan: list[dict], default: dict | None) -> list[str]:
    lines = []
    for item, row in zip(items, plan, strict=True):
        if row["status"] == "placed":
            lines.append(
                f"{item.label} → {row['path']}, asset {row['asset_name']}, v{row['next_version']:03d}"
                f" ({row['reason']})"
            )
        elif default is not None:
            lines.append(f"{item.label} → {default['path']} (--context default; {row['reason']})")
        else:
            choices = "; ".join(c["path"] for c in row["candidates"][:5])
            lines.append(
                f"{item.label}: {row['status']}: {row['reason']}" + (f" [{choices}]" if choices else "")
            )
        lines += [f"    warning: {w}" for w in row["warnings"]]
    return lines


def unplaced(items, plan: list[dict]) -> list[str]:
    return [item.label for item, row in zip(items, plan, strict=True) if row["status"] != "placed"]
