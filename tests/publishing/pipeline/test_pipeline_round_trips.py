"""API round trips per publish on a warm session, counted from the dev server's request log.

Target (issue 4): at most 8 calls to ``/api`` per publish, not counting the polling of the encode
Job. The publisher runs in this process (no Celery) so that only its own calls are in the log slice.
"""

from __future__ import annotations

import pytest
from factories import make_movie, make_png
from ftrack_support import give_credential, last_seq, request_entries
from inprocess import queued_job
from pipeline_support import admin_session, api_round_trips, ready_upload, task_id, user_id

from publishing.pipeline.publisher import publish

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def where(ftrack_server):
    session = admin_session(ftrack_server)
    try:
        yield {
            "task": task_id(session, sequence="sq010", shot="sh030"),
            "ana": user_id(session, "reviewer.ana"),
        }
    finally:
        session.close()


def _publish_and_count(producer, ftrack_server, where, media, *, kind: str, name: str, encode=True):
    upload = ready_upload(producer, media)
    job = queued_job(
        producer,
        where["task"],
        [upload],
        asset_name=name,
        kind=kind,
        encode=encode,
        reviewers=[{"id": where["ana"], "username": "reviewer.ana"}],
    )
    mark = last_seq(ftrack_server)
    assert publish(job.pk) == "published"
    entries = [e for e in request_entries(ftrack_server) if e["seq"] > mark]
    job.refresh_from_db()
    return job, api_round_trips(entries, user="producer"), entries


def test_a_warm_publish_takes_at_most_eight_round_trips(producer, inprocess, ftrack_server, where, tmp_path):
    give_credential(producer, "producer")
    # The first publish of the process opens the session (server information, schemas).
    _publish_and_count(
        producer, ftrack_server, where, make_png(tmp_path / "warm.png"), kind="image", name="rt-warm"
    )

    movie, movie_calls, movie_entries = _publish_and_count(
        producer, ftrack_server, where, make_movie(tmp_path / "rt.mov"), kind="movie", name="rt-movie"
    )
    still, still_calls, _ = _publish_and_count(
        producer, ftrack_server, where, make_png(tmp_path / "rt.png"), kind="image", name="rt-still"
    )

    browser, browser_calls, _ = _publish_and_count(
        producer,
        ftrack_server,
        where,
        make_movie(tmp_path / "rt.mp4"),
        kind="movie",
        name="rt-mp4",
        encode=False,
    )

    assert movie.ftrack_encode_job_id  # the encode route, the expensive one
    assert not browser.ftrack_encode_job_id and browser.ftrack_thumbnail_id  # the pre-encoded route
    assert len(browser_calls) <= 8, "\n".join(map(str, browser_calls))
    assert len(movie_calls) <= 8, "\n".join(map(str, movie_calls))
    assert len(still_calls) <= 8, still_calls
    # The polling really happened and was what we left out; nothing re-read the schemas.
    assert any(e["action"] == "query" and e["entity_type"] == "Job" for e in movie_entries)
    assert not any(e["action"] in ("query_schemas", "query_server_information") for e in movie_entries)
    # The source went up as one PUT per component: the main file, then the encode made the rest.
    assert [e["action"] for e in movie_entries].count("upload") == 1
