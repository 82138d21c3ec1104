"""Which credential publishes a job (issue 5), against the ftrack dev server, the publisher in-process.

The dev server has no global API keys: each key belongs to one ftrack user (docs/operations.md,
"Service-key mode"). So a service key verified as the admin publishes only as the admin there, and
the same key used for another producer is refused. Both are tested as they are: the first as a
successful service-key publish (the publisher has no personal key at all, so nothing else could
have published), the second as the "service key rejected" path. Real ftrack's "global key acting as
any username" cannot be shown with the dev server and is not pretended here.
"""

from __future__ import annotations

import pytest
from devserver_fixtures import start_devserver
from django.core import mail
from django.urls import reverse
from factories import make_png
from ftrack_support import actions_since, give_credential, last_seq
from inprocess import queued_job
from pipeline_support import admin_session, ready_upload, task_id, user_id

from publishing.ftrack import sessions
from publishing.models import FtrackCredential, JobEvent, Notification, ProjectServiceKey
from publishing.pipeline.publisher import publish
from publishing.vault.credentials import (
    credential_for_publish,
    credential_save,
    service_key_disable,
    service_key_save,
)

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN_KEY = "demo-key-admin"
REFUSED_SUBJECT = "Review Portal: ftrack refused your API key"


@pytest.fixture
def where(ftrack_server):
    session = admin_session(ftrack_server)
    try:
        yield {
            "task": task_id(session, sequence="sq020", shot="sh030", task="animation"),
            "project": session.query('select id from Project where name is "demo"').one()["id"],
            "admin": user_id(session, "admin"),
            "producer": user_id(session, "producer"),
        }
    finally:
        session.close()


def _job(owner, where, tmp_path, name: str):
    upload = ready_upload(owner, make_png(tmp_path / f"{name}.png"))
    job = queued_job(owner, where["task"], [upload], asset_name=name, kind="image")
    # batch_create records the context's project; the direct write here has to say it.
    job.project_id = where["project"]
    job.save(update_fields=["project_id"])
    return job


def _version_user(server, version_id: str) -> str:
    session = admin_session(server)
    try:
        return session.query(f'select user_id from AssetVersion where id is "{version_id}"').one()["user_id"]
    finally:
        session.close()


def _username_only(user, api_user: str) -> FtrackCredential:
    """A credential with an ftrack username and no personal key (service-key mode only)."""
    return FtrackCredential.objects.create(user=user, api_user=api_user, api_key_encrypted="")


def _credential_notices(user):
    return Notification.objects.filter(user=user, link=reverse("publishing:credentials"))


def _credential_mails(user):
    return [m for m in mail.outbox if m.subject == REFUSED_SUBJECT and m.to == [user.email]]


# --- service key -------------------------------------------------------------------------------


def test_a_project_with_a_service_key_publishes_with_it_as_the_producers_ftrack_user(
    admin_user, inprocess, ftrack_server, where, tmp_path
):
    # The admin publishes here: on the dev server the service key (the admin's key, checked as the
    # admin's ftrack username when saved) can only act as the admin. No personal key is stored.
    _username_only(admin_user, "admin")
    service_key = service_key_save(
        project_id=where["project"], project_name="demo", api_key=ADMIN_KEY, actor=admin_user
    )
    job = _job(admin_user, where, tmp_path, "cred-service")

    assert publish(job.pk) == "published"

    job.refresh_from_db()
    assert job.credential_label == "service key of project demo as admin"
    assert _version_user(ftrack_server, job.ftrack_version_id) == where["admin"]
    event = JobEvent.objects.get(job=job, kind="credential")
    assert "service key of project demo as admin" in event.message
    service_key.refresh_from_db()
    assert service_key.last_error == ""


def test_a_service_key_ftrack_refuses_is_the_admins_to_fix_not_the_producers(
    producer, admin_user, inprocess, ftrack_server, where, tmp_path
):
    give_credential(producer, "producer")  # a working personal key, which must not be blamed
    give_credential(admin_user, "admin")
    service_key_save(project_id=where["project"], project_name="demo", api_key=ADMIN_KEY, actor=admin_user)
    job = _job(producer, where, tmp_path, "cred-service-refused")

    # The dev server's keys belong to one user: the admin's key acting as "producer" is refused,
    # as a revoked global key would be by real ftrack.
    assert publish(job.pk) == "failed"

    job.refresh_from_db()
    assert job.credential_label == "service key of project demo as producer"
    assert job.error_code == "service_key_rejected"
    assert "ftrack rejected the service key of project demo — ask an admin to update it" in job.error_message
    assert not job.is_retryable
    service_key = ProjectServiceKey.objects.get(ftrack_project_id=where["project"])
    assert "producer" in service_key.last_error and ADMIN_KEY not in service_key.last_error
    personal = FtrackCredential.objects.get(user=producer)
    assert personal.is_healthy and personal.last_error == ""
    assert not _credential_notices(producer).exists() and not _credential_mails(producer)

    # Disabling the service key sends the project back to the producer's own key.
    service_key_disable(service_key=service_key, actor=admin_user)
    again = _job(producer, where, tmp_path, "cred-service-disabled")
    assert publish(again.pk) == "published"
    again.refresh_from_db()
    assert again.credential_label == "personal key of pia.producer (ftrack: producer)"
    assert _version_user(ftrack_server, again.ftrack_version_id) == where["producer"]


# --- personal key ------------------------------------------------------------------------------


def test_a_job_without_a_service_key_records_the_personal_key(
    producer, inprocess, ftrack_server, where, tmp_path
):
    give_credential(producer, "producer")
    job = _job(producer, where, tmp_path, "cred-personal")

    assert publish(job.pk) == "published"

    job.refresh_from_db()
    label = "personal key of pia.producer (ftrack: producer)"
    assert job.credential_label == label
    assert label in JobEvent.objects.get(job=job, kind="credential").message
    assert _version_user(ftrack_server, job.ftrack_version_id) == where["producer"]
    # The personal publish and browsing share one pooled session (same key in the pool).
    assert len(sessions.pool()) == 1
    chosen = credential_for_publish(user=producer, project_id=where["project"])
    assert sessions.session_for(producer) is sessions.session_for(producer, chosen)


def test_a_personal_key_refused_during_publish_fails_the_job_and_tells_the_owner_once(
    producer, inprocess, ftrack_server, where, tmp_path
):
    give_credential(producer, "producer", api_key="revoked-key-123")
    first = _job(producer, where, tmp_path, "cred-refused-1")
    second = _job(producer, where, tmp_path, "cred-refused-2")

    assert publish(first.pk) == "failed"
    assert publish(second.pk) == "failed"

    first.refresh_from_db()
    assert first.error_code == "credential_rejected" and not first.is_retryable
    assert first.error_message.startswith("ftrack rejected the API key for user producer.")
    assert "revoked-key-123" not in first.error_message
    credential = FtrackCredential.objects.get(user=producer)
    assert not credential.is_healthy
    assert credential.last_error == first.error_message  # the plain reason, as the job shows it
    assert credential.failure_notified_at is not None
    # Two refusals, one streak: told once in-app and once by email.
    assert _credential_notices(producer).count() == 1
    (refused_mail,) = _credential_mails(producer)
    assert "ftrack rejected the API key for user producer" in refused_mail.body
    assert "revoked-key-123" not in refused_mail.body


# --- the session pool --------------------------------------------------------------------------


def test_a_new_service_key_version_retires_its_session_and_leaves_the_personal_one(
    admin_user, inprocess, ftrack_server
):
    give_credential(admin_user, "admin")
    service_key_save(project_id="p-pool", project_name="pool", api_key=ADMIN_KEY, actor=admin_user)
    personal = sessions.session_for(admin_user)
    chosen = credential_for_publish(user=admin_user, project_id="p-pool")
    service = sessions.session_for(admin_user, chosen)

    # Both identities are pooled side by side: using one does not close the other.
    assert service is not personal
    assert sessions.session_for(admin_user) is personal
    assert sessions.session_for(admin_user, chosen) is service

    service_key_save(project_id="p-pool", project_name="pool", api_key=ADMIN_KEY, actor=admin_user)
    renewed = credential_for_publish(user=admin_user, project_id="p-pool")
    assert renewed.version_key != chosen.version_key
    fresh = sessions.session_for(admin_user, renewed)

    assert fresh is not service and service.closed
    assert not personal.closed and sessions.session_for(admin_user) is personal
    assert len(sessions.pool()) == 2


@pytest.fixture
def private_ftrack(inprocess, tmp_path_factory):
    """A dev server of this test's own: the test resets a user's API key, which others rely on."""
    server = start_devserver(tmp_path_factory.mktemp("ftrack-keychange"), seed="demo")
    inprocess.FTRACK_SERVER = server.url
    sessions.reset_pool()
    yield server
    sessions.reset_pool()
    server.stop()


def test_a_changed_personal_key_retires_the_pooled_session(producer, private_ftrack, tmp_path):
    session = admin_session(private_ftrack)
    where = {
        "task": task_id(session, sequence="sq020", shot="sh030", task="animation"),
        "project": session.query('select id from Project where name is "demo"').one()["id"],
    }
    session.close()
    give_credential(producer, "producer")
    assert publish(_job(producer, where, tmp_path, "key-before").pk) == "published"
    old = sessions.session_for(producer)

    # The producer rotates the key in ftrack (the old one stops working) and enters the new one.
    new_key = old.query('select id from User where username is "producer"').one().reset_api_key()
    credential_save(user=producer, api_user="producer", api_key=new_key)
    producer.refresh_from_db()

    mark = last_seq(private_ftrack)
    job = _job(producer, where, tmp_path, "key-after")
    assert publish(job.pk) == "published"

    assert old.closed
    assert sessions.session_for(producer) is not old
    assert len(sessions.pool()) == 1
    # The new session was opened (server information asked again) and it used the new key: the
    # old one is refused by ftrack now, so the publish could not have gone through with it.
    assert actions_since(private_ftrack, mark, user="producer")["query_server_information"] == 1
    job.refresh_from_db()
    assert job.credential_label == "personal key of pia.producer (ftrack: producer)"
