"""Helpers for the dev server tests. ``ftrack_server`` (session, demo seed) is in tests/conftest.py."""

from __future__ import annotations

import json

import ftrack_api
import pytest
import requests


@pytest.fixture
def make_session(ftrack_server, tmp_path):
    """make_session(username="producer", server=None) -> an ftrack_api.Session on the dev server."""
    sessions = []

    def make(username: str = "producer", server=None, cache_dir=None) -> ftrack_api.Session:
        server = server or ftrack_server
        session = ftrack_api.Session(
            server_url=server.url,
            api_user=username,
            api_key=server.users[username],
            auto_connect_event_hub=False,
            schema_cache_path=str(cache_dir or tmp_path),
        )
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def api(ftrack_server):
    """api(operations, user="producer", server=None, **headers) -> decoded JSON of a raw POST /api."""

    def call(operations, user: str = "producer", server=None, strict: bool = False, key: str | None = None):
        server = server or ftrack_server
        headers = {
            "content-type": "application/json",
            "ftrack-user": user,
            "ftrack-api-key": key if key is not None else server.users[user],
            "ftrack-strict-api": "true" if strict else "false",
        }
        response = requests.post(
            f"{server.url}/api", data=json.dumps(operations), headers=headers, timeout=30
        )
        call.last_status = response.status_code
        return response.json()

    return call
