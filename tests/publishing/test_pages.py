"""Portal pages: who may open what, the base layout, login/logout, escaping."""

from __future__ import annotations

import pytest
from factories import make_upload, make_user

from publishing.core.crypto import encrypt_secret
from publishing.models import FtrackCredential, JobUpload, PublishBatch, PublishJob


def _give_credential(user, api_user="producer", key="demo-key-producer"):
    # Stored directly: these tests are about pages, not about verifying keys with ftrack.
    return FtrackCredential.objects.create(
        user=user, api_user=api_user, api_key_encrypted=encrypt_secret(key)
    )


def _batch(owner, *, comment="", asset_name="plate", filename="plate.mov"):
    batch = PublishBatch.objects.create(owner=owner, comment=comment)
    job = PublishJob.objects.create(
        batch=batch,
        context_id="ctx-1",
        context_path="demo / sq010 / sh010 / compositing",
        asset_name=asset_name,
    )
    JobUpload.objects.create(job=job, upload=make_upload(owner, filename=filename, state="ready"), position=0)
    return batch


@pytest.fixture
def cast(producer, coordinator, admin_user, outsider):
    return {"producer": producer, "coordinator": coordinator, "admin": admin_user, "outsider": outsider}


@pytest.mark.parametrize(
    "url",
    ["/", "/upload/", "/credentials/", "/batches/", "/batches/1/"],
)
def test_pages_send_anonymous_users_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/accounts/login/?next={url}")


@pytest.mark.parametrize(
    ("who", "expected"),
    [("producer", "/upload/"), ("coordinator", "/batches/"), ("admin", "/batches/")],
)
def test_pages_home_sends_each_role_to_its_work(cast, client_for, who, expected):
    response = client_for(cast[who]).get("/")
    assert response.status_code == 302 and response["Location"] == expected


@pytest.mark.parametrize(
    ("who", "status"),
    [("producer", 200), ("coordinator", 200), ("admin", 200), ("outsider", 403)],
)
@pytest.mark.parametrize("url", ["/credentials/", "/batches/"])
def test_pages_open_to_portal_members_only(cast, client_for, who, status, url):
    assert client_for(cast[who]).get(url).status_code == status


def test_pages_home_refuses_outsider(outsider, client_for):
    response = client_for(outsider).get("/")
    assert response.status_code == 403
    assert "no portal role" in response.content.decode()


@pytest.mark.parametrize(("who", "status"), [("coordinator", 403), ("outsider", 403)])
def test_upload_page_refuses_non_producers_with_friendly_page(cast, client_for, who, status):
    response = client_for(cast[who]).get("/upload/")
    assert response.status_code == status
    html = response.content.decode()
    assert "This page is not for your role" in html
    assert "Review Portal" in html


@pytest.mark.parametrize("who", ["producer", "admin"])
def test_upload_page_without_credential_redirects_to_credentials(cast, client_for, who):
    client = client_for(cast[who])
    response = client.get("/upload/")
    assert response.status_code == 302
    assert response["Location"] == "/credentials/?next=%2Fupload%2F"
    page = client.get(response["Location"])
    assert "connect your ftrack account" in page.content.decode()
    assert 'name="next" value="/upload/"' in page.content.decode()


def test_upload_page_passes_upload_config(settings, producer, client_for):
    settings.MAX_UPLOAD_SIZE = 123456789
    settings.ALLOWED_UPLOAD_EXTENSIONS = [".mov", ".exr"]
    settings.UPLOAD_CHUNK_SIZE = 5 * 1024 * 1024
    _give_credential(producer)
    response = client_for(producer).get("/upload/")

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "publishing/upload.html"
    config = response.context["upload_config"]
    assert response.context["user_has_credentials"] is True
    assert config["endpoint"] == "/api/uploads/"
    assert config["maxFileSize"] == 123456789
    assert config["allowedFileTypes"] == [".mov", ".exr"]
    assert config["chunkSize"] == 5 * 1024 * 1024
    assert config["submitUrl"] == "/api/batches/"  # the page publishes through the API
    assert config["csrfToken"]
    assert config["contextApi"] == {
        "projects": "/api/ftrack/projects/",
        "children": "/api/ftrack/children/",
        "search": "/api/ftrack/search/",
        "users": "/api/ftrack/users/",
        "assetTypes": "/api/ftrack/asset-types/",
    }


def test_pages_base_layout_has_skip_link_nav_role_and_post_logout(producer, client_for):
    html = client_for(producer).get("/credentials/").content.decode()

    assert 'class="skip-link" href="#main"' in html and 'id="main"' in html
    assert 'aria-label="Main"' in html
    assert 'href="/upload/"' in html and 'href="/batches/"' in html and 'href="/credentials/"' in html
    assert 'aria-current="page"' in html
    assert "Producer" in html
    assert '<form method="post" action="/accounts/logout/"' in html
    assert 'name="viewport"' in html
    assert "/static/css/portal.css" in html


def test_pages_coordinator_nav_has_no_upload_link(coordinator, client_for):
    html = client_for(coordinator).get("/batches/").content.decode()
    assert 'href="/upload/"' not in html
    assert "Coordinator" in html and "All publishes" in html


def test_login_page_labels_inputs_and_logs_in(client, db):
    make_user("lena", role="producer", password="s3cret-pass")
    page = client.get("/accounts/login/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<label for="id_username">' in html and '<label for="id_password">' in html

    bad = client.post("/accounts/login/", {"username": "lena", "password": "nope"})
    assert bad.status_code == 200 and 'role="alert"' in bad.content.decode()

    response = client.post("/accounts/login/", {"username": "lena", "password": "s3cret-pass"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/credentials/").status_code == 200

    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/credentials/").status_code == 302


def test_batches_list_producers_see_only_their_own(producer, other_producer, coordinator, client_for):
    mine = _batch(producer, comment="mine")
    theirs = _batch(other_producer, comment="theirs")

    html = client_for(producer).get("/batches/").content.decode()
    assert f'href="/batches/{mine.pk}/"' in html
    assert f'href="/batches/{theirs.pk}/"' not in html

    html = client_for(coordinator).get("/batches/").content.decode()
    assert f'href="/batches/{mine.pk}/"' in html and f'href="/batches/{theirs.pk}/"' in html


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("other_producer", 404), ("coordinator", 200), ("admin", 200), ("outsider", 403)],
)
def test_batch_detail_visibility(cast, other_producer, client_for, who, status):
    batch = _batch(cast["producer"])
    user = {"owner": cast["producer"], "other_producer": other_producer}.get(who) or cast[who]
    assert client_for(user).get(f"/batches/{batch.pk}/").status_code == status


def test_batch_detail_shows_jobs_files_path_status(producer, client_for):
    batch = _batch(producer, asset_name="hero_plate", filename="hero_plate_v003.mov")
    html = client_for(producer).get(f"/batches/{batch.pk}/").content.decode()
    assert "hero_plate_v003.mov" in html
    assert "demo / sq010 / sh010 / compositing" in html
    assert "Queued" in html and "<progress" in html


def test_batch_detail_escapes_user_text(producer, client_for):
    evil = '<script>alert("x")</script>'
    batch = _batch(producer, comment=evil, asset_name=f"a{evil}", filename=f"f{evil}.mov")
    html = client_for(producer).get(f"/batches/{batch.pk}/").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    listing = client_for(producer).get("/batches/").content.decode()
    assert "<script>alert" not in listing
