"""``manage.py publish --wait`` end to end: a real Celery worker publishes to the dev server.

The worker fixtures are the pipeline tests' own (tests/publishing/pipeline/conftest.py), loaded
under a private module name because a conftest only serves its own folder.
"""

from __future__ import annotations

import importlib.util
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from factories import make_movie

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "ftrack"))
sys.path.insert(0, str(HERE / "pipeline"))

_spec = importlib.util.spec_from_file_location("pipeline_worker_fixtures", HERE / "pipeline" / "conftest.py")
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)
smtp_sink, pipeline_env, worker, pipeline = (
    _fixtures.smtp_sink,
    _fixtures.pipeline_env,
    _fixtures.worker,
    _fixtures.pipeline,
)

from ftrack_support import give_credential  # noqa: E402
from pipeline_support import admin_session  # noqa: E402

from publishing.models import PublishJob  # noqa: E402

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
