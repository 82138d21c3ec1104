"""The dashboard list costs a constant number of SQL queries, with 3 jobs or 10 000."""

from __future__ import annotations

import pytest
from dashboard_factories import make_failed, make_job, make_uploading
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.dashboard import seed_jobs
from publishing.models import PublishJob

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.publishing.dashboard_urlconf")]


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["coordinator", "producer"])
def test_dashboard_queries_do_not_grow_with_rows(request, who, producer, other_producer, client_for):
    user = request.getfixturevalue(who)
    client = client_for(user)
    make_job(producer)
    make_failed(producer, "credential_rejected")
    make_uploading(producer, progress=0.5, stage_started_seconds_ago=10)
    few = {url: _count(client, url) for url in ("/dashboard/", "/dashboard/rows/")}
    for i in range(30):
        make_job(producer if i % 2 else other_producer, ftrack_thumbnail_id="t" if i % 3 else "")
        make_failed(other_producer, "media_undecodable")
    make_uploading(producer, progress=0.2, stage_started_seconds_ago=3)
    many = {url: _count(client, url) for url in ("/dashboard/", "/dashboard/rows/")}
    assert many == few


def test_dashboard_with_10000_jobs_answers_in_constant_queries(
    producer, other_producer, coordinator, client_for, django_assert_max_num_queries
):
    seed_jobs(10_000, [producer, other_producer])
    assert PublishJob.objects.count() == 10_000
    client = client_for(coordinator)
    baseline = _count(client, "/dashboard/")
    # Same budget for every view of the list: filters, search, a later page, the live fragment.
    last_id = PublishJob.objects.order_by("id").values_list("id", flat=True)[5000]
    for url, params in [
        ("/dashboard/", {}),
        ("/dashboard/", {"status": "failed", "project": "project-1"}),
        ("/dashboard/", {"q": "bulk99", "producer": producer.pk}),
        ("/dashboard/", {"older": last_id}),
        ("/dashboard/rows/", {}),
    ]:
        with django_assert_max_num_queries(baseline):
            response = client.get(url, params)
        assert response.status_code == 200
        assert response.content.count(b'class="job-row ') <= 50
    # The first page is full, and the failure summary counts all matching failures, not a page.
    html = client.get("/dashboard/").content.decode()
    assert html.count('class="job-row ') == 50
    failed = PublishJob.objects.filter(
        status="failed", error_code="credential_rejected", batch__owner=producer
    ).count()
    assert f"update it on the credentials page, then retry: {failed} jobs" in html
