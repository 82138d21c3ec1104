"""Settings from the environment (each case in a fresh interpreter), roles and secrets at rest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from factories import make_user

from publishing.core import roles
from publishing.core.crypto import SecretUnreadable, decrypt_secret, encrypt_secret, rotate_secret

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "db_engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "db_host": settings.DATABASES["default"].get("HOST"),
    "staging": settings.STORAGES["staging"]["BACKEND"],
    "staging_options": {k: str(v) for k, v in settings.STORAGES["staging"].get("OPTIONS", {}).items()},
    "staticfiles": settings.STORAGES["staticfiles"]["BACKEND"],
    "redis": settings.REDIS_URL,
    "broker": settings.CELERY_BROKER_URL,
    "result": settings.CELERY_RESULT_BACKEND,
    "expiry": settings.UPLOAD_EXPIRY.total_seconds(),
    "extensions": settings.ALLOWED_UPLOAD_EXTENSIONS,
    "ftrack": settings.FTRACK_SERVER,
    "secure_cookie": getattr(settings, "SESSION_COOKIE_SECURE", False),
    "hsts": getattr(settings, "SECURE_HSTS_SECONDS", 0),
    "email": settings.EMAIL_BACKEND,
    "session_sliding": settings.SESSION_SAVE_EVERY_REQUEST,
}))
"""


def _settings_with(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "STAGING_"))
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=clean, capture_output=True, text=True, timeout=60
    )


def _loaded(**env: str) -> dict:
    result = _settings_with(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_need_no_environment():
    values = _loaded()
    assert values["DEBUG"] is True
    assert values["db_engine"] == "django.db.backends.sqlite3"
    assert values["db_name"].endswith("var/db.sqlite3")
    assert values["staging"] == "django.core.files.storage.FileSystemStorage"
    assert values["staging_options"]["location"].endswith("var/staging")
    assert values["redis"] == values["broker"] == values["result"] == "redis://127.0.0.1:6379/0"
    assert values["expiry"] == 24 * 3600
    assert ".mov" in values["extensions"] and ".exr" in values["extensions"]
    assert values["ftrack"] == "http://127.0.0.1:8010"
    assert values["email"].endswith("console.EmailBackend")
    assert values["session_sliding"] is True


def test_production_requires_secret_key():
    result = _settings_with(DEBUG="false", CREDENTIAL_KEYS=Fernet.generate_key().decode())
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_requires_credential_keys():
    result = _settings_with(DEBUG="false", SECRET_KEY="s" * 50)
    assert result.returncode != 0
    assert "CREDENTIAL_KEYS" in result.stderr


def test_production_hardening():
    values = _loaded(DEBUG="false", SECRET_KEY="s" * 50, CREDENTIAL_KEYS=Fernet.generate_key().decode())
    assert values["DEBUG"] is False
    assert values["secure_cookie"] is True
    assert values["hsts"] >= 31536000
    assert values["staticfiles"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_database_redis_and_s3_staging_from_environment():
    values = _loaded(
        DATABASE_URL="postgres://portal:pw@db.example:5432/portal",
        REDIS_URL="redis://cache.example:6380/2",
        EMAIL_HOST="smtp.example",
        STAGING_S3_BUCKET="review-staging",
        STAGING_S3_REGION="eu-west-1",
        UPLOAD_EXPIRY="90m",
        ALLOWED_UPLOAD_EXTENSIONS="mov,.EXR",
    )
    assert values["db_engine"] == "django.db.backends.postgresql"
    assert values["db_host"] == "db.example"
    assert values["broker"] == values["result"] == "redis://cache.example:6380/2"
    assert values["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["staging"] == "storages.backends.s3.S3Storage"
    assert values["staging_options"]["bucket_name"] == "review-staging"
    assert values["staging_options"]["region_name"] == "eu-west-1"
    assert values["expiry"] == 90 * 60
    assert values["extensions"] == [".mov", ".exr"]


def test_bad_duration_is_a_clear_error():
    result = _settings_with(UPLOAD_EXPIRY="tomorrow")
    assert result.returncode != 0
    assert "UPLOAD_EXPIRY must be a duration" in result.stderr


def test_migrations_create_the_three_role_groups(db):
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {"producer", "coordinator", "admin"}


def test_roles(db):
    producer = make_user(role=roles.PRODUCER)
    coordinator = make_user(role=roles.COORDINATOR)
    admin = make_user(role=roles.ADMIN)
    superuser = make_user(is_superuser=True)
    nobody = make_user()
    assert [roles.is_producer(u) for u in (producer, coordinator, admin, superuser, nobody)] == [
        1,
        1,
        1,
        1,
        0,
    ]
    assert [roles.is_coordinator(u) for u in (producer, coordinator, admin, superuser, nobody)] == [
        0,
        1,
        1,
        1,
        0,
    ]
    assert [roles.is_admin(u) for u in (producer, coordinator, admin, superuser, nobody)] == [0, 0, 1, 1, 0]


def test_secrets_round_trip_and_rotate(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIAL_KEYS = [old]
    token = encrypt_secret("ftrack-api-key-123")
    assert "ftrack-api-key-123" not in token
    assert decrypt_secret(token) == "ftrack-api-key-123"

    settings.CREDENTIAL_KEYS = [new, old]  # new key first: encrypts; old still decrypts
    assert decrypt_secret(token) == "ftrack-api-key-123"
    rotated = rotate_secret(token)
    settings.CREDENTIAL_KEYS = [new]
    assert decrypt_secret(rotated) == "ftrack-api-key-123"
    with pytest.raises(SecretUnreadable) as info:
        decrypt_secret(token)
    assert token not in str(info.value)


def test_admin_lists_every_model(client_for, db):
    from django.apps import apps

    staff = make_user(is_staff=True, is_superuser=True)
    client = client_for(staff)
    for model in apps.get_app_config("publishing").get_models():
        if model._meta.model_name == "jobupload":
            continue  # edited inline on the job
        url = f"/admin/publishing/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url


def test_redis_url_fixture_answers(redis_url):
    import redis

    assert redis.Redis.from_url(redis_url).ping()
