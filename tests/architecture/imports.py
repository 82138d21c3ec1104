"""Read the import graph of ``publishing/`` (and ``portal/``) with ``ast``: who imports whom, where.

Used by test_import_rules.py; run as a script it prints the graph's problems.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ("publishing", "portal", "ftrack_devserver")


@dataclass(frozen=True)
class Edge:
    source: str  # importing module, dotted
    target: str  # imported module, dotted (a module, not a name inside it, where we can tell)
    line: int
    top_level: bool  # False: inside a function or method (hidden from a reader of the header)
    type_only: bool  # under ``if TYPE_CHECKING:``
    why: str  # the comment on the import line or the line above it, if any


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(packages: tuple[str, ...] = ("publishing", "portal")) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            found[module_name(path)] = path
    return found


def _resolve(name: str, known: dict[str, Path]) -> str:
    """``publishing.core.errors.NotPlayable`` → ``publishing.core.errors`` (the longest known module)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name


def _comment(lines: list[str], line: int) -> str:
    here = lines[line - 1]
    if "#" in here:
        return here.split("#", 1)[1].strip()
    above = lines[line - 2].strip() if line >= 2 else ""
    return above[1:].strip() if above.startswith("#") else ""


def edges(known: dict[str, Path] | None = None) -> list[Edge]:
    known = known or modules()
    out: list[Edge] = []
    for source, path in known.items():
        text = path.read_text()
        lines = text.splitlines()
        tree = ast.parse(text)
        _walk(tree, source, known, lines, out, top_level=True, type_only=False)
    return out


def _walk(node, source, known, lines, out, *, top_level, type_only):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            for target in _targets(child, source, known):
                out.append(
                    Edge(source, target, child.lineno, top_level, type_only, _comment(lines, child.lineno))
                )
            continue
        nested = top_level and not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        guarded = type_only or (isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test))
        _walk(child, source, known, lines, out, top_level=nested, type_only=guarded)


def _targets(node, source, known) -> list[str]:
    names = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = (
                source.split(".")[: -node.level]
                if not known[source].name == "__init__.py"
                else source.split(".")
            )
            base = ".".join([*package, base] if base else package)
        names = [f"{base}.{alias.name}" for alias in node.names] or [base]
    targets = []
    for name in names:
        if not name.startswith(OURS):
            continue
        resolved = _resolve(name, known)
        if resolved and resolved != source:
            targets.append(resolved)
    return targets


def cycles(all_edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components (more than one module) of the runtime import graph."""
    graph: dict[str, set[str]] = {}
    for edge in all_edges:
        if not edge.type_only:
            graph.setdefault(edge.source, set()).add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:  # Tarjan; the graph is a few hundred nodes
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


if __name__ == "__main__":
    every = edges()
    for component in cycles(every):
        print("cycle:", " ↔ ".join(component))
    late = [e for e in every if not e.top_level and not e.type_only]
    print(f"{len(late)} function-level imports of our own modules")
    for e in late:
        print(f"  {e.source}:{e.line} -> {e.target}   # {e.why}")
