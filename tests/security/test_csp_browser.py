"""The Content Security Policy in Chromium: every page carries it and no page breaks it.

Violations are collected two ways: a `securitypolicyviolation` listener installed before any page
script runs (page.add_init_script), and console errors that mention Content Security Policy. A control
first shows the listener does catch a real violation (an inline event handler).
"""

from __future__ import annotations

from pathlib import Path

import imageio_ffmpeg
import pytest
from django.urls import reverse
from factories import make_movie, make_user
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "csp-test-password"
LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`
    + ` at ${event.sourceFile || ''}:${event.lineNumber || ''}`);
});
"""


class CspWatch:
    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        page.add_init_script(LISTENER)
        page.on(
            "console",
            lambda message: (
                self.console.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.ok, (url, response and response.status)
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "object-src 'none'" in policy, (url, policy)
        self.page.wait_for_load_state("networkidle")

    def violations(self) -> list[str]:
        found = self.page.evaluate("window.__cspViolations || []")
        return [*found, *self.console]

    def assert_clean(self, where: str) -> None:
        found = self.violations()
        assert not found, f"CSP violations on {where}: {found}"


def _log_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url


@pytest.fixture
def cast(settings, ftrack_server, private_ratelimits):
    from security_factories import make_job

    from ftrack_devserver.seed import DEMO_USERS
    from publishing.models import Notification
    from publishing.vault.credentials import credential_save

    settings.FTRACK_SERVER = ftrack_server.url
    producer = make_user("csp.producer", role="producer", password=PASSWORD)
    credential_save(user=producer, api_user="producer", api_key=DEMO_USERS["producer"])
    job = make_job(producer, asset_name="plate", status="failed", error_code="internal", progress=0.4)
    Notification.objects.create(user=producer, message="plate published", link="/batches/")
    admin = make_user("csp.admin", role="admin", password=PASSWORD, is_staff=True, is_superuser=True)
    return {"producer": producer, "admin": admin, "job": job}


# A file name that is markup: the upload page must show it as text (an injected handler would also
# show up as a CSP violation, since inline handlers are refused).
HOSTILE_NAME = '"><img src=x onerror=window.__ran=1>plate.mov'


@pytest.fixture(scope="module")
def movie(tmp_path_factory) -> Path:
    assert Path(imageio_ffmpeg.get_ffmpeg_exe()).exists()
    return make_movie(tmp_path_factory.mktemp("csp") / HOSTILE_NAME)


def test_the_listener_catches_a_real_violation(page, live_server):
    watch = CspWatch(page)
    watch.visit(live_server.url + reverse("login"))
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.__ran=1\">')")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">styled</p>')")
    page.wait_for_function("window.__cspViolations.length > 1")
    assert page.evaluate("window.__ran") is None  # the inline handler never ran
    found = watch.violations()
    assert any("script-src" in v for v in found), found
    assert any("style-src" in v for v in found), found


def test_pages_satisfy_the_policy(page, live_server, cast):
    watch = CspWatch(page)
    watch.visit(live_server.url + reverse("login"))
    watch.assert_clean("the login page")

    _log_in(page, live_server, "csp.producer")
    job, batch = cast["job"], cast["job"].batch
    pages = {
        "credentials": reverse("publishing:credentials"),
        "dashboard": reverse("publishing:dashboard"),
        "job detail": reverse("publishing:job", args=[job.pk]),
        "batches": reverse("publishing:batches"),
        "batch detail": reverse("publishing:batch", args=[batch.pk]),
        "notifications": reverse("publishing:notifications"),
        "API docs": reverse("api:docs"),
        "upload": reverse("publishing:upload"),
    }
    for name, url in pages.items():
        watch.visit(live_server.url + url)
        watch.assert_clean(name)

    page.context.clear_cookies()
    _log_in(page, live_server, "csp.admin")
    for name, url in {
        "credential health": reverse("publishing:admin_credentials"),
        "service keys": reverse("publishing:admin_service_keys"),
        "webhooks": reverse("publishing:webhooks"),
        "Django admin": reverse("admin:index"),
    }.items():
        watch.visit(live_server.url + url)
        watch.assert_clean(name)


def test_an_upload_completes_under_the_policy(page, live_server, cast, movie):
    watch = CspWatch(page)
    _log_in(page, live_server, "csp.producer")
    watch.visit(live_server.url + reverse("publishing:upload"))
    page.locator("#uppy-dashboard input[type=file]:not([webkitdirectory])").first.set_input_files([movie])
    item = page.locator("#upload-items li[data-kind=movie]")
    expect(item).to_have_count(1)
    page.locator(".uppy-StatusBar-actionBtn--upload").click()
    expect(item.locator(".rp-item-percent")).to_have_text("100 %", timeout=60_000)
    expect(item).to_contain_text(HOSTILE_NAME)
    assert page.evaluate("window.__ran") is None
    assert page.locator("img[src=x]").count() == 0
    watch.assert_clean("the upload page during an upload")

    from publishing.models import Upload

    upload = Upload.objects.get(owner=cast["producer"], filename=movie.name)
    assert upload.state == Upload.State.READY and upload.size == movie.stat().st_size
