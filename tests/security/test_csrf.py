"""CSRF on every form and every cookie-authenticated write.

Two checks: every POST form in the templates carries ``{% csrf_token %}``; and every POST route of
the permission matrix, called with a valid session but no CSRF token, is refused with 403 before it
does anything.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from test_permission_matrix import MATRIX, OK, project_routes

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)

pytestmark = pytest.mark.usefixtures("private_ratelimits")


def test_every_post_form_in_the_templates_has_a_csrf_token():
    checked, missing = 0, []
    for template in sorted(TEMPLATES.rglob("*.html")):
        if "emails" in template.parts:
            continue  # emails have no forms that post back
        for form in FORM.finditer(template.read_text()):
            if not re.search(r"method\s*=\s*[\"']?post", form["attrs"], re.I):
                continue
            checked += 1
            if "{% csrf_token %}" not in form["body"]:
                missing.append(f"{template.relative_to(TEMPLATES)}: <form{form['attrs']}>")
    assert checked >= 5, "the scan found almost no forms: is the pattern still right?"
    assert not missing, "POST forms without {% csrf_token %}:\n" + "\n".join(missing)


POST_ROUTES = sorted(
    (route, rule) for route, rules in MATRIX.items() for rule in rules if rule.method == "POST"
)


@pytest.mark.parametrize("route,rule", POST_ROUTES, ids=[route for route, _ in POST_ROUTES])
def test_posts_without_a_csrf_token_are_refused(route, rule, world):
    # The role the matrix lets through: the owner where possible, else the admin.
    role = "producer" if rule.expect["producer"] == OK else "admin"
    client = Client(enforce_csrf_checks=True, HTTP_TUS_RESUMABLE="1.0.0")
    client.force_login(world["users"][role])
    url = reverse(project_routes()[route], kwargs=rule.kwargs(world))
    answer = client.post(url, {"next": "/"})
    assert answer.status_code == 403, (url, answer.status_code, answer.content[:200])
    assert b"CSRF" in answer.content or b"csrf" in answer.content.lower()


def test_the_same_post_with_the_token_goes_through(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["producer"])
    client.get(reverse("publishing:notifications"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    answer = client.post(reverse("publishing:notifications_read_all"), {"csrfmiddlewaretoken": token})
    assert answer.status_code in (200, 302)
