"""Matching dropped names (and their folder paths) against one project's places.

``build_plan(index, project_name, items, rules, asset_type=None, remembered_task="")`` is pure:
``index`` is ``publishing.ftrack.naming.project_index``'s answer, ``items`` are
``{"name": ..., "folder": ...}``. Each answer says ``status``: ``placed`` (one task),
``ambiguous`` (``candidates`` to choose from; nothing is guessed) or ``unplaced``, with the rule
and the reason, the asset name, the version ftrack will make and warnings.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field

from publishing.matching.rules import Rule

MAX_TEXT = 512  # characters of a name or folder that are matched (the rest is kept, not read)
MAX_TRIES = 32  # places in one text where one rule is tried
SHOT_TYPES = {"Shot", "AssetBuild"}
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}$")
_FRAME = re.compile(r"[._](?:#+|@+|%0?\d*d|\$F\d*|\d+)$")


@dataclass
class Places:
    """Lookups over a project index, built once per request."""

    project_name: str
    names: dict[str, str] = field(default_factory=dict)
    parents: dict[str, str | None] = field(default_factory=dict)
    shots: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    tasks: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    assets: dict[tuple[str, str], dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    _paths: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, index: dict, project_name: str) -> Places:
        places = cls(project_name=project_name)
        for context_id, name, kind, parent_id in index["contexts"]:
            places.names[context_id] = name
            places.parents[context_id] = parent_id
            if kind in SHOT_TYPES:
                places.shots[name.lower()].append(context_id)
            elif kind == "Task":
                places.tasks[parent_id].append(context_id)
        for parent_id, name, asset_type, latest in index["assets"]:
            places.assets[(parent_id, name.lower())][asset_type] = latest or 0
        return places

    def path(self, context_id: str) -> str:
        if context_id not in self._paths:
            parts: list[str] = []
            node: str | None = context_id
            while node is not None and node in self.names and len(parts) < 20:
                parts.append(self.names[node])
                node = self.parents.get(node)
            self._paths[context_id] = " / ".join([self.project_name, *reversed(parts)])
        return self._paths[context_id]

    def latest(self, parent_id: str, asset_name: str, asset_type: str | None) -> int:
        by_type = self.assets.get((parent_id, asset_name.lower()), {})
        if asset_type:
            return by_type.get(asset_type, 0)
        return max(by_type.values(), default=0)


def texts_of(name: str, folder: str) -> list[str]:
    """What is matched: the file's stem, then its folder path followed by the stem."""
    stem = _EXTENSION.sub("", name.replace("\\", "/").rsplit("/", 1)[-1])
    stem = _FRAME.sub("", stem)[-MAX_TEXT:]
    folder = folder.replace("\\", "/").strip("/")[-MAX_TEXT:]
    return [stem, f"{folder}/{stem}"] if folder else [stem]


def match_one(places: Places, rules: list[Rule], name: str, folder: str, remembered_task: str = "") -> dict:
    first_ambiguous = None
    near = ""
    for text in texts_of(name, folder):
        for rule in rules:
            for found in itertools.islice(rule.regex.finditer(text), MAX_TRIES):
                tokens = {k: v for k, v in found.groupdict().items() if v}
                outcome = _resolve(places, tokens, remembered_task)
                outcome["rule"] = {"position": rule.position, "pattern": rule.pattern}
                outcome["tokens"] = tokens
                if outcome["status"] == "placed":
                    where = "name" if "/" not in text else "folder and name"
                    outcome["reason"] = f"{rule.label} ({where})"
                    return outcome
                if outcome["status"] == "ambiguous" and first_ambiguous is None:
                    outcome["reason"] = f"{rule.label}: {outcome['reason']}"
                    first_ambiguous = outcome
                elif not near:
                    near = f"{rule.label}: {outcome['reason']}"
    if first_ambiguous is not None:
        return first_ambiguous
    return {
        "status": "unplaced",
        "reason": near or "no naming rule matches this name",
        "candidates": [],
        "rule": None,
        "tokens": {},
    }


def _resolve(places: Places, tokens: dict, remembered_task: str) -> dict:
    shot = tokens["shot"].lower()
    shots = places.shots.get(shot, [])
    sequence = tokens.get("sequence", "").lower()
    if sequence:
        shots = [s for s in shots if places.names.get(places.parents.get(s) or "", "").lower() == sequence]
    if not shots:
        where = f" in {tokens['sequence']}" if sequence else ""
        return {"status": "unplaced", "reason": f"no shot named {tokens['shot']}{where}", "candidates": []}
    tasks = [t for s in shots for t in places.tasks.get(s, [])]
    wanted = tokens.get("task", "").lower()
    if wanted:
        exact = [t for t in tasks if places.names[t].lower() == wanted]
        tasks = exact or [t for t in tasks if places.names[t].lower().startswith(wanted)]
        if not tasks:
            return {
                "status": "unplaced",
                "reason": f"{tokens['shot']} has no task like {tokens['task']}",
                "candidates": [],
            }
    if not tasks:
        return {"status": "unplaced", "reason": f"{tokens['shot']} has no task", "candidates": []}
    if len(tasks) == 1:
        return {"status": "placed", "task_id": tasks[0], "candidates": []}
    candidates = [{"id": t, "name": places.names[t], "path": places.path(t)} for t in tasks]
    remembered = remembered_task.lower()
    candidates.sort(key=lambda c: (c["name"].lower() != remembered, c["path"].lower()))
    what = "several shots" if len(shots) > 1 else "several tasks"
    return {
        "status": "ambiguous",
        "reason": f"{tokens['shot']} matches {what}; choose the task",
        "candidates": candidates,
        "suggested": candidates[0]["id"]
        if remembered and candidates[0]["name"].lower() == remembered
        else None,
    }


def build_plan(
    index: dict,
    project_name: str,
    items: list[dict],
    rules: list[Rule],
    *,
    asset_type: str | None = None,
    remembered_task: str = "",
) -> list[dict]:
    places = Places.of(index, project_name)
    plan = []
    for item in items:
        name, folder = item.get("name", ""), item.get("folder", "") or ""
        outcome = match_one(places, rules, name, folder, remembered_task)
        plan.append(_answer(places, name, folder, outcome, asset_type))
    _flag_duplicates(plan)
    return plan


def _answer(places: Places, name: str, folder: str, outcome: dict, asset_type: str | None) -> dict:
    tokens = outcome.get("tokens", {})
    answer = {
        "name": name,
        "folder": folder,
        "status": outcome["status"],
        "context_id": None,
        "path": None,
        "asset_name": None,
        "next_version": None,
        "version_in_name": int(tokens["version"]) if tokens.get("version") else None,
        "rule": outcome.get("rule"),
        "reason": outcome["reason"],
        "candidates": outcome.get("candidates", []),
        "suggested": outcome.get("suggested"),
        "warnings": [],
    }
    if outcome["status"] != "placed":
        return answer
    task_id = outcome["task_id"]
    shot_id = places.parents[task_id] or ""  # a task always has a parent
    task_word = tokens.get("task") or places.names[task_id]
    asset_name = tokens.get("asset") or f"{places.names.get(shot_id, '')}_{task_word}"
    asset_name = asset_name.lower()[:255]
    next_version = places.latest(shot_id, asset_name, asset_type) + 1
    answer.update(
        context_id=task_id, path=places.path(task_id), asset_name=asset_name, next_version=next_version
    )
    said = answer["version_in_name"]
    if said is not None and said != next_version:
        answer["warnings"].append(f"The name says v{said:03d} but ftrack will make v{next_version:03d}.")
    return answer


def _flag_duplicates(plan: list[dict]) -> None:
    targets: dict[tuple[str, str], list[int]] = defaultdict(list)
    for position, row in enumerate(plan):
        if row["status"] == "placed":
            targets[(row["context_id"], row["asset_name"])].append(position)
    for (_, asset_name), positions in targets.items():
        if len(positions) < 2:
            continue
        for position in positions:
            others = ", ".join(plan[p]["name"] for p in positions if p != position)
            plan[position]["warnings"].append(
                f"Same asset {asset_name} on the same task as {others}: they would become versions of one asset."
            )
            plan[position]["duplicate_of"] = [p for p in positions if p != position]
