"""Failures grouped by cause in plain words, and bulk retry of a group (audited, permission-checked)."""

from __future__ import annotations

import pytest
from dashboard_factories import make_failed, make_job
from factories import make_user

from publishing.core.failures import group_key, parse_group_key
from publishing.models import JobEvent, PublishJob
from publishing.pipeline import jobs as job_services

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.publishing.dashboard_urlconf")]

BULK = "/dashboard/bulk-retry/"


@pytest.fixture(autouse=True)
def enqueued(monkeypatch):
    """Job ids handed to the pipeline (recorded instead of sent to a broker)."""
    calls: list[int] = []
    monkeypatch.setattr(job_services, "job_enqueue", lambda job_id, **kw: calls.append(job_id))
    return calls


@pytest.fixture
def jane(db):
    return make_user("jane", role="producer")


def test_failures_are_grouped_by_cause_with_what_to_do(jane, producer, coordinator, client_for):
    for _ in range(3):
        make_failed(jane, "credential_rejected", "ftrack rejected the API key for user jane.")
    make_failed(producer, "credential_rejected")
    make_failed(producer, "ftrack_unavailable")
    make_failed(jane, "ftrack_unavailable")
    make_failed(jane, "media_undecodable")
    make_job(jane)  # not failed: not counted
    html = client_for(coordinator).get("/dashboard/").content.decode()
    assert (
        "<strong>ftrack rejected the API key for jane</strong> — ask jane to update it on the credentials page, "
        "then retry: 3 jobs"
    ) in html
    assert f"ask {producer.username} to update it on the credentials page, then retry: 1 job\n" in html
    # Causes that are nobody's in particular are one group across producers.
    assert (
        "<strong>ftrack could not be reached, even after automatic retries</strong> — retry once ftrack answers again: 2 jobs"
        in html
    )
    # Retrying broken media cannot help, so no bulk retry is offered for it.
    assert "export the file again and upload the new one; retrying will not help: 1 job" in html
    assert html.count('name="group"') == 3
    assert 'value="media_undecodable"' not in html


def test_failures_of_a_producer_are_only_their_own(jane, producer, client_for):
    make_failed(jane, "credential_rejected")
    make_failed(producer, "ftrack_unavailable")
    html = client_for(producer).get("/dashboard/").content.decode()
    assert "jane" not in html
    assert "ftrack could not be reached" in html.lower()


def test_bulk_retry_requeues_the_group_and_records_who(jane, producer, coordinator, client_for, enqueued):
    group = [make_failed(jane, "credential_rejected", stage=PublishJob.Stage.UPLOAD) for _ in range(3)]
    other_cause = make_failed(jane, "ftrack_unavailable")
    other_producer_same_cause = make_failed(producer, "credential_rejected")
    response = client_for(coordinator).post(
        BULK, {"group": group_key("credential_rejected", jane.pk), "next": "/dashboard/?status=failed"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/?status=failed"
    for job in group:
        job.refresh_from_db()
        assert job.status == PublishJob.Status.QUEUED and job.error_code == ""
        event = JobEvent.objects.get(job=job, kind="retry")
        assert event.actor == coordinator and event.stage == "upload"
    for job in (other_cause, other_producer_same_cause):
        job.refresh_from_db()
        assert job.status == PublishJob.Status.FAILED
    messages = [m.message for m in response.wsgi_request._messages]
    assert messages == ["Retrying 3 jobs."]


def test_bulk_retry_respects_filters_and_visibility(jane, producer, client_for):
    mine_a = make_failed(producer, "ftrack_unavailable", project_id="p-a")
    mine_b = make_failed(producer, "ftrack_unavailable", project_id="p-b")
    janes = make_failed(jane, "ftrack_unavailable", project_id="p-a")
    client_for(producer).post(BULK, {"group": "ftrack_unavailable", "project": "p-a"})
    statuses = {job.pk: PublishJob.objects.get(pk=job.pk).status for job in (mine_a, mine_b, janes)}
    assert statuses == {mine_a.pk: "queued", mine_b.pk: "failed", janes.pk: "failed"}


def test_bulk_retry_ignores_forged_groups_and_external_next(producer, coordinator, client_for):
    job = make_failed(producer, "credential_rejected")
    client = client_for(coordinator)
    for forged in ("credential_rejected", "credential_rejected:abc", "x' OR 1=1", "", "ftrack_unavailable:5"):
        response = client.post(BULK, {"group": forged, "next": "https://evil.example/"})
        assert response.status_code == 302
        assert response["Location"] == "/dashboard/"
    job.refresh_from_db()
    assert job.status == PublishJob.Status.FAILED


@pytest.mark.parametrize("method", ["get", "put"])
def test_bulk_retry_only_by_post(coordinator, client_for, method):
    assert getattr(client_for(coordinator), method)(BULK).status_code == 405


def test_bulk_retry_refuses_anonymous_and_outsider(client, outsider, producer, client_for):
    job = make_failed(producer, "ftrack_unavailable")
    response = client.post(BULK, {"group": "ftrack_unavailable"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client_for(outsider).post(BULK, {"group": "ftrack_unavailable"}).status_code == 403
    job.refresh_from_db()
    assert job.status == PublishJob.Status.FAILED


def test_bulk_retry_needs_csrf_token(producer, coordinator):
    from django.test import Client

    make_failed(producer, "ftrack_unavailable")
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    assert client.post(BULK, {"group": "ftrack_unavailable"}).status_code == 403


def test_group_keys_round_trip():
    assert parse_group_key(group_key("credential_rejected", 7)) == ("credential_rejected", 7)
    assert parse_group_key(group_key("encode_failed", 7)) == ("encode_failed", None)
    assert parse_group_key("encode_failed:7") is None
    assert parse_group_key("missing_credential") is None


# --- advice addressed to the viewer when the key at fault is their own ----------------------------
def test_producer_is_told_to_fix_their_own_key(producer, client_for):
    make_failed(producer, "credential_rejected")
    make_failed(producer, "credential_rejected")
    make_failed(producer, "missing_credential")
    html = client_for(producer).get("/dashboard/").content.decode()
    assert (
        '<strong>ftrack rejected your API key</strong> — update it on your <a href="/credentials/">Credentials page</a>, '
        "then retry: 2 jobs"
    ) in html
    assert (
        '<strong>You have no ftrack API key on file</strong> — add one on your <a href="/credentials/">'
        in html
    )
    # The failed row says the same, in the second person.
    assert (
        'ftrack rejected your API key: update it on your <a href="/credentials/">Credentials page</a>' in html
    )
    assert f"ask {producer.username}" not in html
    assert f"API key for {producer.username}" not in html


def test_coordinator_sees_third_person_and_their_own_key_in_second(jane, coordinator, client_for):
    make_failed(jane, "credential_rejected")
    make_failed(coordinator, "credential_rejected")
    html = client_for(coordinator).get("/dashboard/").content.decode()
    assert (
        "<strong>ftrack rejected the API key for jane</strong> — ask jane to update it on the credentials page"
        in html
    )
    assert "<strong>ftrack rejected your API key</strong> — update it on your" in html
    assert f"API key for {coordinator.username}" not in html


def test_service_key_advice_depends_on_who_can_fix_it(producer, admin_user, client_for):
    make_failed(producer, "service_key_rejected")
    html = client_for(producer).get("/dashboard/").content.decode()
    assert "ask an admin to update it on the service keys page, then retry: 1 job" in html
    html = client_for(admin_user).get("/dashboard/").content.decode()
    assert "ask an admin" not in html
    assert (
        '— update it on the <a href="/admin-tools/service-keys/">service keys page</a>, then retry: 1 job'
        in html
    )


def test_job_page_speaks_to_the_owner(producer, coordinator, client_for):
    job = make_failed(producer, "credential_rejected")
    own = client_for(producer).get(f"/jobs/{job.pk}/").content.decode()
    assert '<strong>ftrack rejected your API key</strong> — update it on your <a href="/credentials/">' in own
    theirs = client_for(coordinator).get(f"/jobs/{job.pk}/").content.decode()
    assert (
        f"<strong>ftrack rejected the API key for {producer.username}</strong> — ask {producer.username}"
        in theirs
    )


def test_owner_names_in_advice_stay_escaped():
    from publishing.core.failures import describe

    cause, advice = describe("credential_rejected", producer="<b>x</b>")
    assert "<b>" in cause  # plain text: the template escapes it
    assert not hasattr(advice, "__html__")
    _, own_advice = describe("credential_rejected", producer="<b>x</b>", own=True)
    assert hasattr(own_advice, "__html__") and "<b>" not in own_advice
