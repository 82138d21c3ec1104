"""``manage.py publish``: usage errors, context paths, --dry-run against the dev server."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from factories import make_movie, make_png

sys.path.insert(0, str(Path(__file__).resolve().parent / "ftrack"))

from ftrack_support import actions_since, give_credential, last_seq  # noqa: E402

from publishing.management.commands._publish_files import group_items  # noqa: E402
from publishing.models import PublishBatch, Upload  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CONTEXT = "demo/sq010/sh010/compositing"


@pytest.fixture
def ftrack(portal_on_devserver):
    """The portal pointed at the dev server, with fresh sessions and no cached answers."""
    return portal_on_devserver


@pytest.fixture
def publisher(producer, ftrack):
    give_credential(producer, "producer")
    return producer


def publish(*args) -> str:
    out = StringIO()
    call_command("publish", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def refused(*args) -> CommandError:
    with pytest.raises(CommandError) as info:
        publish(*args)
    return info.value


def test_frames_group_into_sequences_and_movies_stay_single(tmp_path):
    names = [
        "plate.1001.exr",
        "plate.1002.exr",
        "plate.1003.exr",
        "shot_v002.mov",
        "still.png",
        "bg_0010.png",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    items = group_items([tmp_path / name for name in names])
    assert [(i.kind, len(i.paths)) for i in items] == [
        ("sequence", 3),
        ("movie", 1),
        ("image", 1),
        ("image", 1),
    ]
    assert items[0].pattern == "plate.%04d.exr" and items[0].frames == [1001, 1002, 1003]


def test_usage_problems_exit_2(tmp_path, producer, outsider):
    movie = tmp_path / "a.mov"
    movie.write_bytes(b"not really")
    assert (
        refused(
            tmp_path / "missing.mov", "--context", CONTEXT, "--asset", "a", "--user", "pia.producer"
        ).returncode
        == 2
    )
    notes = tmp_path / "notes.txt"
    notes.write_text("hi")
    assert "cannot be published" in str(
        refused(notes, "--context", CONTEXT, "--asset", "a", "--user", "pia.producer")
    )
    error = refused(movie, "--context", CONTEXT, "--asset", "a", "--user", "nobody")
    assert error.returncode == 2 and "nobody" in str(error)
    error = refused(movie, "--context", CONTEXT, "--asset", "a", "--user", outsider.username)
    assert error.returncode == 2 and "may not publish" in str(error)
    # No ftrack key yet: told so, nothing staged.
    error = refused(movie, "--context", CONTEXT, "--asset", "a", "--user", producer.username)
    assert error.returncode == 2 and "API key" in str(error)
    assert not Upload.objects.exists()


def test_real_exit_code_of_a_usage_error(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "publish",
            str(tmp_path / "gone.mov"),
            "--context",
            CONTEXT,
            "--asset",
            "a",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "No such file" in result.stderr


def test_bad_context_names_the_missing_part(publisher, tmp_path):
    movie = make_movie(tmp_path / "plate.mov")
    error = refused(
        movie, "--context", "demo/sq010/sh999/compositing", "--asset", "plate", "--user", publisher.username
    )
    assert error.returncode == 2
    assert "sh999" in str(error) and "sh010" in str(error)  # what is missing, and what is there
    assert "No ftrack project named “secret”" in str(
        refused(
            movie, "--context", "secret/sq900/sh900/compositing", "--asset", "p", "--user", publisher.username
        )
    )
    assert (
        refused(
            movie, "--context", CONTEXT, "--asset", "p", "--type", "Nope", "--user", publisher.username
        ).returncode
        == 2
    )
    assert (
        refused(
            movie, "--context", CONTEXT, "--asset", "p", "--reviewer", "nobody", "--user", publisher.username
        ).returncode
        == 2
    )
    assert not Upload.objects.exists() and not PublishBatch.objects.exists()


def test_dry_run_prints_the_operations_and_sends_none(publisher, ftrack, tmp_path):
    movie = make_movie(tmp_path / "plate.mov")
    frames = [make_png(tmp_path / f"comp.{n}.png") for n in (1001, 1002)]
    mark = last_seq(ftrack)
    out = publish(
        movie, *frames, "--context", CONTEXT, "--asset", "plate", "--comment", "look", "--reviewer", "reviewer.ana",
        "--user", publisher.username, "--dry-run",
    )  # fmt: skip
    assert "demo / sq010 / sh010 / compositing" in out
    assert out.count("create AssetVersion(") == 2
    assert out.count("create Asset(") == 1  # both versions of one new asset
    assert "padding=4" in out
    assert "comment='look'" in out
    assert out.count("create SequenceComponent(") == 1
    assert out.count("create FileComponent(") == 3  # the movie and two frames
    assert "create ComponentLocation(" in out
    actions = actions_since(ftrack, mark, user="producer")
    assert actions["query"] > 0
    assert not {"create", "update", "delete"} & set(actions), actions
    assert not Upload.objects.exists() and not PublishBatch.objects.exists()


def test_wait_exits_1_with_the_reason_when_a_job_failed(producer):
    from publishing.management.commands.publish import Command
    from publishing.models import PublishJob

    batch = PublishBatch.objects.create(owner=producer)
    PublishJob.objects.create(
        batch=batch, context_id="c", asset_name="done", status="published", stage="done"
    )
    PublishJob.objects.create(
        batch=batch, context_id="c", asset_name="doomed", status="failed", stage="upload",
        error_code="staging_missing", error_message="The staged file is gone.",
    )  # fmt: skip
    command = Command(stdout=StringIO())
    with pytest.raises(CommandError) as info:
        command._wait(batch, timeout=5, poll=0.05)
    assert info.value.returncode == 1
    assert "doomed" in str(info.value) and "The staged file is gone." in str(info.value)
    assert "done" not in str(info.value)


def test_rejected_ftrack_key_exits_1(producer, ftrack, tmp_path):
    give_credential(producer, "producer", api_key="not-the-key")
    movie = make_movie(tmp_path / "plate.mov")
    error = refused(movie, "--context", CONTEXT, "--asset", "p", "--user", producer.username)
    assert error.returncode == 1
    assert "rejected" in str(error) and "not-the-key" not in str(error)
