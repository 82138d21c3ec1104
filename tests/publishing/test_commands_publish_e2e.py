"""``manage.py publish --wait`` end to end: a real Celery worker publishes to the dev server.

The worker fixtures come from tests/pipeline_fixtures.py (a plugin of tests/conftest.py).
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from factories import make_movie
from ftrack_support import give_credential
from pipeline_support import admin_session

from publishing.models import PublishJob

CONTEXT = "demo/sq010/sh010/compositing"


@pytest.fixture
def publisher(producer, pipeline):
    give_credential(producer, "producer")
    return producer


def test_publish_waits_until_published(publisher, pipeline, ftrack_server, tmp_path):
    movie = make_movie(tmp_path / "plate.mov")
    out = StringIO()
    call_command(
        "publish", str(movie), "--context", CONTEXT, "--asset", "cli_plate", "--comment", "from the shell",
        "--reviewer", "reviewer.ana", "--user", publisher.username, "--wait", "--timeout", "120", "--poll", "0.2",
        stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    job = PublishJob.objects.get(batch__owner=publisher)
    assert job.status == "published", text
    assert "Staged plate.mov" in text and "Publishing" in text
    assert f"Published cli_plate v{job.ftrack_version_number}" in text
    assert job.batch.reviewers[0]["username"] == "reviewer.ana"
    session = admin_session(ftrack_server)
    try:
        version = session.query(
            f'select comment, asset.name from AssetVersion where id is "{job.ftrack_version_id}"'
        ).one()
        assert version["comment"] == "from the shell" and version["asset"]["name"] == "cli_plate"
    finally:
        session.close()
    upload = job.uploads.get()
    assert upload.state == "ready" and upload.md5_base64 and upload.filename == "plate.mov"
