"""The publishes dashboard: who sees what, live rows, filters, search, keyset pages, escaping."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from dashboard_factories import make_failed, make_job, make_uploading
from django.urls import reverse
from django.utils import timezone

from publishing.dashboard.selectors import DashboardFilters, eta_seconds, human_duration, jobs_for_dashboard
from publishing.models import PublishJob

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.publishing.dashboard_urlconf")]

DASHBOARD = "/dashboard/"
ROWS = "/dashboard/rows/"


def _ids_in(response) -> set[int]:
    html = response.content.decode()
    return {job.pk for job in PublishJob.objects.all() if f'id="job-{job.pk}"' in html}


def test_dashboard_routes_have_the_documented_paths():
    assert reverse("publishing:dashboard") == DASHBOARD
    assert reverse("publishing:dashboard_rows") == ROWS
    assert reverse("publishing:dashboard_bulk_retry") == "/dashboard/bulk-retry/"


@pytest.mark.parametrize("url", [DASHBOARD, ROWS])
def test_dashboard_anonymous_goes_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", [DASHBOARD, ROWS])
def test_dashboard_outsider_is_refused(outsider, client_for, url):
    assert client_for(outsider).get(url).status_code == 403


def test_dashboard_producer_sees_only_own_jobs(producer, other_producer, client_for):
    mine = make_job(producer)
    theirs = make_job(other_producer)
    for url in (DASHBOARD, ROWS):
        response = client_for(producer).get(url)
        assert response.status_code == 200
        assert _ids_in(response) == {mine.pk}, url
    assert "My publishes" in client_for(producer).get(DASHBOARD).content.decode()
    # Filtering by another producer cannot widen a producer's view.
    response = client_for(producer).get(DASHBOARD, {"producer": other_producer.pk})
    assert theirs.pk not in _ids_in(response)


@pytest.mark.parametrize("who", ["coordinator", "admin_user"])
def test_dashboard_coordinator_and_admin_see_everyone(request, who, producer, other_producer, client_for):
    user = request.getfixturevalue(who)
    jobs = {make_job(producer).pk, make_job(other_producer).pk}
    response = client_for(user).get(DASHBOARD)
    assert response.status_code == 200
    assert _ids_in(response) == jobs
    assert "All publishes" in response.content.decode()


def test_dashboard_row_shows_columns_progress_age_and_result_links(
    producer, coordinator, client_for, settings
):
    settings.FTRACK_SERVER = "http://ftrack.example"
    job = make_job(
        producer,
        filename="hero_comp_v012.mov",
        status=PublishJob.Status.PUBLISHED,
        stage=PublishJob.Stage.DONE,
        progress=1.0,
        ftrack_version_id="ver-123",
        ftrack_thumbnail_id="thumb-1",
        review_url="http://ftrack.example/#slideEntityId=ver-123&slideEntityType=assetversion",
        created_at=timezone.now() - timedelta(minutes=3),
    )
    html = client_for(coordinator).get(DASHBOARD).content.decode()
    assert "hero_comp_v012.mov" in html
    assert "demo / sq010 / sh010 / compositing" in html
    assert producer.username in html
    assert 'value="100"' in html and "100%" in html
    assert "3\xa0minutes ago" in html
    assert 'href="http://ftrack.example/#slideEntityId=ver-123&amp;slideEntityType=assetversion"' in html
    assert 'href="http://ftrack.example/review/version/ver-123"' in html
    assert f'src="/jobs/{job.pk}/thumbnail/"' in html
    assert "apiKey" not in html and "demo-key" not in html


def test_dashboard_failed_row_says_why_in_plain_words(producer, coordinator, client_for):
    make_failed(producer, "credential_rejected", "ftrack rejected the API key for user pia")
    html = client_for(coordinator).get(DASHBOARD).content.decode()
    assert (
        f"ftrack rejected the API key for {producer.username}: ask {producer.username} to update it" in html
    )


def test_dashboard_escapes_names_paths_and_files(producer, coordinator, client_for):
    evil = '<script>alert("x")</script>'
    make_job(producer, asset_name=evil, context_path=f"demo / {evil}", filename=f"{evil}.mov", comment=evil)
    make_failed(producer, "ftrack_refused", message=evil, asset_name=evil)
    for url in (DASHBOARD, ROWS, DASHBOARD + "?q=" + evil):
        html = client_for(coordinator).get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert" in html, url


def test_dashboard_rows_fragment_is_live(producer, client_for):
    job = make_uploading(producer, progress=0.25, stage_started_seconds_ago=30)
    client = client_for(producer)
    first = client.get(ROWS)
    assert first["X-Active-Jobs"] == "1"
    assert first["Cache-Control"] == "no-store"
    html = first.content.decode()
    assert "<html" not in html and 'value="25"' in html
    assert "Uploading to ftrack" in html
    # 30 s for the first quarter: about 90 s for the rest.
    assert re.search(r"about 1 min (29|30|31) s left", html), html
    PublishJob.objects.filter(pk=job.pk).update(progress=0.75, stage=PublishJob.Stage.ENCODE)
    html = client.get(ROWS).content.decode()
    assert 'value="75"' in html and "Encoding for review" in html
    PublishJob.objects.filter(pk=job.pk).update(status=PublishJob.Status.PUBLISHED)
    assert client.get(ROWS)["X-Active-Jobs"] == "0"


def test_dashboard_page_loads_the_live_script_and_no_inline_script(producer, client_for):
    make_job(producer)
    html = client_for(producer).get(DASHBOARD).content.decode()
    assert 'src="/static/js/dashboard.js"' in html
    assert 'data-rows-url="/dashboard/rows/"' in html
    assert "<script>" not in html


def test_eta_extrapolates_elapsed_time_in_the_stage(producer):
    job = make_uploading(producer, progress=0.5, stage_started_seconds_ago=60)
    page = jobs_for_dashboard(user=producer, filters=DashboardFilters())
    eta = page.rows[0].eta_seconds
    assert 58 <= eta <= 62
    # Too early to tell, finished, or not an upload/encode: no ETA.
    now = timezone.now()
    for change in ({"progress": 0.01}, {"progress": 1.0}, {"stage": PublishJob.Stage.VERIFY}):
        row = jobs_for_dashboard(user=producer, filters=DashboardFilters()).rows[0].job
        for name, value in change.items():
            setattr(row, name, value)
        assert eta_seconds(row, now) is None, change
    assert job.pk == page.rows[0].job.pk
    assert (
        human_duration(90) == "1 min 30 s"
        and human_duration(0.4) == "0.4 s"
        and human_duration(7260) == "2 h 1 min"
    )


def test_dashboard_filters_by_status_project_producer_and_dates(
    producer, other_producer, coordinator, client_for
):
    now = timezone.now()
    failed = make_failed(producer, "ftrack_unavailable")
    published = make_job(other_producer, status=PublishJob.Status.PUBLISHED, project_id="project-other")
    running = make_uploading(producer, progress=0.3, stage_started_seconds_ago=5)
    old = make_job(producer, created_at=now - timedelta(days=10))
    client = client_for(coordinator)
    assert _ids_in(client.get(DASHBOARD, {"status": "failed"})) == {failed.pk}
    assert _ids_in(client.get(DASHBOARD, {"status": "active"})) == {running.pk, old.pk}
    assert _ids_in(client.get(DASHBOARD, {"project": "project-other"})) == {published.pk}
    assert _ids_in(client.get(DASHBOARD, {"producer": other_producer.pk})) == {published.pk}
    since = (now - timedelta(days=11)).date().isoformat()
    until = (now - timedelta(days=9)).date().isoformat()
    assert _ids_in(client.get(DASHBOARD, {"since": since, "until": until})) == {old.pk}
    assert _ids_in(client.get(ROWS, {"status": "failed"})) == {failed.pk}
    # Nonsense filters are ignored, not errors.
    response = client.get(
        DASHBOARD, {"status": "bogus", "since": "yesterday", "producer": "x", "older": "9" * 40}
    )
    assert response.status_code == 200
    assert len(_ids_in(response)) == 4


def test_dashboard_search_matches_file_asset_and_path(producer, coordinator, client_for):
    by_file = make_job(producer, filename="Dragon_Fire_v003.mov")
    by_asset = make_job(producer, asset_name="dragonfly")
    by_path = make_job(producer, context_path="demo / sq020 / sh030 / DRAGON")
    make_job(producer, asset_name="unrelated")
    response = client_for(coordinator).get(DASHBOARD, {"q": "dragon"})
    assert _ids_in(response) == {by_file.pk, by_asset.pk, by_path.pk}


def test_dashboard_keyset_pages_walk_older_and_newer(producer, coordinator, client_for):
    ids = [make_job(producer).pk for _ in range(7)]  # ids ascending = oldest first
    filters = DashboardFilters()
    first = jobs_for_dashboard(user=coordinator, filters=filters, limit=3)
    assert [r.job.pk for r in first.rows] == ids[::-1][:3]
    assert first.newer is None and first.older == ids[4]
    second = jobs_for_dashboard(user=coordinator, filters=filters, limit=3, older_than=first.older)
    assert [r.job.pk for r in second.rows] == ids[::-1][3:6]
    last = jobs_for_dashboard(user=coordinator, filters=filters, limit=3, older_than=second.older)
    assert [r.job.pk for r in last.rows] == [ids[0]] and last.older is None
    back = jobs_for_dashboard(user=coordinator, filters=filters, limit=3, newer_than=second.newer)
    assert [r.job.pk for r in back.rows] == ids[::-1][:3] and back.newer is None
    # The page links carry the filters and the cursor.
    html = client_for(coordinator).get(DASHBOARD, {"status": "queued"}).content.decode()
    assert "older=" not in html.replace("placeholder=", "")  # 7 jobs fit on one page of 50


def test_dashboard_pager_links_keep_filters(producer, coordinator, client_for, settings):
    settings.DASHBOARD_PAGE_SIZE = 2
    jobs = [make_job(producer).pk for _ in range(3)]
    html = client_for(coordinator).get(DASHBOARD, {"status": "queued"}).content.decode()
    assert f"status=queued&amp;older={jobs[1]}" in html
    html = client_for(coordinator).get(DASHBOARD, {"status": "queued", "older": jobs[1]}).content.decode()
    assert f'id="job-{jobs[0]}"' in html and f"newer={jobs[0]}" in html


def test_ages_under_a_minute_read_just_now(producer, client_for):
    from publishing.templatetags.portal_tags import age

    now = timezone.now()
    assert age(now - timedelta(seconds=5), now) == "just now"
    assert age(now + timedelta(seconds=3), now) == "just now"  # a clock slightly ahead
    assert age(now - timedelta(seconds=59), now) == "just now"
    assert age(now - timedelta(minutes=1), now) == "1\xa0minute ago"
    assert age(now - timedelta(hours=2, minutes=5), now) == "2\xa0hours, 5\xa0minutes ago"
    assert age(None) == ""
    job = make_job(producer)
    for url in (DASHBOARD, ROWS, f"/jobs/{job.pk}/"):
        html = client_for(producer).get(url).content.decode()
        assert "just now" in html, url
        assert "0\xa0minutes" not in html, url
