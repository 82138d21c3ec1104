from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ftrack_support import flush_namespace  # noqa: E402


@pytest.fixture
def ftrack_settings(settings, ftrack_server, redis_url, tmp_path_factory):
    """Point the portal at the dev server and the test Redis; fresh session pool for each test."""
    from publishing.ftrack import sessions

    settings.FTRACK_SERVER = ftrack_server.url
    settings.REDIS_URL = redis_url
    settings.FTRACK_SCHEMA_CACHE_DIR = str(tmp_path_factory.getbasetemp() / "ftrack-schema")
    settings.FTRACK_CACHE_TTL = 60
    flush_namespace(redis_url, ftrack_server.url)
    sessions.close_all_sessions()
    sessions._pool = None
    yield settings
    sessions.close_all_sessions()
    sessions._pool = None
