"""The credential vault in Chromium: an admin verifies users' keys and sees a bad one refused.

Real portal (live_server), real login form, real ftrack dev server.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN_PASSWORD = "admin-password-for-tests"
BAD_KEY = "revoked-key-in-browser"


@pytest.fixture
def vault_users(settings, ftrack_server):
    from factories import make_user

    from ftrack_devserver.seed import DEMO_USERS
    from publishing.core.crypto import encrypt_secret
    from publishing.models import FtrackCredential

    settings.FTRACK_SERVER = ftrack_server.url
    admin = make_user("ada.admin", role="admin", password=ADMIN_PASSWORD, is_staff=True)
    good = make_user("gus.good", role="producer")
    bad = make_user("bea.bad", role="producer")
    FtrackCredential.objects.create(
        user=good, api_user="producer", api_key_encrypted=encrypt_secret(DEMO_USERS["producer"])
    )
    # Stored earlier, revoked in ftrack since: only a verification finds out.
    FtrackCredential.objects.create(
        user=bad, api_user="reviewer.ben", api_key_encrypted=encrypt_secret(BAD_KEY)
    )
    return admin, good, bad


def test_admin_verifies_credentials_and_sees_a_bad_one_refused(page, live_server, vault_users):
    admin, good, bad = vault_users
    page.set_default_timeout(15_000)
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Credential health").click()
    expect(page.get_by_role("heading", name="Credential health")).to_be_visible()
    good_row = page.locator(f'tr[data-user="{good.username}"]')
    bad_row = page.locator(f'tr[data-user="{bad.username}"]')
    expect(good_row.locator("[data-health]")).to_have_text("Not verified yet")

    good_row.get_by_role("button", name=f"Verify now: {good.username}").click()
    expect(page.get_by_role("status")).to_contain_text(f"{good.username}: verified")
    expect(good_row.locator("[data-health]")).to_have_text("Verified")

    bad_row.get_by_role("button", name=f"Verify now: {bad.username}").click()
    expect(page.get_by_role("status")).to_contain_text(
        re.compile(rf"{bad.username}: refused — ftrack rejected the API key for user reviewer\.ben")
    )
    expect(bad_row.locator("[data-health]")).to_have_text("Refused")
    expect(bad_row).to_contain_text("ftrack rejected the API key for user reviewer.ben")
    assert BAD_KEY not in page.content()

    # Their own page: a bad key is refused and nothing is stored.
    page.get_by_role("link", name="Credentials", exact=True).click()
    page.get_by_label("ftrack username").fill("admin")
    page.get_by_label("ftrack API key").fill("not-the-admin-key")
    page.get_by_role("button", name="Verify and save").click()
    expect(page.get_by_role("alert")).to_have_text("ftrack rejected this API key for user admin.")
    expect(page.locator("[data-credential-status]")).to_have_attribute("data-credential-status", "none")
    expect(page.get_by_label("ftrack API key")).to_have_value("")
    assert "not-the-admin-key" not in page.content()
