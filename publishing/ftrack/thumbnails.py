"""Thumbnails out of ftrack, for pages that must never see the signed URL ftrack gives for them."""

from __future__ import annotations

import logging

import requests
from django.conf import settings

from publishing.ftrack.lookups import SERVER_LOCATION_ID
from publishing.ftrack.sessions import use_session

log = logging.getLogger(__name__)

THUMBNAIL_MAX_BYTES = 2 * 1024 * 1024
SAFE_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def fetch(user, component_id: str) -> tuple[str, bytes] | None:
    """(content type, bytes) of a thumbnail component as ``user`` sees it, or None when ftrack
    cannot give it (or gives something a browser should not be handed).

    The URL ftrack hands out carries the user's API key: it is used once, here, and never logged
    or returned.
    """
    try:
        with use_session(user) as session:
            component = session.get("Component", component_id)
            if component is None:
                return None
            location = session.get("Location", SERVER_LOCATION_ID)
            url = location.get_thumbnail_url(component, size=300)
        with requests.get(url, timeout=float(settings.FTRACK_TIMEOUT), stream=True) as answer:
            content_type = answer.headers.get("Content-Type", "").split(";")[0].strip()
            if answer.status_code != 200:
                return None
            body = answer.raw.read(THUMBNAIL_MAX_BYTES + 1, decode_content=True)
    except Exception as error:  # noqa: BLE001 - a missing thumbnail must never break the page
        log.warning("thumbnail %s not available: %s", component_id, type(error).__name__)
        return None
    if len(body) > THUMBNAIL_MAX_BYTES:
        return None
    if content_type not in SAFE_IMAGE_TYPES:
        # Never pass through what a browser could run (SVG, HTML): only raster images we recognise.
        content_type = _sniff_image(body)
    return (content_type, body) if content_type else None


def _sniff_image(body: bytes) -> str:
    if body.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if body.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return ""
