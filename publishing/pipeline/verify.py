"""Verify playable: the last stage before "published" reads back what a reviewer would get.

A version counts as playable when it has a review component (``ftrackreview-*``) stored in
ftrack.server with valid ``ftr_meta`` (video: frameIn, frameOut, frameRate, width, height; image:
format, width, height) and a thumbnail stored there too. Anything less fails the job with
``not_playable``, never "published".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from publishing.core.errors import NotPlayable
from publishing.ftrack.lookups import json_field, version_state

if TYPE_CHECKING:
    from publishing.pipeline.run import Run

VIDEO_META_KEYS = ("frameIn", "frameOut", "frameRate", "width", "height")


def verify_playable(run: Run) -> None:
    """The version has a review component in ftrack.server with valid ftr_meta, and a thumbnail."""
    state, run.state = run.state, None
    if state is None:
        state = version_state(run.session, run.job.ftrack_version_id)
    candidates = state.review_components()
    if not candidates:
        raise NotPlayable("it has no review component")
    playable = [c for c in candidates if state.stored(c) and _meta_valid(c["name"], state.ftr_meta(c))]
    if not playable:
        raise NotPlayable("its review media is missing from ftrack or has no valid playback information")
    if not state.thumbnail_id or not state.thumbnail_stored():
        raise NotPlayable("it has no thumbnail")
    best = sorted(playable, key=lambda c: (c["name"] != "ftrackreview-mp4", c["name"]))[0]
    run.save(ftrack_review_component_id=best["id"], ftrack_thumbnail_id=state.thumbnail_id)


def _meta_valid(name: str, raw) -> bool:
    meta = json_field(raw)
    if not meta:
        return False
    if name.startswith("ftrackreview-image") or meta.get("format") == "image":
        return _positive(meta.get("width")) and _positive(meta.get("height"))
    if not all(k in meta for k in VIDEO_META_KEYS):
        return False
    try:
        return (
            float(meta["frameRate"]) > 0
            and _positive(meta["width"])
            and _positive(meta["height"])
            and int(meta["frameOut"]) >= int(meta["frameIn"])
        )
    except (TypeError, ValueError):
        return False


def _positive(value) -> bool:
    try:
        return float(value) > 0
    except (TypeError, ValueError):
        return False
