"""Stored XSS in comments, asset names and file names renders inert on every page that shows them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from security_factories import make_job
from xss_payloads import BREAKOUT, SCRIPT, assert_inert

from publishing.models import Notification


@pytest.fixture
def hostile(producer):
    job = make_job(
        producer,
        asset_name=f"plate{SCRIPT}",
        filename=f"{BREAKOUT}.mov",
        comment=f"Looks good {BREAKOUT} {SCRIPT}",
        status="failed",
        error_code="internal",
        error_message=f"ftrack said {SCRIPT}",
    )
    Notification.objects.create(user=producer, message=f"plate{SCRIPT} published", link="/batches/")
    return job


@pytest.mark.parametrize("role", ["producer", "coordinator"])
def test_pages_show_hostile_text_escaped(hostile, role, request, client_for):
    client = client_for(request.getfixturevalue(role))
    job, batch = hostile, hostile.batch
    pages = {
        "batches": reverse("publishing:batches"),
        "batch detail": reverse("publishing:batch", args=[batch.pk]),
        "dashboard": reverse("publishing:dashboard"),
        "dashboard rows": reverse("publishing:dashboard_rows"),
        "dashboard search": reverse("publishing:dashboard") + "?q=" + SCRIPT,
        "job detail": reverse("publishing:job", args=[job.pk]),
    }
    if role == "producer":
        pages["notifications"] = reverse("publishing:notifications")
    for name, url in pages.items():
        answer = client.get(url)
        assert answer.status_code == 200, (name, answer.status_code)
        assert_inert(answer.content.decode(), name)


def test_file_name_is_escaped_on_the_batch_page(hostile, client_for, producer):
    html = client_for(producer).get(reverse("publishing:batch", args=[hostile.batch.pk])).content.decode()
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;.mov" in html
