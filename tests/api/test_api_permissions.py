"""Every API endpoint for every member of the cast: anonymous 401, outsider 403, a producer sees
only their own objects (someone else's are 404), coordinators and admins see everything."""

from __future__ import annotations

import pytest
from api_support import CAST, make_job
from factories import make_upload

from publishing.models import PublishJob

MEMBERS = {"producer", "other_producer", "coordinator", "admin_user"}
SEES_ALL = {"coordinator", "admin_user"}


def _expected_for_own_object(role: str, ok: int = 200) -> int:
    """Status for an object that belongs to ``producer``."""
    if role == "anonymous":
        return 401
    if role == "outsider":
        return 403
    if role == "other_producer":
        return 404
    return ok


def _assert_error_shape(response, status: int) -> None:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]


@pytest.mark.parametrize("role", CAST)
@pytest.mark.parametrize(
    "url",
    ["/api/me/", "/api/batches/", "/api/jobs/", "/api/uploads/", "/api/schema/", "/api/ftrack/projects/"],
)
def test_collections_refuse_anonymous_and_outsiders(role, url, cast, api_for):
    response = api_for(cast[role]).get(url)
    if role == "anonymous":
        _assert_error_shape(response, 401)
        assert response["WWW-Authenticate"] == "Token"
    elif role == "outsider":
        _assert_error_shape(response, 403)
    elif url == "/api/ftrack/projects/":
        # Members get through to ftrack; with no ftrack key stored that is a 409 telling them so.
        _assert_error_shape(response, 409)
        assert response.json()["error"]["code"] == "missing_credential"
    else:
        assert response.status_code == 200, response.content


@pytest.mark.parametrize("role", CAST)
def test_lists_show_own_objects_or_everything_to_coordinators(role, cast, api_for, jobs):
    client = api_for(cast[role])
    batches, job_list, uploads = (client.get(f"/api/{name}/") for name in ("batches", "jobs", "uploads"))
    if role not in MEMBERS:
        assert {batches.status_code, job_list.status_code, uploads.status_code} == {
            401 if role == "anonymous" else 403
        }
        return
    everyone = {jobs["producer"].batch.owner.username, jobs["other_producer"].batch.owner.username}
    expected = everyone if role in SEES_ALL else {cast[role].username} & everyone
    for page in (batches.json(), job_list.json()):
        assert set(page) == {"count", "next", "previous", "results"}
        assert {row["producer"] for row in page["results"]} == expected
        assert page["count"] == len(expected)
    # Uploads are private to their creator, whatever the role.
    own_uploads = uploads.json()["results"]
    assert all(row["filename"] in {f"{j.asset_name}.mov" for j in jobs.values()} for row in own_uploads)
    assert len(own_uploads) == (1 if role in ("producer", "other_producer") else 0)


@pytest.mark.parametrize("role", CAST)
@pytest.mark.parametrize("kind", ["batches", "jobs"])
def test_details_of_the_producers_objects(role, kind, cast, api_for, jobs):
    job = jobs["producer"]
    object_id = job.batch_id if kind == "batches" else job.pk
    response = api_for(cast[role]).get(f"/api/{kind}/{object_id}/")
    expected = _expected_for_own_object(role)
    if expected != 200:
        _assert_error_shape(response, expected)
        return
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == object_id and body["producer"] == "pia.producer"
    if kind == "batches":
        assert [j["id"] for j in body["jobs"]] == [job.pk]
        assert body["job_count"] == 1 and body["failed_count"] == 1
    else:
        assert body["files"][0]["filename"] == "plate.mov"
        assert [e["kind"] for e in body["events"]] == []


@pytest.mark.parametrize("role", CAST)
def test_upload_detail_is_only_for_its_creator(role, cast, api_for, producer):
    upload = make_upload(producer, filename="shot.png", state="ready", kind="image")
    response = api_for(cast[role]).get(f"/api/uploads/{upload.pk}")
    # 404 for everyone but its creator, outsiders included: the tus methods at this address say the same.
    expected = {"anonymous": 401, "producer": 200}.get(role, 404)
    if expected != 200:
        _assert_error_shape(response, expected)
        return
    body = response.json()
    assert body["id"] == str(upload.pk) and body["state"] == "ready"
    assert "storage_path" not in body and "patch_lock" not in body


@pytest.mark.parametrize("role", CAST)
@pytest.mark.parametrize(
    ("action", "status", "after"), [("retry", "failed", "queued"), ("cancel", "queued", "cancelled")]
)
def test_retry_and_cancel(
    role, action, status, after, cast, api_for, producer, enqueued, django_capture_on_commit_callbacks
):
    job = make_job(producer, status=status)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(cast[role]).post(f"/api/jobs/{job.pk}/{action}/")
    expected = _expected_for_own_object(role)
    job.refresh_from_db()
    if expected != 200:
        _assert_error_shape(response, expected)
        assert job.status == status
        return
    assert response.status_code == 200, response.content
    assert response.json()["status"] == after == job.status
    event = job.events.get(kind=action)
    assert event.actor == cast[role]
    assert enqueued == ([job.pk] if action == "retry" else [])


def test_retry_of_a_job_that_did_not_fail_is_409(api_for, producer, enqueued):
    job = make_job(producer, status=PublishJob.Status.PUBLISHED)
    response = api_for(producer).post(f"/api/jobs/{job.pk}/retry/")
    _assert_error_shape(response, 409)
    assert response.json()["error"]["code"] == "invalid_state"
    assert api_for(producer).post(f"/api/jobs/{job.pk}/cancel/").status_code == 409
    assert enqueued == []


@pytest.mark.parametrize("role", CAST)
def test_only_producers_and_admins_create_batches(role, cast, api_for):
    response = api_for(cast[role]).post("/api/batches/", {}, format="json")
    if role in ("anonymous", "outsider", "coordinator"):
        _assert_error_shape(response, {"anonymous": 401}.get(role, 403))
    else:
        # Allowed through; the empty body is then refused field by field.
        _assert_error_shape(response, 400)
        assert {"context_id", "items"} <= set(response.json()["error"]["details"]["errors"])
