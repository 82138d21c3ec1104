"""docker-compose.yml and Dockerfile: the services, their commands, volumes and settings."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SECRETS = {
    "SECRET_KEY": "s" * 50,
    "CREDENTIAL_KEYS": "k" * 44,
    "FTRACK_SERVER": "https://studio.ftrackapp.com",
}


def _compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def _services(config: dict) -> dict:
    return config["services"]


def _command(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def _check(config: dict) -> None:
    services = _services(config)
    assert {"web", "worker", "beat", "redis", "postgres"} <= set(services)
    assert _command(services["web"]).startswith("gunicorn portal.wsgi:application")
    worker = _command(services["worker"])
    assert worker.startswith("celery -A portal worker") and re.search(r"-Q publish\b", worker)
    assert _command(services["beat"]).startswith("celery -A portal beat")

    for name in ("web", "worker"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["DEBUG"] == "false"
        staging = env["STAGING_DIR"]
        volumes = services[name]["volumes"]
        # Short syntax ("staging:/path", compose v1 adds ":rw") or long syntax (dicts, compose v2).
        mounts = [
            ":".join(v.split(":")[:2]) if isinstance(v, str) else f"{v['source']}:{v['target']}"
            for v in volumes
        ]
        assert f"staging:{staging}" in mounts, mounts
        # The S3 variant is a matter of environment variables.
        assert "STAGING_S3_BUCKET" in env
    assert "staging" in config["volumes"] and "pgdata" in config["volumes"]
    assert services["web"]["ports"]


def test_docker_compose_file_defines_the_services():
    config = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    _check(config)
    raw = (REPO / "docker-compose.yml").read_text()
    # Secrets are required from the environment, never given a default in the file.
    for secret in ("SECRET_KEY", "CREDENTIAL_KEYS"):
        assert re.search(rf"\${{{secret}:\?", raw), secret


def test_docker_compose_environment_names_are_real_settings():
    config = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    settings_source = (REPO / "portal" / "settings.py").read_text()
    names = set()
    for name in ("web", "worker", "beat"):
        names |= set(config["services"][name]["environment"])
    unknown = sorted(n for n in names if f'"{n}"' not in settings_source)
    assert unknown == []


def test_dockerfile_runs_gunicorn_as_unprivileged_user():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert "collectstatic" in dockerfile and "npm run" in dockerfile
    assert re.search(r"^USER portal$", dockerfile, re.M)
    assert '"gunicorn", "portal.wsgi:application"' in dockerfile
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git", "var"} <= set(ignored)


def test_docker_compose_config_validates():
    command = _compose_command()
    if command is None:
        pytest.skip("no docker compose client here (neither the compose plugin nor docker-compose)")
    env = {**os.environ, **SECRETS}
    result = subprocess.run(
        [*command, "-f", str(REPO / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    _check(yaml.safe_load(result.stdout))

    without = {k: v for k, v in env.items() if k != "SECRET_KEY"}
    refused = subprocess.run(
        [*command, "-f", str(REPO / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=without,
        timeout=60,
    )
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr
