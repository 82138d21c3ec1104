"""The credential vault's services against the real ftrack dev server: verify, notify once, recover."""

from __future__ import annotations

import pytest
from django.core import mail

from publishing.core.crypto import encrypt_secret
from publishing.core.errors import FtrackUnavailable
from publishing.models import FtrackCredential, Notification
from publishing.vault.credentials import (
    credential_record_failure,
    credential_save,
    credential_verify,
    credentials_reverify_all,
)
from publishing.vault.selectors import jobs_affected

GOOD = ("producer", "demo-key-producer")


@pytest.fixture
def ftrack(settings, ftrack_server, redis_url):
    settings.FTRACK_SERVER = ftrack_server.url
    settings.REDIS_URL = redis_url
    return ftrack_server


def store(user, api_user: str, api_key: str) -> FtrackCredential:
    """A stored credential without asking ftrack: how a key revoked in ftrack later looks to us."""
    return FtrackCredential.objects.create(
        user=user, api_user=api_user, api_key_encrypted=encrypt_secret(api_key)
    )


def test_verify_good_key_records_verified(ftrack, producer):
    credential = store(producer, *GOOD)

    assert credential_verify(credential=credential) is True

    credential.refresh_from_db()
    assert credential.is_healthy and credential.verified_at and credential.checked_at
    assert credential.last_error == ""
    assert not Notification.objects.exists() and not mail.outbox


def test_verify_refused_key_notifies_owner_once(ftrack, producer, django_capture_on_commit_callbacks):
    credential = store(producer, "producer", "revoked-key-123")

    with django_capture_on_commit_callbacks(execute=True):
        assert credential_verify(credential=credential) is False
    with django_capture_on_commit_callbacks(execute=True):
        assert credential_verify(credential=credential) is False  # the nightly run, again

    credential.refresh_from_db()
    assert not credential.is_healthy
    assert "ftrack rejected the API key for user producer" in credential.last_error
    assert credential.last_error_at and credential.failure_notified_at
    notes = list(Notification.objects.filter(user=producer))
    assert len(notes) == 1 and notes[0].link == "/credentials/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [producer.email]
    assert "ftrack refused your API key" in message.subject
    assert "http://" in message.body and "/credentials/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Enter a new API key" in html
    assert "revoked-key-123" not in message.body + html


def test_recovery_clears_the_failure_and_a_new_failure_notifies_again(
    ftrack, producer, django_capture_on_commit_callbacks
):
    credential = store(producer, "producer", "revoked-key-123")
    with django_capture_on_commit_callbacks(execute=True):
        credential_verify(credential=credential)
    # The user enters a working key: the streak ends.
    with django_capture_on_commit_callbacks(execute=True):
        credential_save(user=producer, api_user=GOOD[0], api_key=GOOD[1])
    credential.refresh_from_db()
    assert credential.is_healthy and credential.failure_notified_at is None and credential.last_error == ""
    assert credential_verify(credential=credential) is True

    # Revoked again later: told again.
    FtrackCredential.objects.filter(pk=credential.pk).update(
        api_key_encrypted=encrypt_secret("revoked-again")
    )
    credential.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        credential_verify(credential=credential)
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(user=producer).count() == 2


def test_verify_ftrack_down_leaves_health_alone(settings, producer):
    import socket

    credential = store(producer, *GOOD)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.FTRACK_SERVER = f"http://127.0.0.1:{port}"

    with pytest.raises(FtrackUnavailable):
        credential_verify(credential=credential)

    credential.refresh_from_db()
    assert credential.is_healthy and credential.checked_at and credential.last_error == ""
    assert credentials_reverify_all() == {"verified": 0, "refused": 0, "unavailable": 1, "skipped": 0}


def test_undecryptable_key_is_reported_as_refused(ftrack, producer, settings):
    credential = store(producer, *GOOD)
    from cryptography.fernet import Fernet

    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]  # the old key was dropped too early

    assert credential_verify(credential=credential) is False
    credential.refresh_from_db()
    assert "can no longer be decrypted" in credential.last_error


def test_reverify_all_checks_every_active_key(ftrack, producer, other_producer, coordinator, outsider):
    store(producer, *GOOD)
    store(other_producer, "reviewer.ana", "wrong-key")
    store(coordinator, "coordinator", "demo-key-coordinator")
    store(outsider, "admin", "demo-key-admin")
    outsider.is_active = False
    outsider.save()

    counts = credentials_reverify_all()

    assert counts == {"verified": 2, "refused": 1, "unavailable": 0, "skipped": 1}
    healthy = dict(FtrackCredential.objects.values_list("user__username", "is_healthy"))
    assert healthy == {
        producer.username: True,
        other_producer.username: False,
        coordinator.username: True,
        outsider.username: True,  # skipped: never checked
    }
    assert FtrackCredential.objects.get(user=outsider).checked_at is None


def test_reverify_task_runs_the_service(ftrack, producer):
    from publishing.vault.tasks import credentials_reverify

    store(producer, *GOOD)
    assert credentials_reverify.name == "publishing.credentials_reverify"
    assert credentials_reverify.apply().get() == {"verified": 1, "refused": 0, "unavailable": 0, "skipped": 0}


def test_record_failure_from_the_publisher_notifies_once(producer, django_capture_on_commit_callbacks):
    store(producer, *GOOD)
    with django_capture_on_commit_callbacks(execute=True):
        credential_record_failure(user=producer, message="ftrack rejected the API key for user producer.")
        credential_record_failure(user=producer, message="ftrack rejected the API key for user producer.")

    assert not FtrackCredential.objects.get(user=producer).is_healthy
    assert len(mail.outbox) == 1 and Notification.objects.count() == 1


def test_jobs_affected_counts_waiting_and_failed_jobs_refused_for_the_key(producer, other_producer):
    from publishing.models import PublishBatch, PublishJob

    batch = PublishBatch.objects.create(owner=producer)
    other = PublishBatch.objects.create(owner=other_producer)
    S = PublishJob.Status
    for status, code in [
        (S.FAILED, "credential_rejected"),
        (S.RETRYING, "credential_rejected"),
        (S.QUEUED, "credential_rejected"),
        (S.PUBLISHED, "credential_rejected"),  # done since: not affected
        (S.FAILED, "encode_failed"),  # another cause
    ]:
        PublishJob.objects.create(batch=batch, context_id="c", asset_name="a", status=status, error_code=code)
    PublishJob.objects.create(
        batch=other, context_id="c", asset_name="a", status=S.FAILED, error_code="credential_rejected"
    )

    assert jobs_affected(producer).count() == 3


def test_username_only_credential_is_not_reported_as_broken(producer, django_capture_on_commit_callbacks):
    credential = FtrackCredential.objects.create(user=producer, api_user="producer", api_key_encrypted="")

    with django_capture_on_commit_callbacks(execute=True):
        assert credential_verify(credential=credential) is False

    credential.refresh_from_db()
    assert credential.is_healthy and credential.checked_at is None
    assert not mail.outbox and not Notification.objects.exists()
