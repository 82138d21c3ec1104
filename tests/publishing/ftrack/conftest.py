from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def ftrack_settings(portal_on_devserver, settings):
    """Point the portal at the dev server and the test Redis; fresh session pool for each test."""
    settings.FTRACK_CACHE_TTL = 60
    return settings
