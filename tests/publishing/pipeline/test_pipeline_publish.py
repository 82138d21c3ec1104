"""Publishing end to end: a real worker publishes movies, stills and sequences to the dev server."""

from __future__ import annotations

import pytest
from factories import make_movie, make_png
from ftrack_support import actions_since, give_credential, last_seq
from pipeline_support import (
    admin_session,
    ftrack_version_state,
    ready_upload,
    submit,
    task_id,
    user_id,
    wait_for_jobs,
)

from publishing.models import JobEvent, Notification


@pytest.fixture
def ftrack(pipeline, ftrack_server):
    session = admin_session(ftrack_server)
    yield session
    session.close()


@pytest.fixture
def publisher(producer, pipeline):
    give_credential(producer, "producer")
    return producer


def _assert_playable(state: dict, *, review_name: str) -> dict:
    assert state["components"]["main"] in state["stored"]
    review_id = state["components"][review_name]
    assert review_id in state["stored"]
    thumbnail = state["version"]["thumbnail_id"]
    assert thumbnail and thumbnail in state["stored"]
    return state["ftr_meta"][review_id]


def test_movie_is_encoded_noted_and_mailed(publisher, ftrack, pipeline, tmp_path, ftrack_server):
    movie = ready_upload(publisher, make_movie(tmp_path / "plate.mov"))
    ana, ben = user_id(ftrack, "reviewer.ana"), user_id(ftrack, "reviewer.ben")
    batch = submit(
        publisher,
        task_id(ftrack),
        [{"kind": "movie", "asset_name": "plate", "upload_ids": [str(movie.pk)]}],
        reviewers=[ana, ben],
    )
    (job,) = wait_for_jobs(batch, worker=pipeline["worker"])
    assert job.status == "published", job.error_message
    assert job.stage == "done"
    assert set(job.stage_durations) == {"version", "upload", "encode", "verify", "notify"}
    assert job.ftrack_encode_job_id
    assert job.review_url and job.ftrack_version_id in job.review_url

    state = ftrack_version_state(ftrack, job.ftrack_version_id)
    assert state["version"]["task_id"] == task_id(ftrack)
    assert state["status"] == "Pending review"
    meta = _assert_playable(state, review_name="ftrackreview-mp4")
    assert meta["frameRate"] > 0 and meta["width"] > 0

    note = ftrack.query(
        f'select id, content, user_id from Note where parent_id is "{job.ftrack_version_id}"'
    ).one()
    assert note["id"] == job.ftrack_note_id
    assert "plate" in note["content"] and "Please review" in note["content"]
    recipients = {
        r["resource_id"]
        for r in ftrack.query(f'select resource_id from Recipient where note_id is "{note["id"]}"')
    }
    assert recipients == {ana, ben, user_id(ftrack, "producer")}

    (message,) = pipeline["smtp"].messages
    assert set(message[0]) == {"reviewer.ana@example.com", "reviewer.ben@example.com", publisher.email}
    assert "plate" in message[1]
    assert Notification.objects.filter(user=publisher).count() == 1
    assert JobEvent.objects.filter(job=job, kind="published").exists()


def test_still_sequence_and_browser_movie_in_one_batch(publisher, ftrack, pipeline, tmp_path, ftrack_server):
    still = ready_upload(publisher, make_png(tmp_path / "still.png", size="80x60"))
    frames = []
    for frame in range(1001, 1006):
        frames.append(ready_upload(publisher, make_png(tmp_path / f"comp.{frame:04d}.png")))
    mp4 = ready_upload(publisher, make_movie(tmp_path / "anim.mp4"))
    batch = submit(
        publisher,
        task_id(ftrack, shot="sh020"),
        [
            {"kind": "image", "asset_name": "keyframe", "upload_ids": [str(still.pk)]},
            {
                "kind": "sequence",
                "asset_name": "comp",
                "upload_ids": [str(f.pk) for f in frames],
                "frames": list(range(1001, 1006)),
                "pattern": "comp.%04d.png",
            },
            {"kind": "movie", "asset_name": "anim", "upload_ids": [str(mp4.pk)]},
        ],
        encode=False,  # the mp4 is browser-ready: pre-encoded route, no ftrack encode
    )
    image_job, sequence_job, movie_job = wait_for_jobs(batch, worker=pipeline["worker"])
    for job in (image_job, sequence_job, movie_job):
        assert job.status == "published", (job.asset_name, job.error_message)

    image = ftrack_version_state(ftrack, image_job.ftrack_version_id)
    meta = _assert_playable(image, review_name="ftrackreview-image")
    assert meta == {"format": "image", "width": 80, "height": 60}

    sequence = ftrack_version_state(ftrack, sequence_job.ftrack_version_id)
    meta = _assert_playable(sequence, review_name="ftrackreview-mp4")
    assert (meta["frameIn"], meta["frameOut"]) == (1001, 1005)
    assert (meta["width"], meta["height"]) == (64, 48) and meta["frameRate"] > 0
    container = ftrack.query(
        f'select id, padding from SequenceComponent where id is "{sequence_job.ftrack_component_id}"'
    ).one()
    assert container["padding"] == 4
    members = ftrack.query(
        f'select id, name from FileComponent where container_id is "{container["id"]}"'
    ).all()
    assert sorted(m["name"] for m in members) == ["1001", "1002", "1003", "1004", "1005"]

    movie = ftrack_version_state(ftrack, movie_job.ftrack_version_id)
    meta = _assert_playable(movie, review_name="ftrackreview-mp4")
    assert meta["frameOut"] == 24 and meta["frameRate"] == 25
    assert not movie_job.ftrack_encode_job_id

    assert len(pipeline["smtp"].messages) == 1  # one email for the whole batch


def test_second_publish_fetches_no_schemas_and_reuses_the_asset(
    publisher, ftrack, pipeline, tmp_path, ftrack_server
):
    context = task_id(ftrack, shot="sh030")
    first = submit(
        publisher,
        context,
        [
            {
                "kind": "image",
                "asset_name": "board",
                "upload_ids": [str(ready_upload(publisher, make_png(tmp_path / "a.png")).pk)],
            }
        ],
    )
    (job1,) = wait_for_jobs(first, worker=pipeline["worker"])
    mark = last_seq(ftrack_server)
    second = submit(
        publisher,
        context,
        [
            {
                "kind": "image",
                "asset_name": "board",
                "upload_ids": [str(ready_upload(publisher, make_png(tmp_path / "b.png")).pk)],
            }
        ],
    )
    (job2,) = wait_for_jobs(second, worker=pipeline["worker"])
    assert job1.status == job2.status == "published"
    assert actions_since(ftrack_server, mark, user="producer")["query_schemas"] == 0
    assert job2.ftrack_asset_id == job1.ftrack_asset_id
    assert job2.ftrack_version_number == job1.ftrack_version_number + 1
