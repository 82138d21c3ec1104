"""No API key or password in logs, error pages, URLs or API responses.

Logs are captured at DEBUG from every logger (caplog plus a stream handler on the root logger, which
is what a real deployment writes), during a failed verify, a successful one, and an exception whose
arguments hold a key. The full-publish case (worker logs included) is in test_publish_hardening.py.
"""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse
from factories import make_token, make_user
from security_boom_urls import LEAKY_KEY

from publishing.core import logging_filters
from publishing.core.logging_filters import MASK, redact, remember_secret

WRONG_KEY = "wrong-key-8c1d4e7f-2b9a-4f60-b3d5"


# --- the redaction itself --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        "GET /component/thumbnail?id=9&username=producer&apiKey=SECRET-VALUE-123 HTTP/1.1",
        "{'ftrack-user': 'producer', 'ftrack-api-key': 'SECRET-VALUE-123'}",
        '{"api_user": "producer", "api_key": "SECRET-VALUE-123"}',
        "verify_credential(api_user='producer', api_key='SECRET-VALUE-123')",
        "Authorization: Token SECRET-VALUE-123",
        "password=SECRET-VALUE-123&username=lena",
        "EMAIL_HOST_PASSWORD: SECRET-VALUE-123",
        "stored token gAAAAABpSECRET-VALUE-123abcdefghijklmnopqrstuvwxyz0123456789_-==",
    ],
)
def test_redact_masks_every_shape(raw):
    cleaned = redact(raw)
    assert "SECRET-VALUE-123" not in cleaned
    assert MASK in cleaned


def test_redact_keeps_ordinary_text_and_ids():
    text = "job 42 published version 1f2e3d4c-aaaa-bbbb-cccc-0123456789ab for producer"
    assert redact(text) == text


def test_remembered_secrets_are_masked_in_any_shape():
    remember_secret("bare-key-0a1b2c3d")
    assert redact("oops bare-key-0a1b2c3d here") == f"oops {MASK} here"


def test_settings_secrets_are_masked(settings):
    settings.EMAIL_HOST_PASSWORD = "smtp-password-777"
    assert "smtp-password-777" not in redact("login to smtp as portal with smtp-password-777 failed")


def test_record_factory_is_installed_by_the_logging_settings():
    # settings.LOGGING names the filter, which installs the factory: every record is cleaned.
    assert logging_filters._factory_installed
    record = logging.getLogger("anything").makeRecord(
        "anything", logging.INFO, __file__, 1, "key %s", ("apiKey=abcdef123456",), None
    )
    assert record.getMessage() == f"key apiKey={MASK}"


def test_an_exception_with_a_key_in_its_args_is_logged_redacted(all_logs):
    remember_secret(LEAKY_KEY)  # what the vault does with every key it decrypts
    log = logging.getLogger("publishing.test")
    try:
        raise RuntimeError("cannot reach ftrack", {"ftrack-api-key": LEAKY_KEY}, LEAKY_KEY)
    except RuntimeError:
        log.exception("publishing failed with api_key=%s", LEAKY_KEY)
    logs = all_logs()
    assert "cannot reach ftrack" in logs and "Traceback" in logs
    assert LEAKY_KEY not in logs


def test_pattern_redaction_works_without_remembering(all_logs):
    # A key never seen by this process is still masked when it comes in a recognisable shape.
    unseen = "unseen-key-4e5f6a7b8c9d"
    logging.getLogger("publishing.test").warning(
        "GET http://ftrack/component/get?id=1&username=x&apiKey=%s failed", unseen
    )
    assert unseen not in all_logs()


# --- error pages -----------------------------------------------------------------------------------
@pytest.mark.urls("security_boom_urls")
def test_500_page_and_its_log_hold_no_key(producer, all_logs, settings):
    settings.DEBUG = False
    remember_secret(LEAKY_KEY)
    client = Client(raise_request_exception=False)
    client.force_login(producer)
    answer = client.get("/__boom__/")
    assert answer.status_code == 500
    body = answer.content.decode()
    assert LEAKY_KEY not in body and "ftrack-api-key" not in body
    logs = all_logs()
    assert "FtrackProblem" in logs  # the failure itself is logged...
    assert LEAKY_KEY not in logs  # ...without the key


@pytest.mark.urls("security_boom_urls")
def test_500_log_masks_url_and_header_shapes_of_an_unknown_key(producer, all_logs, settings):
    # Without the literal being known, the URL and header shapes are still masked (the bare
    # positional argument then is not: that is what remember_secret is for).
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(producer)
    logging_filters._known.discard(LEAKY_KEY)
    client.get("/__boom__/")
    logs = all_logs()
    assert f"apiKey={LEAKY_KEY}" not in logs
    assert f"'ftrack-api-key': '{LEAKY_KEY}'" not in logs


# --- verify: failed and successful --------------------------------------------------------------
@pytest.fixture
def ftrack_settings(settings, ftrack_server):
    settings.FTRACK_SERVER = ftrack_server.url
    return settings


def test_failed_verify_leaks_the_key_nowhere(producer, client_for, ftrack_settings, all_logs):
    client = client_for(producer)
    answer = client.post(reverse("publishing:credentials"), {"api_user": "producer", "api_key": WRONG_KEY})
    assert answer.status_code == 400
    body = answer.content.decode()
    assert "rejected" in body
    assert WRONG_KEY not in body
    assert WRONG_KEY not in all_logs()


def test_saved_key_is_never_shown_again(producer, client_for, ftrack_settings, all_logs):
    from ftrack_devserver.seed import DEMO_USERS

    key = DEMO_USERS["producer"]
    client = client_for(producer)
    answer = client.post(
        reverse("publishing:credentials") + "?next=/upload/", {"api_user": "producer", "api_key": key}
    )
    assert answer.status_code == 302
    assert key not in answer["Location"]
    for url in (reverse("publishing:credentials"), reverse("publishing:upload")):
        page = client.get(url)
        assert page.status_code == 200
        assert key not in page.content.decode()
    # The API answers built from ftrack with this key do not carry it either.
    for name in ("projects", "users", "asset-types"):
        api = client.get(reverse(f"publishing:api:{name}"))
        assert api.status_code == 200, (name, api.content)
        assert key not in api.content.decode()
    assert key not in all_logs()


def test_tus_urls_and_answers_carry_no_credentials(tus_endpoint, producer):
    import base64

    import requests

    token = make_token(producer)
    created = requests.post(
        tus_endpoint,
        headers={
            "Tus-Resumable": "1.0.0",
            "Authorization": f"Token {token}",
            "Upload-Length": "4",
            "Upload-Metadata": "filename " + base64.b64encode(b"a.mov").decode(),
        },
        timeout=10,
    )
    assert created.status_code == 201
    location = created.headers["Location"]
    assert token not in location and "token" not in location.lower() and "key" not in location.lower()
    state = requests.get(location, headers={"Authorization": f"Token {token}"}, timeout=10)
    assert state.status_code == 200 and token not in state.text
    # Someone else's token gets nothing, and no hint of the owner.
    stranger = make_token(make_user("stranger", role="producer"))
    other = requests.get(location, headers={"Authorization": f"Token {stranger}"}, timeout=10)
    assert other.status_code == 404 and producer.username not in other.text


def test_failed_verify_now_of_a_stored_key_leaks_it_nowhere(producer, client_for, ftrack_settings, all_logs):
    from publishing.core.crypto import encrypt_secret
    from publishing.models import FtrackCredential

    token = encrypt_secret(WRONG_KEY)
    FtrackCredential.objects.create(user=producer, api_user="producer", api_key_encrypted=token)
    client = client_for(producer)
    answer = client.post(reverse("publishing:credentials_verify"), follow=True)
    assert answer.status_code == 200
    body = answer.content.decode()
    assert "producer" in body
    for secret in (WRONG_KEY, token):
        assert secret not in body
        assert secret not in all_logs()
    assert FtrackCredential.objects.get(user=producer).is_healthy is False
