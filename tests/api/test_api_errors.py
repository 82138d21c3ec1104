"""One error shape for every refusal of the API, whatever produced it; token and session auth."""

from __future__ import annotations

import pytest
from api_support import make_job
from rest_framework import exceptions

from publishing.api.errors import api_exception_handler
from publishing.core.errors import FtrackUnavailable, MissingCredential


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    return body["error"]


def test_unknown_address_under_api_is_a_json_404(api_for, producer):
    error = _error(api_for(producer).get("/api/no-such-thing/"), 404)
    assert error["code"] == "not_found"
    # Pages keep their HTML 404.
    assert not api_for(producer).get("/no-such-page/")["Content-Type"].startswith("application/json")


def test_non_numeric_and_unknown_ids_are_404(api_for, producer):
    assert _error(api_for(producer).get("/api/jobs/999999/"), 404)["code"] == "not_found"
    assert _error(api_for(producer).get("/api/batches/abc/"), 404)["code"] == "not_found"
    assert _error(api_for(producer).get("/api/uploads/00000000-0000-0000-0000-000000000000"), 404)


def test_wrong_method_is_405(api_for, producer, jobs):
    error = _error(api_for(producer).delete(f"/api/jobs/{jobs['producer'].pk}/"), 405)
    assert error["code"] == "method_not_allowed"
    assert _error(api_for(producer).get(f"/api/jobs/{jobs['producer'].pk}/retry/"), 405)


def test_bad_filters_are_400_with_details(api_for, producer):
    error = _error(api_for(producer).get("/api/jobs/?status=exploded&since=yesterday&producer=-1"), 400)
    assert error["code"] == "invalid"
    assert {"status", "since", "producer"} <= set(error["details"])
    assert _error(api_for(producer).get("/api/uploads/?state=nope"), 400)["details"]["state"]


def test_job_filters_select(api_for, coordinator, producer, other_producer):
    failed = make_job(producer, asset_name="plate")
    queued = make_job(other_producer, status="queued", asset_name="matte", project_id="proj-2")
    client = api_for(coordinator)

    def ids(query: str) -> set[int]:
        response = client.get(f"/api/jobs/?{query}")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids("status=failed") == {failed.pk}
    assert ids("status=active") == {queued.pk}
    assert ids("project=proj-2") == {queued.pk}
    assert ids(f"producer={producer.pk}") == {failed.pk}
    assert ids(f"batch={queued.batch_id}") == {queued.pk}
    assert ids("q=matte") == {queued.pk}
    assert ids("q=plate.mov") == {failed.pk}  # file names count too
    assert ids("since=2000-01-01&until=2999-12-31") == {failed.pk, queued.pk}
    assert ids("until=2000-01-01") == set()


def test_pages_have_one_shape(api_for, coordinator, producer):
    for n in range(3):
        make_job(producer, asset_name=f"shot{n}")
    page = api_for(coordinator).get("/api/jobs/?limit=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2
    assert "offset=2" in page["next"] and page["previous"] is None
    rest = api_for(coordinator).get(page["next"]).json()
    assert len(rest["results"]) == 1 and rest["next"] is None
    assert set(api_for(coordinator).get("/api/batches/?limit=1").json()) == set(page)


def test_bad_token_is_401_and_never_echoed(api_for):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token-1234567890")
    response = client.get("/api/me/")
    error = _error(response, 401)
    assert error["code"] == "authentication_failed"
    assert "not-a-real-token" not in response.content.decode()


def test_session_auth_needs_csrf_for_writes(producer, jobs):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(producer)
    assert browser.get("/api/me/").status_code == 200
    refused = browser.post(f"/api/jobs/{jobs['producer'].pk}/retry/")
    assert _error(refused, 403)["code"] == "permission_denied"
    assert "CSRF" in refused.json()["error"]["message"]


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (exceptions.Throttled(wait=12), 429, "throttled"),
        (FtrackUnavailable("ftrack down"), 503, "ftrack_unavailable"),
        (MissingCredential("pia"), 409, "missing_credential"),
        (exceptions.ValidationError({"q": ["too long"]}), 400, "invalid"),
    ],
)
def test_handler_maps_every_refusal_to_the_shape(exc, status, code):
    response = api_exception_handler(exc, {})
    assert response.status_code == status
    assert response.data["error"]["code"] == code
    if status == 429:
        assert response["Retry-After"] == "12"


def test_me_tells_credential_health_but_never_the_key(api_for, producer):
    from publishing.core.crypto import encrypt_secret
    from publishing.models import FtrackCredential

    assert api_for(producer).get("/api/me/").json()["credential"] is None
    FtrackCredential.objects.create(
        user=producer,
        api_user="producer",
        api_key_encrypted=encrypt_secret("demo-key-producer"),
        is_healthy=False,
        last_error="ftrack rejected the key",
    )
    response = api_for(producer).get("/api/me/")
    body = response.json()
    assert body["username"] == "pia.producer" and body["role"] == "Producer" and body["can_publish"] is True
    assert body["credential"]["api_user"] == "producer" and body["credential"]["is_healthy"] is False
    text = response.content.decode()
    assert "demo-key-producer" not in text and "api_key" not in text
    encrypted = FtrackCredential.objects.get(user=producer).api_key_encrypted
    assert encrypted not in text


def test_coordinator_me_cannot_publish(api_for, coordinator):
    body = api_for(coordinator).get("/api/me/").json()
    assert body["role"] == "Coordinator" and body["can_publish"] is False


def test_a_crash_under_api_is_a_json_500_without_the_traceback(settings, db):
    from django.test import Client

    settings.ROOT_URLCONF = "boom_urls"
    response = Client(raise_request_exception=False).get("/api/boom/")
    error = _error(response, 500)
    assert error["code"] == "server_error"
    assert "a bug" not in response.content.decode()


def test_a_tus_upload_shows_up_in_the_list(api_for, producer, tus_headers, live_server):
    import requests

    headers = tus_headers(producer)
    created = requests.post(
        f"{live_server.url}/api/uploads/",
        headers={**headers, "Upload-Length": "4", "Upload-Metadata": "filename c2hvdC5wbmc="},
        timeout=10,
    )
    assert created.status_code == 201
    listing = requests.get(f"{live_server.url}/api/uploads/", headers=headers, timeout=10).json()
    assert [row["filename"] for row in listing["results"]] == ["shot.png"]
    assert listing["results"][0]["state"] == "receiving"
    assert created.headers["Location"].endswith(listing["results"][0]["id"])
