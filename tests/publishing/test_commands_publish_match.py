"""``manage.py publish FILES... --match-names``: the plan, --dry-run, exit 2 for unplaced files."""

from __future__ import annotations

import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from factories import make_movie

sys.path.insert(0, str(Path(__file__).resolve().parent / "ftrack"))

from ftrack_support import give_credential  # noqa: E402

from publishing.models import PublishBatch  # noqa: E402
from publishing.pipeline import jobs  # noqa: E402


@pytest.fixture
def publisher(producer, portal_on_devserver, monkeypatch):
    give_credential(producer, "producer")
    monkeypatch.setattr(jobs, "job_enqueue", lambda job_id, **kw: None)  # no worker in these tests
    return producer


@pytest.fixture
def delivery(tmp_path):
    folder = tmp_path / "turnover" / "sq020" / "sh030" / "comp"
    folder.mkdir(parents=True)
    return [
        make_movie(tmp_path / "sq010_sh020_comp_v003.mov"),
        make_movie(tmp_path / "SQ010-SH010-anim-v001.mp4"),
        make_movie(folder / "plate.mov"),
    ]


def publish(*args) -> str:
    out = StringIO()
    call_command("publish", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def test_dry_run_prints_the_plan_and_stages_nothing(publisher, delivery):
    out = publish(*delivery, "--match-names", "--project", "demo", "--user", publisher.username, "--dry-run")
    assert "sq010_sh020_comp_v003.mov → demo / sq010 / sh020 / compositing, asset sh020_comp, v001" in out
    assert "warning: The name says v003 but ftrack will make v001." in out
    assert "SQ010-SH010-anim-v001.mp4 → demo / sq010 / sh010 / animation, asset sh010_anim, v001" in out
    assert "plate.mov → demo / sq020 / sh030 / compositing" in out
    assert "Nothing was sent" in out and not PublishBatch.objects.exists()


def test_match_names_publishes_each_file_to_its_own_task(
    publisher, delivery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        out = publish(*delivery, "--match-names", "--project", "demo", "--user", publisher.username)
    assert "3 job(s) queued" in out
    (batch,) = PublishBatch.objects.all()
    assert sorted(batch.jobs.values_list("context_path", "asset_name")) == [
        ("demo / sq010 / sh010 / animation", "sh010_anim"),
        ("demo / sq010 / sh020 / compositing", "sh020_comp"),
        ("demo / sq020 / sh030 / compositing", "sh030_comp"),
    ]


def test_unplaced_files_exit_2_unless_a_context_default_is_given(publisher, delivery, tmp_path):
    odd = make_movie(tmp_path / "reference.mov")
    with pytest.raises(CommandError) as refused:
        publish(*delivery, odd, "--match-names", "--project", "demo", "--user", publisher.username)
    assert refused.value.returncode == 2 and "reference.mov" in str(refused.value)
    assert "plate.mov" not in str(refused.value).split("Not placed")[1]
    assert not PublishBatch.objects.exists()
    out = publish(
        odd,
        "--match-names",
        "--context",
        "demo/sq010/sh030/compositing",
        "--user",
        publisher.username,
        "--dry-run",
    )
    assert "reference.mov → demo / sq010 / sh030 / compositing (--context default" in out
    with pytest.raises(CommandError) as refused:
        publish(odd, "--match-names", "--project", "secret", "--user", publisher.username)
    assert refused.value.returncode == 2
