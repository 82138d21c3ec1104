"""The vault's pages: permissions for every page and action, verify now, service keys, no key ever shown."""

from __future__ import annotations

import pytest
from django.core import mail

from publishing.core.crypto import encrypt_secret
from publishing.models import FtrackCredential, ProjectServiceKey, PublishBatch, PublishJob

ADMIN_KEY = "demo-key-admin"
BAD_KEY = "revoked-key-7f3a"


@pytest.fixture
def ftrack(settings, ftrack_server, redis_url):
    settings.FTRACK_SERVER = ftrack_server.url
    settings.REDIS_URL = redis_url
    return ftrack_server


def store(user, api_user: str, api_key: str) -> FtrackCredential:
    return FtrackCredential.objects.create(
        user=user, api_user=api_user, api_key_encrypted=encrypt_secret(api_key)
    )


# --- permissions ------------------------------------------------------------------------------------
def _admin_actions(producer):
    credential = store(producer, "producer", "demo-key-producer")
    service_key = ProjectServiceKey.objects.create(
        ftrack_project_id="p-1", project_name="demo", api_key_encrypted=encrypt_secret(ADMIN_KEY)
    )
    return [
        ("get", "/admin-tools/credentials/"),
        ("post", f"/admin-tools/credentials/{credential.user_id}/verify/"),
        ("get", "/admin-tools/service-keys/"),
        ("post", "/admin-tools/service-keys/"),
        ("post", f"/admin-tools/service-keys/{service_key.pk}/disable/"),
    ]


@pytest.mark.parametrize("who", ["outsider", "producer", "coordinator"])
def test_admin_tools_refuse_everyone_but_admins(who, request, producer, client_for):
    client = client_for(request.getfixturevalue(who))
    for method, url in _admin_actions(producer):
        response = getattr(client, method)(url)
        assert response.status_code == 403, (who, method, url)
        assert "Only admins" in response.content.decode()
    # Nothing happened: the service key is still active, nobody was verified.
    assert ProjectServiceKey.objects.get().is_active
    assert FtrackCredential.objects.get().checked_at is None


def test_admin_tools_send_anonymous_to_login(client, producer):
    for method, url in _admin_actions(producer):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_admin_tools_open_for_admins(ftrack, admin_user, producer, client_for):
    store(admin_user, "admin", ADMIN_KEY)
    client = client_for(admin_user)
    for method, url in _admin_actions(producer):
        response = getattr(client, method)(url)
        assert response.status_code in (200, 302, 400), (method, url)  # 400: the empty add form
        assert response.status_code != 302 or not response["Location"].startswith("/accounts/login/")
    assert not ProjectServiceKey.objects.get().is_active  # the disable went through


def test_admin_actions_refuse_get(admin_user, producer, client_for):
    store(producer, "producer", "demo-key-producer")
    client = client_for(admin_user)
    assert client.get(f"/admin-tools/credentials/{producer.pk}/verify/").status_code == 405


@pytest.mark.parametrize(
    "who,page,action",
    [("outsider", 403, 403), ("producer", 200, 302), ("coordinator", 200, 302), ("admin_user", 200, 302)],
)
def test_own_credentials_page_and_verify_now_are_for_portal_members(who, page, action, request, client_for):
    client = client_for(request.getfixturevalue(who))
    assert client.get("/credentials/").status_code == page
    assert client.post("/credentials/verify/").status_code == action


def test_own_verify_now_needs_login_and_post(client, producer, client_for):
    assert client.post("/credentials/verify/")["Location"].startswith("/accounts/login/")
    assert client_for(producer).get("/credentials/verify/").status_code == 405


def test_admin_link_in_the_header_only_for_admins(admin_user, producer, client_for):
    assert 'href="/admin-tools/credentials/"' in client_for(admin_user).get("/credentials/").content.decode()
    assert "/admin-tools/" not in client_for(producer).get("/credentials/").content.decode()


# --- the credential health page ---------------------------------------------------------------------
def test_health_page_lists_everyone_with_health_and_jobs_affected(
    admin_user, producer, other_producer, client_for
):
    store(producer, "producer", "demo-key-producer")
    FtrackCredential.objects.filter(user=producer).update(verified_at="2026-01-02T03:04:05Z")
    refused = store(other_producer, "reviewer.ana", BAD_KEY)
    FtrackCredential.objects.filter(pk=refused.pk).update(
        is_healthy=False, last_error="ftrack rejected the API key for user reviewer.ana."
    )
    batch = PublishBatch.objects.create(owner=other_producer)
    for _ in range(2):
        PublishJob.objects.create(
            batch=batch, context_id="c", asset_name="a", status="failed", error_code="credential_rejected"
        )

    html = client_for(admin_user).get("/admin-tools/credentials/").content.decode()

    rows = html.split('<tr data-user="')[1:]
    by_user = {row.split('"')[0]: row for row in rows}
    assert set(by_user) == {admin_user.username, producer.username, other_producer.username}
    assert "Verified" in by_user[producer.username] and "2 Jan 2026" in by_user[producer.username]
    assert "Refused" in by_user[other_producer.username]
    assert "ftrack rejected the API key for user reviewer.ana." in by_user[other_producer.username]
    assert f'?producer={other_producer.pk}">2</a>' in by_user[other_producer.username]
    assert "No credential" in by_user[admin_user.username]
    assert BAD_KEY not in html and "demo-key-producer" not in html


def test_health_page_query_count_does_not_grow_with_users(
    admin_user, client_for, django_assert_max_num_queries
):
    from factories import make_user

    for n in range(15):
        store(make_user(f"p{n}", role="producer"), f"p{n}", "k")
    client = client_for(admin_user)
    with django_assert_max_num_queries(8):
        assert client.get("/admin-tools/credentials/").status_code == 200


def test_verify_now_good_and_bad(
    ftrack, admin_user, producer, other_producer, client_for, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level("DEBUG")
    store(producer, "producer", "demo-key-producer")
    store(other_producer, "reviewer.ana", BAD_KEY)
    client = client_for(admin_user)

    good = client.post(f"/admin-tools/credentials/{producer.pk}/verify/", follow=True).content.decode()
    assert f"{producer.username}: verified" in good
    with django_capture_on_commit_callbacks(execute=True):
        bad = client.post(f"/admin-tools/credentials/{other_producer.pk}/verify/", follow=True)
    html = bad.content.decode()
    assert f"{other_producer.username}: refused — ftrack rejected the API key for user reviewer.ana" in html
    assert FtrackCredential.objects.get(user=other_producer).is_healthy is False
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [other_producer.email]
    for text in (good, html, caplog.text, mail.outbox[0].body):
        assert BAD_KEY not in text and "demo-key-producer" not in text


def test_own_page_shows_health_and_verify_now(ftrack, producer, client_for):
    store(producer, "producer", BAD_KEY)
    client = client_for(producer)

    html = client.post("/credentials/verify/", follow=True).content.decode()

    assert "ftrack refused your key: ftrack rejected the API key for user producer" in html
    assert 'data-credential-status="refused"' in html
    assert "•••• set on" in html
    assert BAD_KEY not in html


# --- service keys -----------------------------------------------------------------------------------
def test_service_key_page_adds_refuses_and_disables(ftrack, admin_user, client_for, caplog):
    caplog.set_level("DEBUG")
    from ftrack_devserver.seed import DEMO_USERS

    store(admin_user, "admin", DEMO_USERS["admin"])
    client = client_for(admin_user)
    page = client.get("/admin-tools/service-keys/").content.decode()
    assert 'type="password"' in page and ">Demo project (demo)</option>" in page
    demo_id = page.split('<option value="')[2].split('"')[0]  # [1] is the empty "Choose a project"

    refused = client.post("/admin-tools/service-keys/", {"project": demo_id, "api_key": BAD_KEY})
    assert refused.status_code == 400
    assert "ftrack rejected this key for user admin. Nothing was saved." in refused.content.decode()
    assert BAD_KEY not in refused.content.decode()
    assert not ProjectServiceKey.objects.exists()

    saved = client.post("/admin-tools/service-keys/", {"project": demo_id, "api_key": ADMIN_KEY}, follow=True)
    html = saved.content.decode()
    assert "verified and saved" in html and "Active" in html
    assert ADMIN_KEY not in html
    service_key = ProjectServiceKey.objects.get()
    assert service_key.ftrack_project_id == demo_id and service_key.is_active

    client.post(f"/admin-tools/service-keys/{service_key.pk}/disable/")
    service_key.refresh_from_db()
    assert not service_key.is_active
    assert BAD_KEY not in caplog.text and ADMIN_KEY not in caplog.text


def test_service_key_page_asks_admin_without_credential_to_connect_first(admin_user, client_for):
    html = client_for(admin_user).get("/admin-tools/service-keys/").content.decode()
    assert "Connect your own ftrack credential first" in html
