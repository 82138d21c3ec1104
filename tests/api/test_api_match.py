"""POST /api/context/match/ and per-item contexts in POST /api/batches/, against a dev server seeded
with the demo studio plus ``bigshow`` (5 000 shots × 5 tasks, bench/match_seed.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from factories import flush_namespace, make_upload
from ftrack_support import give_credential, request_entries

from publishing.models import JobEvent

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ftrack_server(tmp_path_factory):
    """This module's dev server (``ftrack`` and ``portal_on_devserver`` use it): demo + bigshow."""
    from devserver_fixtures import start_devserver

    sys.path.insert(0, str(REPO / "bench"))
    from match_seed import write_seed

    data = tmp_path_factory.mktemp("ftrack-big")
    start_devserver(data, seed="demo").stop()  # users, statuses and schema the big project reuses
    seed = write_seed(tmp_path_factory.mktemp("seed") / "bigshow.json", shots=5000, tasks=5)
    server = start_devserver(data, seed=seed)
    yield server
    server.stop()


@pytest.fixture
def api(ftrack, producer, api_for):
    give_credential(producer, "producer")
    return api_for(producer)


def _match(api, project, *items, **extra):
    body = {"project": project, "items": [i if isinstance(i, dict) else {"name": i} for i in items], **extra}
    return api.post("/api/context/match/", body, format="json")


def _last_seq(server) -> int:
    return max((e.get("seq", 0) for e in request_entries(server)), default=0)


def _queries_since(server, mark: int) -> list[dict]:
    return [e for e in request_entries(server) if e.get("seq", 0) > mark and e.get("action") == "query"]


def test_match_places_the_demo_delivery_with_defaults(api):
    response = _match(
        api,
        "demo",
        "sq010_sh020_comp_v003.mov",
        {"name": "plate.1001.exr", "folder": "turnover/sq020/sh030/comp"},
        "SQ010-SH010-anim-v12.mp4",
        "sq020_sh010.mov",
        "notes.txt",
    )
    assert response.status_code == 200, response.content
    by_name, shot_only, anim, ambiguous, unplaced = response.json()["items"]
    assert by_name["status"] == "placed" and by_name["path"] == "demo / sq010 / sh020 / compositing"
    assert by_name["asset_name"] == "sh020_comp" and by_name["next_version"] == 1
    assert by_name["rule"]["position"] == 1 and by_name["reason"].startswith("rule 1: ")
    assert by_name["warnings"] == ["The name says v003 but ftrack will make v001."]
    assert shot_only["path"] == "demo / sq020 / sh030 / compositing" and "folder" in shot_only["reason"]
    assert anim["path"] == "demo / sq010 / sh010 / animation" and anim["asset_name"] == "sh010_anim"
    assert ambiguous["status"] == "ambiguous" and ambiguous["context_id"] is None
    assert {c["path"] for c in ambiguous["candidates"]} == {
        "demo / sq020 / sh010 / compositing",
        "demo / sq020 / sh010 / animation",
    }
    assert unplaced["status"] == "unplaced" and unplaced["reason"]


def test_next_version_comes_from_ftrack(api):
    (row,) = _match(api, "bigshow", "sq001_sh0007_comp_v002.mov").json()["items"]
    assert row["path"] == "bigshow / sq001 / sh0007 / compositing"
    assert (
        row["asset_name"] == "sh0007_comp"
        and row["next_version"] == 3
        and row["warnings"] == ["The name says v002 but ftrack will make v003."]
    )


def test_thousand_names_against_5000_shots_take_at_most_3_queries_cold_and_none_warm(ftrack, api):
    names = [f"sh{n:04d}_{'comp' if n % 2 else 'light'}_v001.mov" for n in range(1, 5001, 5)]
    mark = _last_seq(ftrack)
    cold = _match(api, "bigshow", *names)
    assert cold.status_code == 200
    assert len(_queries_since(ftrack, mark)) <= 3
    rows = cold.json()["items"]
    assert len(rows) == 1000 and all(r["status"] == "placed" for r in rows)
    assert rows[1]["path"] == "bigshow / sq001 / sh0006 / lighting"
    mark = _last_seq(ftrack)
    assert _match(api, "bigshow", *names).json() == cold.json()
    assert _queries_since(ftrack, mark) == []


def test_hostile_names_change_no_query(ftrack, api):
    plain = _match(api, "demo", "sq010_sh010_comp.mov")
    assert plain.status_code == 200
    from django.conf import settings

    flush_namespace(settings.REDIS_URL, ftrack.url)
    mark = _last_seq(ftrack)
    _match(api, "demo", "sq010_sh010_comp.mov")
    normal = [(e["action"], e.get("entity_type")) for e in _queries_since(ftrack, mark)]
    flush_namespace(settings.REDIS_URL, ftrack.url)
    hostile = [
        'sh010" or name like "%',
        "sh010' or 1=1 --",
        "sq010 or sh010",
        "日本語_ショット_v001.mov",
        "é" * 2000,
        {"name": "x.mov", "folder": '") or (id is_not "'},
    ]
    mark = _last_seq(ftrack)
    response = _match(api, "demo", *hostile)
    assert response.status_code == 200
    assert [(e["action"], e.get("entity_type")) for e in _queries_since(ftrack, mark)] == normal
    # a quote is no separator; "sq010 or sh010" still names shot sh010 (in two sequences: asked)
    statuses = [r["status"] for r in response.json()["items"]]
    assert statuses == ["unplaced", "unplaced", "ambiguous", "unplaced", "unplaced", "unplaced"]


def test_project_must_be_visible_and_request_well_formed(api):
    assert _match(api, "secret", "sq900_sh900_comp.mov").status_code == 404
    assert _match(api, "no such project", "a.mov").status_code == 404
    assert api.post("/api/context/match/", {"project": "demo", "items": []}, format="json").status_code == 400
    assert _match(api, "demo", "x" * 2049).status_code == 400


def test_batch_takes_a_context_per_item(api, producer, ftrack, enqueued, django_capture_on_commit_callbacks):
    rows = _match(api, "demo", "sq010_sh020_comp_v001.mov", "sq020_sh030_anim_v001.mov").json()["items"]
    uploads = [make_upload(producer, state="ready", kind="movie") for _ in rows]
    body = {
        "asset_type": "Upload",
        "items": [
            {
                "kind": "movie",
                "asset_name": r["asset_name"],
                "upload_ids": [str(u.pk)],
                "context_id": r["context_id"],
            }
            for r, u in zip(rows, uploads, strict=True)
        ],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/batches/", body, format="json")
    assert response.status_code == 201, response.content
    paths = [job["context_path"] for job in response.json()["jobs"]]
    assert paths == ["demo / sq010 / sh020 / compositing", "demo / sq020 / sh030 / animation"]
    assert not JobEvent.objects.filter(kind="warning").exists()
    # the last choice is remembered for this producer and offered first when a name is ambiguous
    (again,) = _match(api, "demo", "sq010_sh010.mov").json()["items"]
    assert again["status"] == "ambiguous" and again["candidates"][0]["name"] == "animation"
    assert again["suggested"] == again["candidates"][0]["id"]


def test_a_version_in_the_name_that_ftrack_will_not_make_is_a_warning_in_the_timeline(
    api, producer, enqueued, django_capture_on_commit_callbacks
):
    (row,) = _match(api, "bigshow", "sq001_sh0007_comp_v007.mov").json()["items"]
    upload = make_upload(producer, state="ready", kind="movie", filename="sq001_sh0007_comp_v007.mov")
    item = {"kind": "movie", "asset_name": row["asset_name"], "upload_ids": [str(upload.pk)]}
    body = {"asset_type": "Compositing", "items": [{**item, "context_id": row["context_id"]}]}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/batches/", body, format="json")
    assert response.status_code == 201, response.content
    (warning,) = JobEvent.objects.filter(kind="warning")
    assert warning.message == "The file name says v007 but ftrack will make v003 of sh0007_comp."
    assert warning.job_id == response.json()["jobs"][0]["id"]


def test_batch_item_context_errors_are_per_item(api, producer, enqueued):
    upload = make_upload(producer, state="ready", kind="movie")
    body = {
        "items": [{"kind": "movie", "asset_name": "a", "upload_ids": [str(upload.pk)], "context_id": "nope"}]
    }
    response = api.post("/api/batches/", body, format="json")
    assert response.status_code == 400
    assert "context_id" in response.json()["error"]["details"]["item_errors"][0]
    body["items"][0].pop("context_id")
    response = api.post("/api/batches/", body, format="json")
    assert "context_id" in response.json()["error"]["details"]["errors"]
    assert enqueued == []


def test_bench_match_runs_at_a_tiny_size_and_ends_with_its_result_line(redis_url):
    # The benchmark is measured, never asserted; this only keeps it runnable as the code moves.
    import os
    import subprocess

    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "match.py"), "--names", "10", "--shots", "50", "--tasks", "2",
         "--repeats", "1", "--baseline-names", "2"],
        cwd=REPO, env={**os.environ, "REDIS_URL": redis_url}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT match ratio=") and "queries_cold=" in last and "queries_warm=0" in last
