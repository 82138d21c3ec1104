"""Creating a batch over the API against the ftrack dev server (the worker is not needed: the
queue hand-over is recorded)."""

from __future__ import annotations

import pytest
from factories import make_movie, make_upload
from ftrack_support import give_credential


def _ready_upload(owner, path):
    from publishing.uploads.services import Chunk, upload_create, upload_receive

    size = path.stat().st_size
    upload = upload_create(owner=owner, size=size, metadata={"filename": path.name})
    with open(path, "rb") as fh:
        return upload_receive(upload=upload, chunk=Chunk(offset=0, length=size, stream=fh))


@pytest.fixture
def task(ftrack, producer, api_for):
    give_credential(producer, "producer")
    found = api_for(producer).get("/api/ftrack/search/", {"q": "compositing"}).json()
    return next(row for row in found if row["path"] == "demo / sq010 / sh010 / compositing")


def test_producer_publishes_a_ready_upload(
    task, producer, api_for, tmp_path, enqueued, django_capture_on_commit_callbacks
):
    upload = _ready_upload(producer, make_movie(tmp_path / "plate.mov"))
    assert upload.state == "ready"
    reviewers = api_for(producer).get("/api/ftrack/users/").json()
    ana = next(u for u in reviewers if u["username"] == "reviewer.ana")
    body = {
        "context_id": task["id"],
        "asset_type": "Upload",
        "comment": "first look",
        "reviewers": [ana["id"]],
        "items": [{"kind": "movie", "asset_name": "plate", "upload_ids": [str(upload.pk)]}],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(producer).post("/api/batches/", body, format="json")
    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["producer"] == "pia.producer" and batch["comment"] == "first look"
    assert [r["username"] for r in batch["reviewers"]] == ["reviewer.ana"]
    (job,) = batch["jobs"]
    assert job["context_path"] == "demo / sq010 / sh010 / compositing"
    assert job["status"] == "queued" and job["files"][0]["upload_id"] == str(upload.pk)
    assert enqueued == [job["id"]]
    assert api_for(producer).get(f"/api/batches/{batch['id']}/").json()["jobs"][0]["id"] == job["id"]


def test_batch_problems_come_back_per_field_and_item(task, producer, other_producer, api_for, enqueued):
    theirs = make_upload(other_producer, state="ready", kind="movie")
    body = {
        "context_id": task["id"],
        "asset_type": "NoSuchType",
        "items": [{"kind": "movie", "asset_name": "plate", "upload_ids": [str(theirs.pk)]}],
    }
    response = api_for(producer).post("/api/batches/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "asset_type" in error["details"]["errors"]
    # Someone else's upload is simply "not found".
    assert "not found" in error["details"]["item_errors"][0]["upload_ids"][0]
    assert enqueued == []


def test_unknown_context_is_refused(ftrack, producer, api_for, enqueued):
    give_credential(producer, "producer")
    upload = make_upload(producer, state="ready", kind="movie")
    body = {
        "context_id": "no-such-context",
        "items": [{"kind": "movie", "asset_name": "a", "upload_ids": [str(upload.pk)]}],
    }
    response = api_for(producer).post("/api/batches/", body, format="json")
    assert response.status_code == 400
    assert "context_id" in response.json()["error"]["details"]["errors"]


FTRACK_IDENTITY = {
    "producer": "producer",
    "other_producer": "producer",
    "coordinator": "coordinator",
    "admin_user": "admin",
}


@pytest.mark.parametrize("role", list(FTRACK_IDENTITY))
def test_ftrack_browsing_answers_every_member_with_their_own_key(role, ftrack, cast, api_for):
    user = cast[role]
    give_credential(user, FTRACK_IDENTITY[role])
    client = api_for(user)
    projects = client.get("/api/ftrack/projects/")
    assert projects.status_code == 200
    names = {p["name"] for p in projects.json()}
    # ftrack's own permissions apply: only coordinator and admin are members of "secret".
    assert ("secret" in names) == (role in ("coordinator", "admin_user")) and "demo" in names
    demo = next(p for p in projects.json() if p["name"] == "demo")
    assert {c["name"] for c in client.get(f"/api/ftrack/children/?parent={demo['id']}").json()} >= {"sq010"}
    assert client.get("/api/ftrack/search/?q=sh010").status_code == 200
    assert "reviewer.ana" in {u["username"] for u in client.get("/api/ftrack/users/").json()}
    assert "Upload" in {t["name"] for t in client.get("/api/ftrack/asset-types/").json()}
