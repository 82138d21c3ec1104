"""Making a version reviewable in the browser, and checking that it is.

Routes (FTRACK-PROTOCOL §5):
* ``encode``: ftrack encodes the uploaded source (``encode_media`` with the version id); we follow
  the ftrack Job until it is done or failed.
* pre-encoded movie: the source is already H.264 MP4, so it goes up again as ``ftrackreview-mp4``
  with ``ftr_meta``; the worker makes the thumbnail.
* still: ``ftrackreview-image`` (JPEG/PNG as is, other formats converted), which is also the
  thumbnail.
* image sequence: the worker builds an H.264 movie at the sequence's frame rate and sends it by the
  pre-encoded route with ``frameIn``/``frameOut`` from the real frame range.

Every id is recorded on the job before the thing it names is created, so a resumed job finds it.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING

from django.conf import settings

from publishing.errors import EncodeFailed, NotPlayable
from publishing.ftrack import media
from publishing.ftrack.uploader import Source, ensure_file_component, in_server_location
from publishing.models import PublishJob

if TYPE_CHECKING:
    from publishing.ftrack.run import Run

ENCODE_TIMEOUT = 3 * 3600
VIDEO_META_KEYS = ("frameIn", "frameOut", "frameRate", "width", "height")


def route_for(run: Run) -> str:
    job = run.job
    if job.kind == PublishJob.Kind.SEQUENCE:
        return "sequence"
    if job.kind == PublishJob.Kind.IMAGE:
        return "image"
    upload = run.uploads[0]
    if not job.batch.encode_for_review and media.is_browser_movie(upload.filename, upload.probe or {}):
        return "movie"
    return "encode"


def make_reviewable(run: Run) -> None:
    route = route_for(run)
    run.event("route", f"review by the {route} route")
    if route == "encode":
        _encode_media(run)
    elif route == "movie":
        _preencoded_movie(run)
    elif route == "image":
        _preencoded_image(run)
    else:
        _sequence_movie(run)


# --- ftrack encodes ------------------------------------------------------------------------------


def _encode_media(run: Run) -> None:
    session, job = run.session, run.job
    # Review components without a recorded Job: an earlier run asked for the encode and died
    # before recording it. Asking again would make a second set of review media.
    if not job.ftrack_encode_job_id and not review_components(session, job.ftrack_version_id):
        component = session.get("FileComponent", job.ftrack_component_id)
        ftrack_job = session.encode_media(component, version_id=job.ftrack_version_id, keep_original=True)
        run.save(ftrack_encode_job_id=ftrack_job["id"])
    images = []
    if job.ftrack_encode_job_id:
        outputs = _wait_for_job(run, job.ftrack_encode_job_id).get("output") or []
        images = [o["component_id"] for o in outputs if str(o.get("format", "")).startswith("image/")]
    if _has_thumbnail(run):
        return
    if images:
        _ensure_thumbnail_id(run, images[0])
        return
    upload = run.uploads[0]  # the server made no still: make our own from the source
    with media.workdir() as tmp:
        _upload_thumbnail(
            run, media.make_thumbnail(media.staging_input(upload.storage_path), tmp, on_tick=run.tick)
        )


def _wait_for_job(run: Run, job_id: str) -> dict:
    session = run.session
    poll = float(getattr(settings, "FTRACK_ENCODE_POLL", 1.0))
    deadline = time.monotonic() + ENCODE_TIMEOUT
    delay = min(0.2, poll)
    step = 0
    while True:
        row = session.query(f'select status, data from Job where id is "{job_id}"').one()
        status = row["status"]
        data = _json(row["data"])
        if status == "done":
            return data
        if status == "failed":
            raise EncodeFailed(str(data.get("description") or data.get("error") or "the encode job failed"))
        if time.monotonic() > deadline:
            raise EncodeFailed("the encode job did not finish in time")
        step += 1
        # ftrack reports no percentage for encodes: show that it is moving, approaching 90 %.
        run.heartbeat(progress=min(0.9, 1 - 0.9**step))
        time.sleep(delay)  # polling ftrack's Job; there is no push notification to wait on
        delay = min(delay * 1.5, poll)


# --- pre-encoded routes -------------------------------------------------------------------------


def _preencoded_movie(run: Run) -> None:
    upload = run.uploads[0]
    probe = upload.probe or {}
    review_id = run.reserve("ftrack_review_component_id")
    ensure_file_component(
        run.session,
        component_id=review_id,
        name="ftrackreview-mp4",
        source=Source(upload.storage_path, upload.size, upload.md5_base64),
        file_type=".mp4",
        version_id=run.job.ftrack_version_id,
        on_bytes=run.bytes_counter(),
    )
    frames = int(probe.get("frame_count") or 0) or round(
        float(probe.get("duration") or 0) * float(probe.get("fps") or 0)
    )
    _set_ftr_meta(
        run,
        review_id,
        {
            "frameIn": 0,
            "frameOut": max(frames - 1, 0),
            "frameRate": float(probe.get("fps") or 24),
            "width": int(probe.get("width") or 0),
            "height": int(probe.get("height") or 0),
        },
    )
    if _has_thumbnail(run):
        return
    with media.workdir() as tmp:
        duration = float(probe.get("duration") or 0)
        thumb = media.make_thumbnail(
            media.staging_input(upload.storage_path), tmp, at_seconds=duration / 2, on_tick=run.tick
        )
        _upload_thumbnail(run, thumb)


def _preencoded_image(run: Run) -> None:
    upload = run.uploads[0]
    probe = upload.probe or {}
    review_id = run.reserve("ftrack_review_component_id")
    with media.workdir() as tmp:
        if media.is_browser_still(upload.filename):
            source = Source(upload.storage_path, upload.size, upload.md5_base64)
            file_type = "." + upload.filename.rsplit(".", 1)[-1].lower()
            width, height = probe.get("width"), probe.get("height")
        else:
            converted = media.make_jpeg(media.staging_input(upload.storage_path), tmp, on_tick=run.tick)
            source, file_type = Source.local_file(converted), ".jpg"
            info = media.probe_local(converted)
            width, height = info.get("width"), info.get("height")
        ensure_file_component(
            run.session,
            component_id=review_id,
            name="ftrackreview-image",
            source=source,
            file_type=file_type,
            version_id=run.job.ftrack_version_id,
            on_bytes=run.bytes_counter(),
        )
    _set_ftr_meta(run, review_id, {"format": "image", "width": int(width or 0), "height": int(height or 0)})
    _ensure_thumbnail_id(run, review_id)


def _sequence_movie(run: Run) -> None:
    job = run.job
    fps = run.frame_rate()
    review_id = run.reserve("ftrack_review_component_id")
    first = run.uploads[0].probe or {}
    # libx264 needs even dimensions: the movie is the first frame's size rounded down to even.
    width, height = int(first.get("width") or 0) // 2 * 2, int(first.get("height") or 0) // 2 * 2
    with media.workdir() as tmp:
        if not in_server_location(run.session, [review_id]):
            frames = [(link.frame, media.staging_input(link.upload.storage_path)) for link in run.links]
            movie = media.make_sequence_movie(frames, fps, tmp, on_tick=run.tick)
            if not (width and height):
                info = media.probe_local(movie)
                width, height = int(info.get("width") or 0), int(info.get("height") or 0)
            ensure_file_component(
                run.session,
                component_id=review_id,
                name="ftrackreview-mp4",
                source=Source.local_file(movie),
                file_type=".mp4",
                version_id=job.ftrack_version_id,
                on_bytes=run.bytes_counter(),
            )
        _set_ftr_meta(
            run,
            review_id,
            {
                "frameIn": job.frame_start,
                "frameOut": job.frame_end,
                "frameRate": fps,
                "width": width,
                "height": height,
            },
        )
        if not _has_thumbnail(run):
            middle = run.links[len(run.links) // 2].upload.storage_path
            _upload_thumbnail(run, media.make_thumbnail(media.staging_input(middle), tmp, on_tick=run.tick))


def _has_thumbnail(run: Run) -> bool:
    version = run.session.query(
        f'select id, thumbnail_id from AssetVersion where id is "{run.job.ftrack_version_id}"'
    ).one()
    thumbnail_id = version["thumbnail_id"]
    return bool(thumbnail_id) and bool(in_server_location(run.session, [thumbnail_id]))


def _set_ftr_meta(run: Run, component_id: str, meta: dict) -> None:
    session = run.session
    existing = session.query(
        f'select parent_id, key, value from Metadata where parent_id is "{component_id}" and key is "ftr_meta"'
    ).all()
    if existing:
        return
    component = session.get("FileComponent", component_id)
    component["metadata"]["ftr_meta"] = json.dumps(meta)
    session.commit()


def _upload_thumbnail(run: Run, path: str) -> None:
    thumbnail_id = run.reserve("ftrack_thumbnail_id")
    ensure_file_component(
        run.session,
        component_id=thumbnail_id,
        name="thumbnail",
        source=Source.local_file(path),
        file_type=".jpg",
        version_id=None,
    )
    _ensure_thumbnail_id(run, thumbnail_id)


def _ensure_thumbnail_id(run: Run, component_id: str) -> None:
    session = run.session
    version = session.query(
        f'select id, thumbnail_id from AssetVersion where id is "{run.job.ftrack_version_id}"'
    ).one()
    if not version["thumbnail_id"]:
        version["thumbnail_id"] = component_id
        session.commit()
    run.save(ftrack_thumbnail_id=version["thumbnail_id"] or component_id)


# --- verification -------------------------------------------------------------------------------


def review_components(session, version_id: str) -> list:
    rows = session.query(
        f'select id, name, file_type from Component where version_id is "{version_id}"'
    ).all()
    return [c for c in rows if str(c["name"]).startswith("ftrackreview-")]


def verify_playable(run: Run) -> None:
    """The version has a review component in ftrack.server with valid ftr_meta, and a thumbnail."""
    session, job = run.session, run.job
    candidates = review_components(session, job.ftrack_version_id)
    if not candidates:
        raise NotPlayable("it has no review component")
    ids = [c["id"] for c in candidates]
    stored = in_server_location(session, ids)
    metas = {
        m["parent_id"]: m["value"]
        for m in session.query(
            f'select parent_id, key, value from Metadata where key is "ftr_meta" and parent_id in ({",".join(ids)})'
        ).all()
    }
    playable = [c for c in candidates if c["id"] in stored and _meta_valid(c["name"], metas.get(c["id"]))]
    if not playable:
        raise NotPlayable("its review media is missing from ftrack or has no valid playback information")
    version = session.query(
        f'select id, thumbnail_id from AssetVersion where id is "{job.ftrack_version_id}"'
    ).one()
    thumbnail_id = version["thumbnail_id"]
    if not thumbnail_id or not in_server_location(session, [thumbnail_id]):
        raise NotPlayable("it has no thumbnail")
    best = sorted(playable, key=lambda c: (c["name"] != "ftrackreview-mp4", c["name"]))[0]
    run.save(ftrack_review_component_id=best["id"], ftrack_thumbnail_id=thumbnail_id)


def _meta_valid(name: str, raw) -> bool:
    meta = _json(raw)
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


def _json(raw) -> dict:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def new_id() -> str:
    return str(uuid.uuid4())
