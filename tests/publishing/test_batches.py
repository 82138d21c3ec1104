"""The upload page's submit (``POST /api/batches/`` with the page's session): one batch, one queued job per
item, all-or-nothing, errors per field and per item."""

from __future__ import annotations

import json

import pytest
from factories import make_upload

from publishing.core.crypto import encrypt_secret
from publishing.models import FtrackCredential, JobUpload, PublishBatch, PublishJob
from publishing.pipeline import jobs


@pytest.fixture
def ftrack(settings, ftrack_server, redis_url):
    from publishing.ftrack.sessions import close_all_sessions

    settings.FTRACK_SERVER = ftrack_server.url
    settings.REDIS_URL = redis_url
    close_all_sessions()
    yield ftrack_server
    close_all_sessions()


@pytest.fixture
def producer_ftrack(ftrack, producer):
    FtrackCredential.objects.create(
        user=producer, api_user="producer", api_key_encrypted=encrypt_secret("demo-key-producer")
    )
    return producer


@pytest.fixture
def enqueued(monkeypatch):
    """Job ids handed to the pipeline (recorded instead of sent to a broker)."""
    calls: list[int] = []
    monkeypatch.setattr(jobs, "job_enqueue", lambda job_id, **kw: calls.append(job_id))
    return calls


def _task_id(user, *path: str) -> str:
    from publishing.ftrack import browse

    project = next(p for p in browse.projects(user) if p["name"] == path[0])
    node = project["id"]
    for name in path[1:]:
        node = next(c["id"] for c in browse.children(user, node) if c["name"] == name)
    return node


@pytest.fixture
def task_id(producer_ftrack):
    return _task_id(producer_ftrack, "demo", "sq010", "sh010", "compositing")


def _post(client, payload):
    return client.post("/api/batches/", data=json.dumps(payload), content_type="application/json")


def _details(response) -> dict:
    """The refusal's ``{"errors", "item_errors"}`` (the API's error shape)."""
    error = response.json()["error"]
    assert error["code"] == "invalid", error
    return error["details"]


def _ready(owner, filename, kind="movie", **fields):
    return make_upload(owner, filename=filename, state="ready", kind=kind, **fields)


def test_submit_valid_batch_creates_queued_jobs(
    producer_ftrack, task_id, client_for, enqueued, django_capture_on_commit_callbacks
):
    from publishing.ftrack import browse

    producer = producer_ftrack
    movie = _ready(producer, "hero.mov")
    frames = [_ready(producer, f"plate.{n}.exr", kind="image") for n in (1003, 1001, 1002)]
    reviewer = next(u for u in browse.users(producer) if u["username"] == "reviewer.ana")
    payload = {
        "context_id": task_id,
        "asset_type": "Upload",
        "comment": "first pass",
        "reviewers": [reviewer["id"]],
        "encode": True,
        "items": [
            {"kind": "movie", "asset_name": "hero", "upload_ids": [str(movie.pk)]},
            {
                "kind": "sequence",
                "asset_name": "plate",
                "upload_ids": [str(u.pk) for u in frames],
                "frames": [1003, 1001, 1002],
                "pattern": "plate.%04d.exr",
            },
        ],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client_for(producer), payload)

    assert response.status_code == 201, response.content
    body = response.json()
    batch = PublishBatch.objects.get(pk=body["id"])
    assert body["url"] == f"/batches/{batch.pk}/"
    assert batch.owner == producer and batch.comment == "first pass" and batch.encode_for_review
    assert batch.reviewers == [{"id": reviewer["id"], "username": "reviewer.ana", "name": reviewer["name"]}]

    movie_job, sequence_job = batch.jobs.order_by("id")
    for job in (movie_job, sequence_job):
        assert job.status == PublishJob.Status.QUEUED and job.stage == PublishJob.Stage.QUEUED
        assert job.context_id == task_id
        assert job.context_path == "demo / sq010 / sh010 / compositing"
        assert job.project_id and job.asset_type == "Upload" and job.comment == "first pass"
    assert movie_job.kind == "movie" and list(movie_job.uploads.all()) == [movie]
    assert sequence_job.kind == "sequence" and sequence_job.sequence_pattern == "plate.%04d.exr"
    assert (sequence_job.frame_start, sequence_job.frame_end) == (1001, 1003)
    links = list(JobUpload.objects.filter(job=sequence_job).order_by("position"))
    assert [link.frame for link in links] == [1001, 1002, 1003]
    assert [link.upload.filename for link in links] == ["plate.1001.exr", "plate.1002.exr", "plate.1003.exr"]
    assert enqueued == [movie_job.pk, sequence_job.pk]


def test_submit_enqueues_only_after_commit(
    producer_ftrack, task_id, client_for, enqueued, django_capture_on_commit_callbacks
):
    movie = _ready(producer_ftrack, "a.mov")
    payload = {
        "context_id": task_id,
        "asset_type": "Upload",
        "items": [{"kind": "movie", "asset_name": "a", "upload_ids": [str(movie.pk)]}],
    }
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert _post(client_for(producer_ftrack), payload).status_code == 201
    assert enqueued == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert enqueued == [PublishJob.objects.get().pk]


def test_submit_invalid_items_create_nothing(producer_ftrack, other_producer, task_id, client_for, enqueued):
    producer = producer_ftrack
    good = _ready(producer, "good.mov")
    receiving = make_upload(producer, filename="half.mov", state="receiving")
    rejected = make_upload(producer, filename="broken.mov", state="rejected", reject_reason="no video stream")
    foreign = _ready(other_producer, "theirs.mov")
    payload = {
        "context_id": task_id,
        "asset_type": "Upload",
        "items": [
            {"kind": "movie", "asset_name": "good", "upload_ids": [str(good.pk)]},
            {"kind": "movie", "asset_name": "half", "upload_ids": [str(receiving.pk)]},
            {"kind": "movie", "asset_name": "broken", "upload_ids": [str(rejected.pk)]},
            {"kind": "movie", "asset_name": "theirs", "upload_ids": [str(foreign.pk)]},
            {"kind": "movie", "asset_name": "", "upload_ids": [str(good.pk)]},
            {"kind": "sequence", "asset_name": "seq", "upload_ids": ["not-a-uuid"], "frames": [1]},
            {"kind": "hologram", "asset_name": "x", "upload_ids": []},
        ],
    }
    response = _post(client_for(producer), payload)

    assert response.status_code == 400
    items = _details(response)["item_errors"]
    assert len(items) == 7
    assert items[0] == {}
    assert "still being uploaded" in items[1]["upload_ids"][0]
    assert "no video stream" in items[2]["upload_ids"][0]
    assert items[3]["upload_ids"] == ["An uploaded file of this item was not found."]
    assert "asset_name" in items[4]
    assert "already part of this batch" in items[4]["upload_ids"][0]
    assert "upload_ids" in items[5]
    assert "kind" in items[6] and "upload_ids" in items[6]
    assert not PublishBatch.objects.exists() and not PublishJob.objects.exists()
    assert enqueued == []


def test_submit_unknown_context_asset_type_and_reviewer_are_field_errors(producer_ftrack, client_for):
    movie = _ready(producer_ftrack, "a.mov")
    payload = {
        "context_id": "00000000-0000-0000-0000-000000000000",
        "asset_type": "NoSuchType",
        "reviewers": ["nobody"],
        "items": [{"kind": "movie", "asset_name": "a", "upload_ids": [str(movie.pk)]}],
    }
    response = _post(client_for(producer_ftrack), payload)

    assert response.status_code == 400
    errors = _details(response)["errors"]
    assert set(errors) == {"context_id", "asset_type", "reviewers"}
    assert _details(response)["item_errors"] == [{}]
    assert not PublishBatch.objects.exists()


def test_submit_context_of_a_private_project_is_refused(producer_ftrack, coordinator, client_for):
    FtrackCredential.objects.create(
        user=coordinator, api_user="coordinator", api_key_encrypted=encrypt_secret("demo-key-coordinator")
    )
    secret_task = _task_id(coordinator, "secret", "sq900", "sh900", "compositing")
    movie = _ready(producer_ftrack, "a.mov")
    payload = {
        "context_id": secret_task,
        "asset_type": "Upload",
        "items": [{"kind": "movie", "asset_name": "a", "upload_ids": [str(movie.pk)]}],
    }
    response = _post(client_for(producer_ftrack), payload)
    assert response.status_code == 400 and "context_id" in _details(response)["errors"]


def test_submit_sequence_needs_matching_frames_and_pattern(producer_ftrack, task_id, client_for):
    frames = [_ready(producer_ftrack, f"p.{n}.exr", kind="image") for n in (1, 2)]
    payload = {
        "context_id": task_id,
        "asset_type": "Upload",
        "items": [
            {"kind": "sequence", "asset_name": "p", "upload_ids": [str(u.pk) for u in frames], "frames": [1]},
            {"kind": "movie", "asset_name": "p2", "upload_ids": [str(u.pk) for u in frames]},
        ],
    }
    # The second item reuses the first item's frames: caught as "already part of this batch".
    response = _post(client_for(producer_ftrack), payload)
    assert response.status_code == 400
    first, second = _details(response)["item_errors"]
    assert "frames" in first and "pattern" in first
    assert "already part of this batch" in second["upload_ids"][0]


def test_submit_empty_or_malformed_payload(producer, client_for):
    client = client_for(producer)
    bad_json = client.post("/api/batches/", data="{nope", content_type="application/json")
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "parse_error"
    not_object = _post(client, [1, 2])
    assert not_object.status_code == 400 and "__all__" in _details(not_object)["errors"]


def test_submit_without_credential_is_409(producer, client_for):
    movie = _ready(producer, "a.mov")
    payload = {
        "context_id": "x",
        "asset_type": "Upload",
        "items": [{"kind": "movie", "asset_name": "a", "upload_ids": [str(movie.pk)]}],
    }
    response = _post(client_for(producer), payload)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "missing_credential"


def test_submit_refuses_anonymous_coordinator_outsider(client, coordinator, outsider, client_for):
    assert _post(client, {}).status_code == 401
    assert _post(client_for(coordinator), {}).status_code == 403
    assert _post(client_for(outsider), {}).status_code == 403
    # The page's old second submit address is gone: there is one way in.
    assert client_for(coordinator).post("/publish/submit/").status_code == 404


def test_submit_requires_csrf_token(producer, client_for):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(producer)
    assert _post(client, {}).status_code == 403
