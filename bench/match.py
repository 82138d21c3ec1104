"""Matching 1 000 dropped names against a project of 5 000 shots × 5 tasks (issue 11).

1. Seed a dev server with the demo studio plus ``bigshow`` (bench/match_seed.py; ``--shots``,
   ``--tasks``) and point the portal (SQLite in a temp folder, the local Redis) at it.
2. Ours: ``publishing.matching.service.match_names`` for ``--names`` names (every fifth shot,
   alternating comp/light, with versions), once cold (the producer's Redis namespace flushed) and
   ``--repeats`` times warm; server time of each, ftrack query operations counted in the dev
   server's request log.
3. Baseline, same run: one ftrack query per name (the shot word of the name, its tasks), with a
   plain ftrack_api session; ``--baseline-names`` of the names are timed (100 by default, 0: all) and
   the time is scaled to ``--names``.
4. ``RESULT match ratio=<baseline time ÷ our cold time> p50_ms=<warm p50> cold_ms=..
   queries_cold=.. queries_warm=.. names=.. shots=.. tasks=..``

Usage: ``python bench/match.py [--names 1000] [--shots 5000] [--tasks 5] [--repeats 10]``
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [REPO, os.path.join(REPO, "tests"), os.path.join(REPO, "bench")]


def queries_since(server, mark: int) -> tuple[int, int]:
    """(query operations, POST /api calls holding them) logged after ``mark``."""
    entries = [e for e in server.request_log() if e.get("seq", 0) > mark and e.get("action") == "query"]
    return len(entries), len({e.get("call") for e in entries})


def last_seq(server) -> int:
    return max((e.get("seq", 0) for e in server.request_log()), default=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=1000)
    parser.add_argument("--shots", type=int, default=5000)
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--baseline-names", type=int, default=100, help="names the baseline times (0: all)")
    args = parser.parse_args()

    from devserver_fixtures import start_devserver
    from match_seed import PROJECT, write_seed

    work = tempfile.mkdtemp(prefix="bench-match-")
    start_devserver(f"{work}/ftrack", seed="demo").stop()
    server = start_devserver(f"{work}/ftrack", seed=write_seed(f"{work}/seed.json", args.shots, args.tasks))
    try:
        return run(args, server, work, PROJECT)
    finally:
        server.stop()


def run(args, server, work: str, project: str) -> int:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=f"sqlite:///{work}/bench.sqlite3",
        FTRACK_SERVER=server.url,
        FTRACK_SCHEMA_CACHE_DIR=f"{work}/schemas",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    import ftrack_api
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from factories import flush_namespace

    from publishing.core.crypto import encrypt_secret
    from publishing.matching.service import match_names
    from publishing.models import FtrackCredential

    call_command("migrate", verbosity=0)
    user = User.objects.create(username="bench.producer")
    FtrackCredential.objects.create(
        user=user, api_user="producer", api_key_encrypted=encrypt_secret("demo-key-producer")
    )
    step = max(1, args.shots // args.names)
    names = [
        f"sh{n:04d}_{'comp' if i % 2 else 'light'}_v001.mov"
        for i, n in enumerate(range(1, args.shots + 1, step))
    ]
    names = names[: args.names]
    items = [{"name": n, "folder": ""} for n in names]

    flush_namespace(settings.REDIS_URL, server.url)
    mark = last_seq(server)
    started = time.perf_counter()
    answer = match_names(user, project, items)
    cold = time.perf_counter() - started
    queries_cold, calls_cold = queries_since(server, mark)
    placed = sum(1 for row in answer["items"] if row["status"] == "placed")

    mark = last_seq(server)
    warm = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        match_names(user, project, items)
        warm.append(time.perf_counter() - started)
    queries_warm, _ = queries_since(server, mark)

    # Baseline: ask ftrack once per name for the tasks of the shot the name starts with.
    sample = names[: args.baseline_names or len(names)]
    session = ftrack_api.Session(
        server_url=server.url, api_user="producer", api_key="demo-key-producer", auto_connect_event_hub=False
    )
    project_id = session.query(f'select id from Project where name is "{project}"').one()["id"]
    started = time.perf_counter()
    for name in sample:
        shot = re.match(r"[A-Za-z0-9]+", name).group(0)
        session.query(
            f'select id, name, parent.name from Task where parent.name is "{shot}" and project_id is "{project_id}"'
        ).all()
    baseline = (time.perf_counter() - started) * len(names) / len(sample)
    session.close()

    p50 = statistics.median(warm) * 1000
    print(f"names: {len(names)} ({placed} placed); project: {args.shots} shots x {args.tasks} tasks")
    print(f"ours: cold {cold * 1000:.0f} ms ({queries_cold} query operations in {calls_cold} request(s)); ")
    print(
        f"      warm p50 {p50:.1f} ms, max {max(warm) * 1000:.1f} ms over {len(warm)} ({queries_warm} queries)"
    )
    print(
        f"baseline (one query per name): {baseline * 1000:.0f} ms for {len(names)} names ({len(sample)} timed)"
    )
    print(
        f"RESULT match ratio={baseline / cold:.2f} p50_ms={p50:.1f} cold_ms={cold * 1000:.0f} "
        f"queries_cold={queries_cold} queries_warm={queries_warm} names={len(names)} shots={args.shots} "
        f"tasks={args.tasks}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
