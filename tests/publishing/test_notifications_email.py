"""One email per batch (text + HTML) listing every job with its result and links; user text inert."""

from __future__ import annotations

import pytest
from django.core import mail

from publishing.models import Notification, PublishBatch, PublishJob
from publishing.pipeline.notify import batch_finished

pytestmark = pytest.mark.django_db

XSS_NAME = '<script>alert("name")</script>'
XSS_COMMENT = 'Looks good <img src=x onerror="alert(1)">\nSecond line & more'


def _job(batch, **fields):
    values = {"context_id": "t1", "context_path": "demo / sq010 / sh010 / compositing", "project_id": "p"}
    return PublishJob.objects.create(batch=batch, **{**values, **fields})


@pytest.fixture
def batch(producer, settings):
    settings.PORTAL_BASE_URL = "https://portal.example"
    batch = PublishBatch.objects.create(
        owner=producer, comment=XSS_COMMENT, reviewers=[{"id": "u-ana", "username": "ana", "name": "Ana"}]
    )
    return batch


def test_one_email_per_batch_with_every_job_result_and_links(batch, producer):
    first = _job(batch, asset_name="comp", status="running")
    second = _job(batch, asset_name=XSS_NAME, status="running")
    third = _job(batch, asset_name="plate", status="running")

    # Jobs finish one by one; the batch is announced only once, when the last one is over.
    for job, result in ((first, "published"), (second, "published"), (third, "failed")):
        fields = {"status": result}
        if result == "published":
            number = 3 if job == first else 1
            fields |= {
                "ftrack_version_number": number,
                "review_url": f"http://ftrack.example/review/{job.pk}",
            }
        else:
            fields |= {"error_message": "ftrack rejected the API key for pia.producer"}
        PublishJob.objects.filter(pk=job.pk).update(**fields)
        batch_finished(batch.pk, reviewer_emails={"u-ana": "ana@example.com"})
    assert batch_finished(batch.pk, reviewer_emails={"u-ana": "ana@example.com"}) is False

    [email] = mail.outbox
    assert sorted(email.to) == ["ana@example.com", "pia.producer@example.com"]
    assert email.subject == "2 new version(s) for review from pia.producer (1 failed)"
    text = email.body
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"

    for body in (text, html):
        assert f"https://portal.example/batches/{batch.pk}/" in body
        for job in (first, second, third):
            assert f"https://portal.example/jobs/{job.pk}/" in body
        assert f"http://ftrack.example/review/{first.pk}" in body
        assert f"http://ftrack.example/review/{second.pk}" in body
        assert "ftrack rejected the API key for pia.producer" in body
    assert "comp v3 in demo / sq010 / sh010 / compositing" in text
    assert "Not published:\n- plate in demo / sq010 / sh010 / compositing: ftrack rejected" in text

    # Text mail shows the producer's words as written; in HTML they are escaped, never markup.
    assert XSS_NAME in text and "Looks good <img" in text
    assert "<script" not in html and "<img" not in html and 'onerror="' not in html
    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;" in html
    assert "Looks good &lt;img src=x onerror=&quot;alert(1)&quot;&gt;<br>Second line &amp; more" in html

    # In-app: the producer hears about their batch (reviewers only when they are portal users).
    [note] = Notification.objects.filter(user=producer)
    assert (
        note.message == "Your batch: 2 version(s) published, 1 failed."
        and note.link == f"/batches/{batch.pk}/"
    )


def test_all_published_email_has_no_failure_section(batch):
    _job(batch, asset_name="comp", status="published", ftrack_version_number=1)
    assert batch_finished(batch.pk, reviewer_emails={}) is True
    [email] = mail.outbox
    assert email.to == ["pia.producer@example.com"]
    assert "Not published" not in email.body and "Not published" not in email.alternatives[0][0]
    assert email.subject == "1 new version(s) for review from pia.producer"
