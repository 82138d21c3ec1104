"""The notification centre: the bell's count, the list, marking read, and who sees what."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from publishing.models import Notification
from publishing.notify.notifications import notification_create, notifications_mark_read

pytestmark = pytest.mark.django_db


def _bell_count(html: str) -> int:
    match = re.search(r"data-unread-count>(\d+)<", html)
    assert match, "no bell on the page"
    return int(match.group(1))


def test_notification_create_keeps_one_line_and_refuses_foreign_links(producer):
    note = notification_create(user=producer, message="Batch  done\nfor   review", link="/batches/3/")
    assert (note.message, note.link, note.is_read) == ("Batch done for review", "/batches/3/", False)
    for bad in ("javascript:alert(1)", "https://evil.example/", "//evil.example/x"):
        assert notification_create(user=producer, message="x", link=bad).link == ""
    long = notification_create(user=producer, message="a" * 600)
    assert len(long.message) == 500 and long.message.endswith("…")


def test_bell_shows_the_unread_count_on_every_page(client_for, producer, other_producer):
    for text in ("one", "two", "three"):
        notification_create(user=producer, message=text)
    notification_create(user=other_producer, message="not yours")
    Notification.objects.filter(user=producer, message="one").update(is_read=True)
    client = client_for(producer)
    for name in (
        "publishing:dashboard",
        "publishing:batches",
        "publishing:credentials",
        "publishing:notifications",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert _bell_count(response.content.decode()) == 2, name
    assert client.get(reverse("publishing:notifications_unread")).json() == {"unread": 2}


def test_bell_costs_one_count_query(client_for, producer):
    notification_create(user=producer, message="hello")
    client = client_for(producer)
    client.get(reverse("publishing:batches"))  # warm up sessions and caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("publishing:batches")).content.decode()
    counts = [q["sql"] for q in queries if "publishing_notification" in q["sql"]]
    assert len(counts) == 1 and "COUNT" in counts[0].upper()
    assert _bell_count(html) == 1


def test_list_is_newest_first_paginated_and_own_only(client_for, producer, other_producer):
    for number in range(30):
        notification_create(user=producer, message=f"note {number:02d}")
    notification_create(user=other_producer, message="paul's secret batch")
    client = client_for(producer)
    first = client.get(reverse("publishing:notifications")).content.decode()
    shown = re.findall(r"note (\d\d)", first)
    assert shown[:3] == ["29", "28", "27"] and len(shown) == 25
    second = client.get(reverse("publishing:notifications") + "?page=2").content.decode()
    assert re.findall(r"note (\d\d)", second) == [f"{n:02d}" for n in range(4, -1, -1)]
    assert "paul&#x27;s secret batch" not in first + second and "paul's secret batch" not in first + second


def test_mark_one_and_all_read(client_for, producer):
    first = notification_create(user=producer, message="first")
    notification_create(user=producer, message="second")
    notification_create(user=producer, message="third")
    client = client_for(producer)
    response = client.post(reverse("publishing:notification_read", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("publishing:notifications")
    first.refresh_from_db()
    assert first.is_read
    assert client.get(reverse("publishing:notifications_unread")).json() == {"unread": 2}
    client.post(reverse("publishing:notifications_read_all"))
    assert client.get(reverse("publishing:notifications_unread")).json() == {"unread": 0}


def test_nobody_marks_someone_elses_notification(client_for, producer, other_producer):
    theirs = notification_create(user=other_producer, message="paul's")
    response = client_for(producer).post(reverse("publishing:notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_read
    assert notifications_mark_read(user=producer, ids=[theirs.pk]) == 0


def test_marking_needs_post_and_csrf(producer):
    from django.test import Client

    note = notification_create(user=producer, message="hi")
    client = Client(enforce_csrf_checks=True)
    client.force_login(producer)
    assert client.get(reverse("publishing:notification_read", args=[note.pk])).status_code == 405
    assert client.post(reverse("publishing:notification_read", args=[note.pk])).status_code == 403
    assert client.post(reverse("publishing:notifications_read_all")).status_code == 403
    note.refresh_from_db()
    assert not note.is_read


@pytest.mark.parametrize("who", ["producer", "coordinator", "admin_user"])
def test_every_portal_member_has_a_notification_centre(request, client_for, who):
    user = request.getfixturevalue(who)
    client = client_for(user)
    assert client.get(reverse("publishing:notifications")).status_code == 200
    assert client.get(reverse("publishing:notifications_unread")).status_code == 200


def test_outsider_and_anonymous_are_refused(client, client_for, outsider):
    note = notification_create(user=outsider, message="hi")
    urls = [
        ("get", reverse("publishing:notifications")),
        ("get", reverse("publishing:notifications_unread")),
        ("post", reverse("publishing:notification_read", args=[note.pk])),
        ("post", reverse("publishing:notifications_read_all")),
    ]
    refused = client_for(outsider)
    for method, url in urls:
        assert getattr(refused, method)(url).status_code == 403, url
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    # No bell for an account without a role.
    assert "data-unread-count" not in refused.get(reverse("publishing:batches")).content.decode()


def test_unread_json_is_not_cached(client_for, producer):
    response = client_for(producer).get(reverse("publishing:notifications_unread"))
    assert response["Cache-Control"] == "no-store"
