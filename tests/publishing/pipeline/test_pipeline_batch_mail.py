"""One email per batch once every job is over; a job published later by a retry gets a short follow-up.

The publisher runs in this process; Django's locmem backend keeps the emails.
"""

from __future__ import annotations

import os

import pytest
from django.core import mail
from factories import make_png
from ftrack_support import give_credential
from inprocess import queued_job
from pipeline_support import admin_session, ready_upload, task_id, user_id

from publishing.models import JobUpload, Notification
from publishing.pipeline import jobs
from publishing.pipeline.publisher import publish

pytestmark = pytest.mark.django_db(transaction=True)


def test_batch_mail_once_then_a_follow_up_for_the_job_a_retry_published(
    producer, inprocess, ftrack_server, tmp_path, monkeypatch
):
    import publishing.notify.webhooks as webhooks

    hooks = []
    monkeypatch.setattr(webhooks, "batch_webhooks_enqueue", lambda *, batch: hooks.append(batch.pk))
    sent_to_queue = []
    monkeypatch.setattr(jobs, "job_enqueue", lambda job_id, countdown=None: sent_to_queue.append(job_id))
    give_credential(producer, "producer")
    admin = admin_session(ftrack_server)
    ana = user_id(admin, "reviewer.ana")
    context = task_id(admin, shot="sh010", sequence="sq020")
    admin.close()

    good = ready_upload(producer, make_png(tmp_path / "good.png"))
    gone = ready_upload(producer, make_png(tmp_path / "gone.png"))
    first = queued_job(
        producer,
        context,
        [good],
        asset_name="mail-good",
        kind="image",
        reviewers=[{"id": ana, "username": "reviewer.ana"}],
    )
    second = queued_job(producer, context, [gone], asset_name="mail-late", kind="image")
    # Both jobs in one batch, the second one's staged file lost (it fails without retrying).
    second.batch_id = first.batch_id
    second.save()
    staged = inprocess.STORAGES["staging"]["OPTIONS"]["location"] / gone.storage_path
    kept = staged.read_bytes()
    os.remove(staged)

    assert publish(first.pk) == "published"
    assert mail.outbox == []  # the batch is not over yet
    assert publish(second.pk) == "failed"
    (batch_mail,) = mail.outbox
    assert "(1 failed)" in batch_mail.subject
    assert set(batch_mail.to) == {"reviewer.ana@example.com", producer.email}
    assert hooks == [first.batch_id]

    staged.write_bytes(kept)
    second.refresh_from_db()
    jobs.job_retry(job=second, actor=producer)
    assert sent_to_queue == [second.pk]
    assert publish(second.pk) == "published"

    assert len(mail.outbox) == 2
    follow_up = mail.outbox[1]
    assert follow_up.subject.startswith("Now published: mail-late v")
    assert set(follow_up.to) == {"reviewer.ana@example.com", producer.email}
    second.refresh_from_db()
    assert second.review_url in follow_up.body
    assert hooks == [first.batch_id]  # the webhooks went with the batch email only
    assert Notification.objects.filter(user=producer).count() == 2
    assert JobUpload.objects.filter(job__batch_id=first.batch_id).count() == 2
