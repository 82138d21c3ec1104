"""The context picker's ftrack lookups, against the dev server's demo project."""

from __future__ import annotations

import pytest
from ftrack_support import actions_since, give_credential, last_seq

from publishing.core.errors import ContextNotFound, FtrackCredentialRejected, MissingCredential
from publishing.ftrack import browse

pytestmark = pytest.mark.django_db


@pytest.fixture
def producer_ftrack(producer, ftrack_settings):
    give_credential(producer, "producer")
    return producer


@pytest.fixture
def coordinator_ftrack(coordinator, ftrack_settings):
    give_credential(coordinator, "coordinator")
    return coordinator


def _project(user, name):
    return next(p for p in browse.projects(user) if p["name"] == name)


def test_projects_lists_only_what_the_ftrack_user_may_see(producer_ftrack, coordinator_ftrack):
    assert [p["name"] for p in browse.projects(producer_ftrack)] == ["demo"]
    assert {p["name"] for p in browse.projects(coordinator_ftrack)} == {"demo", "secret"}


def test_children_walk_the_tree_down_to_tasks(producer_ftrack):
    demo = _project(producer_ftrack, "demo")
    sequences = browse.children(producer_ftrack, demo["id"])
    assert [(s["name"], s["type"], s["has_children"]) for s in sequences] == [
        ("sq010", "Sequence", True),
        ("sq020", "Sequence", True),
    ]
    shots = browse.children(producer_ftrack, sequences[0]["id"])
    assert [s["name"] for s in shots] == ["sh010", "sh020", "sh030"]
    tasks = browse.children(producer_ftrack, shots[0]["id"])
    assert {(t["name"], t["type"], t["has_children"]) for t in tasks} == {
        ("animation", "Task", False),
        ("compositing", "Task", False),
    }


def test_search_and_context_give_readable_paths(producer_ftrack):
    found = browse.search(producer_ftrack, "compositing")
    paths = {f["path"] for f in found}
    assert "demo / sq010 / sh010 / compositing" in paths
    assert not any(p.startswith("secret") for p in paths)
    task = next(f for f in found if f["path"] == "demo / sq020 / sh030 / compositing")
    context = browse.context(producer_ftrack, task["id"])
    assert context["path"] == task["path"]
    assert context["type"] == "Task"
    assert context["project_id"] == _project(producer_ftrack, "demo")["id"]


def test_context_of_a_private_project_is_not_found_for_an_outsider(producer_ftrack, coordinator_ftrack):
    secret_task = next(
        f for f in browse.search(coordinator_ftrack, "compositing") if f["path"].startswith("secret /")
    )
    assert (
        browse.context(coordinator_ftrack, secret_task["id"])["path"]
        == "secret / sq900 / sh900 / compositing"
    )
    with pytest.raises(ContextNotFound):
        browse.context(producer_ftrack, secret_task["id"])
    with pytest.raises(ContextNotFound):
        browse.context(producer_ftrack, 'x" or name like "%')


def test_users_and_asset_types(producer_ftrack):
    usernames = {u["username"] for u in browse.users(producer_ftrack)}
    assert {"producer", "reviewer.ana", "reviewer.ben"} <= usernames
    assert {"Upload", "Animation"} <= {t["name"] for t in browse.asset_types(producer_ftrack)}


def test_answers_are_cached_per_user(producer_ftrack, coordinator_ftrack, ftrack_server):
    browse.projects(producer_ftrack)
    mark = last_seq(ftrack_server)
    assert [p["name"] for p in browse.projects(producer_ftrack)] == ["demo"]
    assert actions_since(ftrack_server, mark, user="producer")["query"] == 0
    # Another user's answer is computed with that user's own session, never served from the first.
    assert "secret" in {p["name"] for p in browse.projects(coordinator_ftrack)}
    assert actions_since(ftrack_server, mark, user="coordinator")["query"] >= 1


def test_missing_and_rejected_credentials(producer, other_producer, ftrack_settings):
    with pytest.raises(MissingCredential):
        browse.projects(producer)
    give_credential(other_producer, "producer", "not-the-key")
    with pytest.raises(FtrackCredentialRejected) as caught:
        browse.projects(other_producer)
    assert "producer" in str(caught.value)
    assert "not-the-key" not in str(caught.value)
