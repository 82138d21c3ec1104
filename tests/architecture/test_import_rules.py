"""The layout's rules, read from the code's own imports (docs/architecture.md explains them).

Each subject package of ``publishing/`` may import only the subjects listed for it; nothing under
``publishing/ftrack/`` imports another subject (it is the one door to ftrack, and knows nothing of
the portal's tables); there are no import cycles; and imports hidden inside functions, which a
reader of a module's header cannot see, are few and each says why.
"""

from __future__ import annotations

import pytest

from tests.architecture.imports import cycles, edges, modules

SUBJECTS = ("core", "ftrack", "uploads", "pipeline", "vault", "notify", "dashboard", "matching", "web", "api")

# subject → the other parts of publishing/ it may import (itself always allowed).
ALLOWED = {
    "models": set(),
    "core": {"models"},
    "ftrack": {"core"},
    "uploads": {"core", "models"},
    "notify": {"core", "models", "ftrack"},
    "vault": {"core", "models", "ftrack", "notify"},
    "pipeline": {"core", "models", "ftrack", "uploads", "vault", "notify", "matching"},
    "dashboard": {"core", "models", "pipeline", "ftrack", "vault", "notify"},
    "matching": {"core", "models", "ftrack"},
    "web": {"core", "models", "pipeline", "uploads", "ftrack", "vault", "notify", "dashboard", "matching"},
    "api": {"core", "models", "pipeline", "uploads", "ftrack", "vault", "notify", "dashboard", "matching"},
}
MAX_FUNCTION_LEVEL_IMPORTS = 10


def _part(module: str) -> str | None:
    """``publishing.ftrack.sessions`` → ``ftrack``; ``publishing.models`` → ``models``; wiring
    modules (admin, apps, urls, tasks registry, management commands, templatetags) → None."""
    parts = module.split(".")
    if parts[0] != "publishing" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in (*SUBJECTS, "models") else None


ALL_EDGES = edges()


def test_the_graph_is_read_at_all():
    # Guards the guard: an empty graph would let every rule below pass.
    assert len(modules()) > 60
    assert len(ALL_EDGES) > 150
    assert any(
        e.source == "publishing.pipeline.publisher" and e.target == "publishing.ftrack.sessions"
        for e in ALL_EDGES
    )


@pytest.mark.parametrize("subject", list(ALLOWED))
def test_each_subject_imports_only_what_it_may(subject):
    wrong = []
    for e in ALL_EDGES:
        if _part(e.source) != subject or not e.target.startswith("publishing."):
            continue
        target = _part(e.target)  # None: wiring (admin, urls, the tasks registry, commands)
        if target != subject and target not in ALLOWED[subject]:
            wrong.append(f"{e.source}:{e.line} imports {e.target}")
    assert not wrong, f"{subject} may import only {sorted(ALLOWED[subject])}:\n" + "\n".join(wrong)


def test_the_ftrack_package_imports_no_other_subject_and_no_models():
    wrong = [
        e for e in ALL_EDGES if _part(e.source) == "ftrack" and _part(e.target) not in ("ftrack", "core")
    ]
    assert not wrong, wrong


def test_nothing_outside_the_ftrack_package_builds_an_ftrack_session():
    # All ftrack traffic goes through publishing/ftrack/: nobody else imports ftrack_api's Session.
    offenders = []
    for name, path in modules().items():
        if name.startswith("publishing.ftrack") or not name.startswith("publishing."):
            continue
        text = path.read_text()
        if "ftrack_api.Session(" in text or "import ftrack_api.session" in text:
            offenders.append(name)
    assert not offenders, offenders


def test_there_are_no_import_cycles():
    assert cycles(ALL_EDGES) == []


def test_function_level_imports_are_few_and_say_why():
    hidden = {(e.source, e.line): e for e in ALL_EDGES if not e.top_level and not e.type_only}
    assert len(hidden) <= MAX_FUNCTION_LEVEL_IMPORTS, sorted(hidden)
    silent = sorted(f"{source}:{line}" for (source, line), e in hidden.items() if not e.why)
    # A run of imports shares the comment above the first one.
    silent = [s for s in silent if not _covered_by_previous(s, hidden)]
    assert not silent, f"function-level imports without a comment saying why: {silent}"


def _covered_by_previous(where: str, hidden) -> bool:
    source, line = where.rsplit(":", 1)
    previous = hidden.get((source, int(line) - 1))
    return previous is not None and (
        bool(previous.why) or _covered_by_previous(f"{source}:{int(line) - 1}", hidden)
    )


def test_the_cycle_finder_finds_a_cycle():
    from tests.architecture.imports import Edge

    fake = [
        Edge("a", "b", 1, True, False, ""),
        Edge("b", "c", 1, True, False, ""),
        Edge("c", "a", 1, True, False, ""),
    ]
    assert cycles(fake) == [["a", "b", "c"]]
    assert cycles(fake[:2]) == []
