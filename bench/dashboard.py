"""How fast is the publishes dashboard with 10 000 jobs, compared with the naive list?

1. Set up Django against ``DATABASE_URL`` (default: a fresh SQLite file in a temp folder), migrate.
2. Seed a coordinator, 20 producers and ``--jobs`` jobs (each with its file and a stage event), with
   plain ``executemany`` so that seeding takes seconds.
3. Ours: ``--requests`` GETs of ``/dashboard/`` (and some with filters, search and a later page)
   through Django's test Client, logged in as the coordinator; server time per request.
4. Baseline, in the same run: the list the issue warns about, ``PublishJob.objects.all()[:50]``
   rendered with the same row template but without select_related/prefetch, so every row reaches
   its batch, producer and file on its own.
5. Print the figures and one line
   ``RESULT dashboard ratio=<naive p95 / ours p95> p95_ms=.. p50_ms=.. queries=.. jobs=..``
   (ratio above 1 means ours is faster; the target is p95 < 150 ms at 10 000 jobs).

Usage: ``DATABASE_URL=sqlite:////tmp/x.db python bench/dashboard.py [--jobs 10000] [--requests 60]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def seed_jobs(n: int, owners: list, *, jobs_per_batch: int = 5) -> None:
    """Insert ``n`` jobs of ``owners`` with their batches, files (JobUpload + Upload) and stage events.

    The ORM's bulk_create spends most of its time preparing values field by field; here every row
    is a copy of one prepared prototype with a few columns changed, sent with ``executemany``.
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from publishing.models import JobEvent, JobUpload, PublishBatch, PublishJob, Upload

    now = timezone.now()
    statuses = list(PublishJob.Status.values)
    codes = ["credential_rejected", "ftrack_unavailable", "media_undecodable", "encode_failed"]

    with transaction.atomic():
        first_batch = _max_id(PublishBatch)
        batch_count = (n + jobs_per_batch - 1) // jobs_per_batch
        _insert(
            PublishBatch(owner=owners[0], comment="bench", created_at=now),
            [{"owner_id": owners[b % len(owners)].pk} for b in range(batch_count)],
        )
        first_job = _max_id(PublishJob)
        rows = []
        for i in range(n):
            status = statuses[i % len(statuses)]
            rows.append(
                {
                    "batch_id": first_batch + 1 + i // jobs_per_batch,
                    "context_id": f"task-{i % 60}",
                    "context_path": f"demo / sq{i % 9:03d}0 / sh{i % 30:03d}0 / compositing",
                    "project_id": f"project-{i % 3}",
                    "asset_name": f"shot{i:05d}_comp",
                    "status": status,
                    "stage": "done" if status == "published" else "upload",
                    "progress": (i % 100) / 100,
                    "error_code": codes[i % len(codes)] if status == "failed" else "",
                    "error_message": "bench failure" if status == "failed" else "",
                    "ftrack_version_id": f"v-{i}" if status == "published" else "",
                    "created_at": connection.ops.adapt_datetimefield_value(now - timedelta(seconds=n - i)),
                }
            )
        _insert(PublishJob(batch_id=1, context_id="", asset_name="", started_at=now, created_at=now), rows)
        upload_ids = [uuid.uuid4() for _ in range(n)]
        uuid_field = Upload._meta.pk
        _insert(
            Upload(owner=owners[0], filename="", size=1024, storage_path="", state="ready", created_at=now),
            [
                {
                    "id": uuid_field.get_db_prep_value(upload_ids[i], connection),
                    "owner_id": owners[(i // jobs_per_batch) % len(owners)].pk,
                    "filename": f"shot{i:05d}_comp_v001.mov",
                    "storage_path": f"uploads/{upload_ids[i]}/x.mov",
                }
                for i in range(n)
            ],
        )
        _insert(
            JobUpload(job_id=1, upload_id=upload_ids[0], position=0),
            [
                {
                    "job_id": first_job + 1 + i,
                    "upload_id": uuid_field.get_db_prep_value(upload_ids[i], connection),
                }
                for i in range(n)
            ],
        )
        _insert(
            JobEvent(job_id=1, kind="stage", stage="upload", message="Uploading to ftrack", at=now),
            [{"job_id": first_job + 1 + i} for i in range(n)],
        )


def _max_id(model) -> int:
    from django.db.models import Max

    return model.objects.aggregate(top=Max("id"))["top"] or 0


def _insert(prototype, variants: list[dict]) -> None:
    """INSERT one row per variant: the prototype's prepared values with the variant's columns over them."""
    from django.db import connection

    model = type(prototype)
    fields = [
        f for f in model._meta.concrete_fields if not (f.primary_key and getattr(f, "auto_created", False))
    ]
    fields = [
        f for f in fields if not (f.primary_key and f.get_internal_type() in ("AutoField", "BigAutoField"))
    ]
    base = {}
    for f in fields:
        value = f.pre_save(prototype, True)  # fills auto_now(_add) timestamps like a real save
        base[f.column] = f.get_db_prep_save(value, connection)
    columns = list(base)
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[variant.get(c, base[c]) for c in columns] for variant in variants])


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def _naive_render(request) -> str:
    """The list as a first draft would write it: no select_related, no prefetch, relations per row."""
    from django.template.loader import render_to_string

    from publishing.dashboard.selectors import DashboardFilters, DashboardPage, DashboardRow
    from publishing.models import PublishJob

    rows = []
    for job in PublishJob.objects.all()[:50]:
        links = list(job.job_uploads.all())
        label = links[0].upload.filename if links else ""
        started = job.events.filter(kind="stage", stage=job.stage).order_by("-at").first()
        job.stage_started_at = started.at if started else None
        rows.append(DashboardRow(job=job, file_label=label, eta_seconds=None))
    page = DashboardPage(rows=rows, filters=DashboardFilters())
    context = {"page": page, "filters": page.filters, "sees_everyone": True, "review_base": "", "here": ""}
    return render_to_string("publishing/_job_rows.html", context, request=request)


def _use_dashboard_routes() -> None:
    """Until publishing/urls.py includes the dashboard's routes, borrow the tests' URLconf."""
    from django.conf import settings
    from django.urls import NoReverseMatch, clear_url_caches, reverse

    try:
        reverse("publishing:dashboard")
    except NoReverseMatch:
        settings.ROOT_URLCONF = "tests.publishing.dashboard_urlconf"
        clear_url_caches()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-dashboard-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, REPO)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client, RequestFactory
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()  # lets the test Client run without a real host/HTTPS setup
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    print(f"database: {connection.vendor} {settings.DATABASES['default']['NAME']}")
    call_command("migrate", verbosity=0)

    from django.contrib.auth.models import Group, User

    from publishing.models import PublishJob

    if PublishJob.objects.exists():
        print("the database already holds publish jobs: point DATABASE_URL at a fresh one", file=sys.stderr)
        return 2
    coordinators = Group.objects.get_or_create(name="coordinator")[0]
    producers = Group.objects.get_or_create(name="producer")[0]
    coordinator = User.objects.create_user(f"bench.coordinator.{uuid.uuid4().hex[:6]}")
    coordinator.groups.add(coordinators)
    owners = []
    for i in range(20):
        user = User.objects.create_user(f"bench.producer{i}.{uuid.uuid4().hex[:6]}")
        user.groups.add(producers)
        owners.append(user)
    started = time.monotonic()
    seed_jobs(args.jobs, owners)
    total = PublishJob.objects.count()
    print(f"seeded {args.jobs} jobs in {time.monotonic() - started:.1f} s ({total} in the database)")

    _use_dashboard_routes()
    client = Client()
    client.force_login(coordinator)
    middle = PublishJob.objects.order_by("-id").values_list("id", flat=True)[total // 2]
    variants = [
        {},
        {},
        {},
        {"status": "failed"},
        {"q": "shot0420"},
        {"project": "project-1"},
        {"older": middle},
    ]
    client.get("/dashboard/")  # warm up templates and caches
    ours: list[float] = []
    with CaptureQueriesContext(connection) as captured:
        client.get("/dashboard/")
    queries = len(captured)
    for i in range(args.requests):
        params = variants[i % len(variants)]
        t0 = time.perf_counter()
        response = client.get("/dashboard/", params)
        ours.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code

    request = RequestFactory().get("/dashboard/")
    request.user = coordinator
    _naive_render(request)
    naive: list[float] = []
    with CaptureQueriesContext(connection) as captured:
        _naive_render(request)
    naive_queries = len(captured)
    for _ in range(max(10, args.requests // 3)):
        reset_queries()
        t0 = time.perf_counter()
        _naive_render(request)
        naive.append((time.perf_counter() - t0) * 1000)

    p50, p95 = statistics.median(ours), _percentile(ours, 95)
    naive_p95 = _percentile(naive, 95)
    print(f"ours : p50 {p50:.1f} ms  p95 {p95:.1f} ms  {queries} queries  ({len(ours)} requests)")
    print(f"naive: p50 {statistics.median(naive):.1f} ms  p95 {naive_p95:.1f} ms  {naive_queries} queries")
    print(
        f"RESULT dashboard ratio={naive_p95 / p95:.2f} p95_ms={p95:.1f} p50_ms={p50:.1f} "
        f"queries={queries} jobs={total}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
