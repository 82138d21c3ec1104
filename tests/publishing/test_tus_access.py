"""Who may upload and who may see an upload: the cast against the tus endpoint, by token and by session."""

from __future__ import annotations

import base64

import pytest
import requests

from publishing.models import Upload

OCTETS = "application/offset+octet-stream"
CREATE = {"Upload-Length": "4", "Upload-Metadata": "filename " + base64.b64encode(b"a.mov").decode()}


def _create(endpoint, headers) -> requests.Response:
    return requests.post(endpoint, headers={**headers, **CREATE})


@pytest.mark.parametrize("who", ["producer", "admin_user"])
def test_every_role_can_upload_its_own_file(request, tus_endpoint, tus_headers, who):
    user = request.getfixturevalue(who)
    headers = tus_headers(user)
    response = _create(tus_endpoint, headers)
    assert response.status_code == 201
    url = response.headers["Location"]
    patch = requests.patch(
        url, data=b"abcd", headers={**headers, "Upload-Offset": "0", "Content-Type": OCTETS}
    )
    assert patch.status_code == 204
    assert Upload.objects.get().owner == user


@pytest.mark.parametrize("who", ["other_producer", "coordinator", "admin_user", "outsider"])
def test_someone_elses_upload_does_not_exist_for_them(request, tus_endpoint, tus_headers, producer, who):
    owner_headers = tus_headers(producer)
    url = _create(tus_endpoint, owner_headers).headers["Location"]
    stranger = tus_headers(request.getfixturevalue(who))

    assert requests.head(url, headers=stranger).status_code == 404
    assert requests.get(url, headers=stranger).status_code == 404
    patch = requests.patch(
        url, data=b"abcd", headers={**stranger, "Upload-Offset": "0", "Content-Type": OCTETS}
    )
    assert patch.status_code == 404
    assert requests.delete(url, headers=stranger).status_code == 404
    # ...and the owner's upload is untouched.
    upload = Upload.objects.get()
    assert upload.offset == 0
    assert requests.head(url, headers=owner_headers).status_code == 200


def test_a_coordinator_watches_but_cannot_create_uploads(tus_endpoint, tus_headers, coordinator):
    # The same rule as the upload page and the API (publishing.core.roles.can_upload).
    response = _create(tus_endpoint, tus_headers(coordinator))
    assert response.status_code == 403
    assert "Only producers upload media" in response.text
    assert not Upload.objects.exists()


def test_outsider_without_role_cannot_create(tus_endpoint, tus_headers, outsider):
    response = _create(tus_endpoint, tus_headers(outsider))
    assert response.status_code == 403
    assert "no portal role" in response.text
    assert not Upload.objects.exists()


def test_anonymous_is_told_to_log_in(tus_endpoint, producer, tus_headers):
    url = _create(tus_endpoint, tus_headers(producer)).headers["Location"]
    for response in (
        _create(tus_endpoint, {"Tus-Resumable": "1.0.0"}),
        requests.head(url, headers={"Tus-Resumable": "1.0.0"}),
    ):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Token"
    assert "Log in" in _create(tus_endpoint, {"Tus-Resumable": "1.0.0"}).text
    assert Upload.objects.count() == 1


def test_bad_token_is_401_and_never_echoed(tus_endpoint, db):
    secret = "f" * 40
    response = _create(tus_endpoint, {"Tus-Resumable": "1.0.0", "Authorization": f"Token {secret}"})
    assert response.status_code == 401
    assert secret not in response.text
    assert not Upload.objects.exists()


def _session_for(client_for, user) -> tuple[requests.Session, str]:
    """A requests session carrying a real Django login cookie and a CSRF cookie, like the browser."""
    django_client = client_for(user)
    csrf = "a" * 32
    session = requests.Session()
    # Sent as a header: the cookie jar will not match a dotless host such as "localhost".
    session.headers["Cookie"] = f"sessionid={django_client.cookies['sessionid'].value}; csrftoken={csrf}"
    session.headers["Tus-Resumable"] = "1.0.0"
    return session, csrf


def test_browser_session_with_csrf_token_can_upload(tus_endpoint, client_for, producer, live_server):
    session, csrf = _session_for(client_for, producer)
    response = session.post(tus_endpoint, headers={**CREATE, "X-CSRFToken": csrf})
    assert response.status_code == 201
    url = response.headers["Location"]
    headers = {"Upload-Offset": "0", "Content-Type": OCTETS, "X-CSRFToken": csrf}
    assert session.patch(url, data=b"abcd", headers=headers).status_code == 204
    assert session.head(url).status_code == 200  # reads need no CSRF token
    assert Upload.objects.get().offset == 4


def test_browser_session_without_csrf_token_is_refused(tus_endpoint, client_for, producer, live_server):
    session, _csrf = _session_for(client_for, producer)
    response = session.post(tus_endpoint, headers=CREATE)
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert not Upload.objects.exists()
