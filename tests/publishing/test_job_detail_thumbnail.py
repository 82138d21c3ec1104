"""The thumbnail proxy against the real ftrack dev server: the image arrives, the key never does."""

from __future__ import annotations

import pytest
from dashboard_factories import make_job
from factories import make_png

from publishing.core.crypto import encrypt_secret
from publishing.models import FtrackCredential, PublishJob

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.publishing.dashboard_urlconf")]


@pytest.fixture
def ftrack(settings, ftrack_server, redis_url, tmp_path):
    from publishing.ftrack.sessions import close_all_sessions

    settings.FTRACK_SERVER = ftrack_server.url
    settings.REDIS_URL = redis_url
    settings.FTRACK_SCHEMA_CACHE_DIR = str(tmp_path / "schemas")
    close_all_sessions()
    yield ftrack_server
    close_all_sessions()


@pytest.fixture
def thumbnail_in_ftrack(ftrack, tmp_path):
    """(component id, bytes) of a PNG put into ftrack.server the way the publisher does."""
    from publishing.ftrack.lookups import SERVER_LOCATION_ID
    from publishing.ftrack.sessions import open_session

    image = make_png(tmp_path / "thumbnail.png")
    session = open_session("producer", "demo-key-producer")
    try:
        location = session.get("Location", SERVER_LOCATION_ID)
        component = session.create_component(str(image), data={"name": "thumbnail"}, location=location)
        session.commit()
        component_id = component["id"]
    finally:
        session.close()
    return component_id, image.read_bytes()


def _credential(user, api_user="producer", key="demo-key-producer"):
    FtrackCredential.objects.create(user=user, api_user=api_user, api_key_encrypted=encrypt_secret(key))


def test_thumbnail_is_fetched_with_the_producers_session(
    thumbnail_in_ftrack, producer, coordinator, client_for
):
    component_id, expected = thumbnail_in_ftrack
    _credential(producer)
    job = make_job(producer, status=PublishJob.Status.PUBLISHED, ftrack_thumbnail_id=component_id)
    for user in (producer, coordinator):
        response = client_for(user).get(f"/jobs/{job.pk}/thumbnail/")
        assert response.status_code == 200, user
        assert response["Content-Type"] == "image/png"
        assert response.content == expected
        assert response["Cache-Control"].startswith("private")
        assert b"demo-key" not in response.serialize_headers()


def test_thumbnail_unavailable_is_404_without_leaking_the_key(
    ftrack, producer, other_producer, client_for, caplog
):
    _credential(producer)
    unknown = make_job(producer, ftrack_thumbnail_id="00000000-0000-0000-0000-000000000000")
    no_credential = make_job(other_producer, ftrack_thumbnail_id="00000000-0000-0000-0000-000000000001")
    assert client_for(producer).get(f"/jobs/{unknown.pk}/thumbnail/").status_code == 404
    assert client_for(other_producer).get(f"/jobs/{no_credential.pk}/thumbnail/").status_code == 404
    assert "demo-key" not in caplog.text and "apiKey" not in caplog.text
