"""Production settings: `manage.py check --deploy` is clean, and the hardening is really switched on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[2]
SECRET_KEY = "k3Y-" + "x9Qz7!pL2vR8sT4wY6uI0oP5aS3dF1gH-" * 2


def _production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "SESSION_"))}
    env.update(
        DEBUG="false",
        SECRET_KEY=SECRET_KEY,
        CREDENTIAL_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="portal.example.com",
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_hardening_is_switched_off():
    # The check above can fail: with HSTS and secure cookies off it reports them.
    env = _production_env(SECURE_HSTS_SECONDS="0", SESSION_COOKIE_SECURE="false")
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout
    assert "security.W012" in result.stderr + result.stdout


PRINT_SETTINGS = """
import json
import django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in (
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER", "X_FRAME_OPTIONS", "SECURE_REFERRER_POLICY",
    "SESSION_COOKIE_HTTPONLY", "SESSION_SAVE_EVERY_REQUEST", "SECURE_CONTENT_TYPE_NOSNIFF")}))
"""


def test_production_defaults_and_knobs():
    result = _run(["-c", PRINT_SETTINGS], _production_env())
    assert result.returncode == 0, result.stderr
    prod = json.loads(result.stdout)
    assert prod["DEBUG"] is False
    assert prod["SESSION_COOKIE_SECURE"] and prod["CSRF_COOKIE_SECURE"] and prod["SESSION_COOKIE_HTTPONLY"]
    assert prod["SECURE_SSL_REDIRECT"] is True
    assert prod["SECURE_HSTS_SECONDS"] >= 31536000 and prod["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert prod["SECURE_PROXY_SSL_HEADER"] is None  # opt-in only
    assert prod["X_FRAME_OPTIONS"] == "DENY"
    assert prod["SECURE_REFERRER_POLICY"] == "same-origin"
    assert prod["SESSION_SAVE_EVERY_REQUEST"] is True

    tuned = _run(
        ["-c", PRINT_SETTINGS],
        _production_env(
            SECURE_HSTS_SECONDS="600", SECURE_PROXY_SSL_HEADER="true", SECURE_SSL_REDIRECT="false"
        ),
    )
    assert tuned.returncode == 0, tuned.stderr
    tuned = json.loads(tuned.stdout)
    assert tuned["SECURE_HSTS_SECONDS"] == 600
    assert tuned["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert tuned["SECURE_SSL_REDIRECT"] is False


@pytest.mark.parametrize("missing", ["SECRET_KEY", "CREDENTIAL_KEYS"])
def test_production_refuses_to_start_without_secrets(missing):
    env = _production_env()
    env.pop(missing)
    result = _run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr
    # The error names the missing variable but never echoes the other secret.
    assert SECRET_KEY not in result.stderr
