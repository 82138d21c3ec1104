"""The naming-rules page: admins add and remove a project's rules, bad rules are refused with the
reason and nothing saved, names can be tried against the dev server's demo project."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "ftrack"))

from ftrack_support import give_credential  # noqa: E402

from publishing.models import NamingRule  # noqa: E402

PAGE = "/admin-tools/naming-rules/"


@pytest.fixture
def admin(admin_user, portal_on_devserver, client_for):
    give_credential(admin_user, "admin")
    return client_for(admin_user)


def _demo_id(user) -> str:
    from publishing.ftrack import browse

    return next(p["id"] for p in browse.projects(user) if p["name"] == "demo")


def test_admin_adds_tries_and_removes_a_rule(admin, admin_user):
    demo = _demo_id(admin_user)
    page = admin.get(PAGE, {"project": demo})
    assert page.status_code == 200
    assert "the built-in rules apply" in page.content.decode()

    refused = admin.post(
        f"{PAGE}?project={demo}", {"project": demo, "position": 1, "pattern": "{shot}_{dept}"}
    )
    assert refused.status_code == 400
    assert "Unknown token {dept}" in refused.content.decode()
    assert not NamingRule.objects.exists()

    saved = admin.post(
        f"{PAGE}?project={demo}",
        {
            "project": demo,
            "position": 1,
            "pattern": r"(?P<sequence>sq\d+)/(?P<shot>sh\d+)-(?P<task>[a-z]+)-take\d+",
            "is_regex": "on",
        },
    )
    assert saved.status_code == 302
    rule = NamingRule.objects.get()
    assert rule.project_name == "demo" and rule.is_regex

    tried = admin.get(PAGE, {"project": demo, "try": "sq010/sh020-comp-take3.mov\nsq010_sh020_comp_v001.mov"})
    text = tried.content.decode()
    assert "demo / sq010 / sh020 / compositing" in text
    assert "rule 1: (?P&lt;sequence&gt;" in text
    # the project's own rules replace the defaults: the second name is not placed
    assert "no naming rule matches this name" in text

    gone = admin.post(f"{PAGE}{rule.pk}/delete/")
    assert gone.status_code == 302 and not NamingRule.objects.exists()


def test_producers_may_not_edit_rules(producer, client_for):
    assert client_for(producer).get(PAGE).status_code == 403


def test_the_staff_console_refuses_a_bad_rule_too(admin_user, client_for):
    console = client_for(admin_user)
    body = {"ftrack_project_id": "p1", "project_name": "demo", "position": 1, "pattern": "{shot}_{take}"}
    refused = console.post("/admin/publishing/namingrule/add/", body)
    assert refused.status_code == 200 and "Unknown token {take}" in refused.content.decode()
    assert not NamingRule.objects.exists()
    saved = console.post("/admin/publishing/namingrule/add/", {**body, "pattern": "{shot}_{task}"})
    assert saved.status_code == 302 and NamingRule.objects.get().pattern == "{shot}_{task}"
