"""Notifications outside the worker: the new-version event and the once-per-batch email."""

from __future__ import annotations

import threading
import time

import ftrack_api
import pytest
from django.core import mail
from ftrack_support import give_credential

from publishing.ftrack import sessions
from publishing.models import JobEvent, Notification, PublishBatch, PublishJob
from publishing.pipeline import notify
from publishing.pipeline.run import Run


@pytest.fixture
def published_job(producer, ftrack_settings):
    give_credential(producer, "producer")
    batch = PublishBatch.objects.create(
        owner=producer,
        comment="first cut",
        reviewers=[{"id": "u-ana", "username": "reviewer.ana", "name": "Ana"}],
    )
    return PublishJob.objects.create(
        batch=batch,
        context_id="ctx-1",
        context_path="demo / sq010 / sh010 / compositing",
        project_id="p-1",
        asset_name="plate",
        status="published",
        ftrack_version_id="v-1",
        ftrack_version_number=3,
        ftrack_asset_id="a-1",
    )


@pytest.mark.django_db
def test_event_announces_the_new_version(published_job, producer, ftrack_settings, ftrack_server):
    ftrack_settings.FTRACK_EVENTS_ENABLED = True
    listener = ftrack_api.Session(
        server_url=ftrack_server.url,
        api_user="reviewer.ana",
        api_key="demo-key-reviewer-ana",
        auto_connect_event_hub=False,
        schema_cache_path=False,
    )
    received = []
    try:
        listener.event_hub.connect()
        listener.event_hub.subscribe(
            f"topic={notify.EVENT_TOPIC}", lambda event: received.append(event["data"])
        )
        run = Run(published_job, "test:1")
        run.session = sessions.session_for(producer)
        stop = threading.Event()

        def pump():
            while not stop.is_set():
                listener.event_hub.wait(0.1)

        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
        # The hub does not acknowledge subscriptions, so announce until the listener has one.
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            notify.announce(run)
            time.sleep(0.2)  # polling what the listener got
        stop.set()
        thread.join(5)
    finally:
        listener.close()
        sessions.close_all_sessions()
    assert received, JobEvent.objects.filter(job=published_job).values_list("message", flat=True)
    payload = received[0]
    assert payload["version_id"] == "v-1"
    assert payload["version_number"] == 3
    assert payload["published_by"] == producer.get_username()


@pytest.mark.django_db
def test_event_is_off_unless_enabled(published_job, producer, ftrack_settings):
    ftrack_settings.FTRACK_EVENTS_ENABLED = False
    run = Run(published_job, "test:1")
    run.session = sessions.session_for(producer)
    notify.announce(run)
    assert not run.session.event_hub.connected
    assert not JobEvent.objects.filter(job=published_job, kind="event").exists()


@pytest.mark.django_db
def test_batch_email_waits_for_the_last_job_and_goes_once(published_job, producer, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    other = PublishJob.objects.create(
        batch=published_job.batch, context_id="c", asset_name="b", status="running"
    )
    assert not notify.batch_finished(published_job.batch_id, reviewer_emails={"u-ana": "ana@example.com"})
    assert mail.outbox == []

    PublishJob.objects.filter(pk=other.pk).update(
        status="failed", error_message="The media cannot be decoded."
    )
    assert notify.batch_finished(published_job.batch_id, reviewer_emails={"u-ana": "ana@example.com"})
    assert not notify.batch_finished(published_job.batch_id, reviewer_emails={"u-ana": "ana@example.com"})
    (message,) = mail.outbox
    assert sorted(message.to) == sorted(["ana@example.com", producer.email])
    assert "1 failed" in message.subject
    assert "plate v3" in message.body and "The media cannot be decoded." in message.body
    assert message.alternatives and "plate v3" in message.alternatives[0][0]
    assert f"/batches/{published_job.batch_id}/" in message.body
    (notification,) = Notification.objects.filter(user=producer)
    assert notification.link == f"/batches/{published_job.batch_id}/"
