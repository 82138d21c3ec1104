"""Making a version reviewable in the browser, and checking that it is.

Routes (docs/ftrack-protocol.md, "Encoding for review"):
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
from typing import TYPE_CHECKING

from django.conf import settings

from publishing.core.errors import EncodeFailed, MediaUndecodable
from publishing.ftrack import media
from publishing.ftrack.lookups import batch_query, json_field, q, version_state
from publishing.ftrack.uploader import (
    NewComponent,
    Source,
    ensure_file_component,
    in_server_location,
    send_new_components,
)
from publishing.models import PublishJob
from publishing.uploads.probe import probe_media

if TYPE_CHECKING:
    from publishing.pipeline.run import Run

ENCODE_TIMEOUT = 3 * 3600


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
    if not job.ftrack_encode_job_id:
        # A source uploaded by this very run cannot have an encode yet; otherwise an earlier run may
        # have asked for one and died before recording the Job's id: adopt that Job (or the review
        # media it already made) instead of encoding twice.
        earlier, has_review = (None, False)
        if not run.is_fresh("ftrack_component_id"):
            earlier, has_review = _earlier_encode(session, job.ftrack_component_id, job.ftrack_version_id)
        if earlier is not None:
            run.save(ftrack_encode_job_id=earlier)
            run.event("encode", "found the encode job an earlier run started", ftrack_job_id=earlier)
        elif not has_review:
            component = session.get("FileComponent", job.ftrack_component_id)
            ftrack_job = session.encode_media(component, version_id=job.ftrack_version_id, keep_original=True)
            run.save(ftrack_encode_job_id=ftrack_job["id"])
    images = []
    if job.ftrack_encode_job_id:
        outputs = _wait_for_job(run, job.ftrack_encode_job_id).get("output") or []
        images = [o["component_id"] for o in outputs if str(o.get("format", "")).startswith("image/")]
    state = version_state(session, job.ftrack_version_id)
    if state.thumbnail_id and state.thumbnail_stored():
        run.state = state  # read after the last write: verify may use it as is
        run.save(ftrack_thumbnail_id=state.thumbnail_id)
        return
    if images:
        _ensure_thumbnail_id(run, images[0], version=state.version)
        return
    upload = run.uploads[0]  # the server made no still: make our own from the source
    with media.workdir() as tmp:
        _upload_thumbnail(
            run, media.make_thumbnail(media.staging_input(upload.storage_path), tmp, on_tick=run.tick)
        )


def _earlier_encode(session, component_id: str, version_id: str) -> tuple[str | None, bool]:
    """(id of a live or finished encode Job of this source, whether the version has review media).

    ftrack records the source component in the Job's ``data``; a failed Job is not adopted, so a
    retry after ``encode_failed`` encodes anew.
    """
    jobs, components = batch_query(
        session,
        [
            "select id, status, data, created_at from Job "
            f'where type is "encode_media" and data like "%{q(component_id)}%"',
            f'select id, name from Component where version_id is "{q(version_id)}"',
        ],
    )
    live = [
        j
        for j in jobs
        if j["status"] != "failed" and json_field(j["data"]).get("source_component_id") == component_id
    ]
    has_review = any(str(c["name"]).startswith("ftrackreview-") for c in components)
    return (live[0]["id"] if live else None), has_review


def _wait_for_job(run: Run, job_id: str) -> dict:
    session = run.session
    poll = float(settings.FTRACK_ENCODE_POLL)
    deadline = time.monotonic() + ENCODE_TIMEOUT
    delay = min(0.2, poll)
    step = 0
    while True:
        row = session.query(f'select status, data from Job where id is "{job_id}"').one()
        status = row["status"]
        data = json_field(row["data"])
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
    frames = int(probe.get("frame_count") or 0) or round(
        float(probe.get("duration") or 0) * float(probe.get("fps") or 0)
    )
    meta = {
        "frameIn": 0,
        "frameOut": max(frames - 1, 0),
        "frameRate": float(probe.get("fps") or 24),
        "width": int(probe.get("width") or 0),
        "height": int(probe.get("height") or 0),
    }
    source = Source(upload.storage_path, upload.size, upload.md5_base64)
    duration = float(probe.get("duration") or 0)
    if run.is_fresh("ftrack_review_component_id") and not run.job.ftrack_thumbnail_id:
        # Nothing of this route exists yet: the thumbnail is made first so that both components
        # share one get_upload_metadata call and one commit (with ftr_meta and the thumbnail link).
        with media.workdir() as tmp:
            thumb = media.make_thumbnail(
                media.staging_input(upload.storage_path), tmp, at_seconds=duration / 2, on_tick=run.tick
            )
            thumbnail_id = run.reserve("ftrack_thumbnail_id")
            send_new_components(
                run.session,
                [
                    NewComponent(
                        review_id,
                        "ftrackreview-mp4",
                        source,
                        ".mp4",
                        run.job.ftrack_version_id,
                        on_bytes=run.bytes_counter(),
                        before_commit=lambda component: _put_ftr_meta(component, meta),
                    ),
                    NewComponent(
                        thumbnail_id,
                        "thumbnail",
                        Source.local_file(thumb),
                        ".jpg",
                        None,
                        before_commit=lambda component: _link_thumbnail(run, component["id"]),
                    ),
                ],
            )
        return
    sent = ensure_file_component(
        run.session,
        component_id=review_id,
        name="ftrackreview-mp4",
        source=source,
        file_type=".mp4",
        version_id=run.job.ftrack_version_id,
        on_bytes=run.bytes_counter(),
        known_new=run.is_fresh("ftrack_review_component_id"),
        before_commit=lambda component: _put_ftr_meta(component, meta),
    )
    if not sent:
        _set_ftr_meta(run, review_id, meta)
    if _has_thumbnail(run):
        return
    with media.workdir() as tmp:
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
            info = probe_local(converted)
            width, height = info.get("width"), info.get("height")
        meta = {"format": "image", "width": int(width or 0), "height": int(height or 0)}
        sent = ensure_file_component(
            run.session,
            component_id=review_id,
            name="ftrackreview-image",
            source=source,
            file_type=file_type,
            version_id=run.job.ftrack_version_id,
            on_bytes=run.bytes_counter(),
            known_new=run.is_fresh("ftrack_review_component_id"),
            # The still is its own thumbnail: meta and thumbnail link travel in the same commit.
            before_commit=lambda component: _still_extras(run, component, meta),
        )
    if sent:
        run.save(ftrack_thumbnail_id=review_id)
        return
    _set_ftr_meta(run, review_id, meta)
    _ensure_thumbnail_id(run, review_id)


def _still_extras(run: Run, component, meta: dict) -> None:
    _put_ftr_meta(component, meta)
    _link_thumbnail(run, component["id"])


def _sequence_movie(run: Run) -> None:
    job = run.job
    fps = run.frame_rate()
    review_id = run.reserve("ftrack_review_component_id")
    first = run.uploads[0].probe or {}
    # libx264 needs even dimensions: the movie is the first frame's size rounded down to even.
    width, height = int(first.get("width") or 0) // 2 * 2, int(first.get("height") or 0) // 2 * 2
    with media.workdir() as tmp:
        if not in_server_location(run.session, [review_id]):
            frames = [(link.frame or 0, media.staging_input(link.upload.storage_path)) for link in run.links]
            movie = media.make_sequence_movie(frames, fps, tmp, on_tick=run.tick)
            if not (width and height):
                info = probe_local(movie)
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


def _put_ftr_meta(component, meta: dict) -> None:
    component["metadata"]["ftr_meta"] = json.dumps(meta)


def _link_thumbnail(run: Run, component_id: str) -> None:
    """Make ``component_id`` the version's thumbnail (a local change: the caller commits)."""
    version = run.session.get("AssetVersion", run.job.ftrack_version_id)
    version["thumbnail_id"] = component_id


def _set_ftr_meta(run: Run, component_id: str, meta: dict) -> None:
    session = run.session
    existing = session.query(
        f'select parent_id, key, value from Metadata where parent_id is "{component_id}" and key is "ftr_meta"'
    ).all()
    if existing:
        return
    component = session.get("FileComponent", component_id)
    _put_ftr_meta(component, meta)
    session.commit()


def _upload_thumbnail(run: Run, path: str) -> None:
    thumbnail_id = run.reserve("ftrack_thumbnail_id")
    sent = ensure_file_component(
        run.session,
        component_id=thumbnail_id,
        name="thumbnail",
        source=Source.local_file(path),
        file_type=".jpg",
        version_id=None,
        known_new=run.is_fresh("ftrack_thumbnail_id"),
        before_commit=lambda component: _link_thumbnail(run, component["id"]),
    )
    if sent:
        run.save(ftrack_thumbnail_id=thumbnail_id)
        return
    _ensure_thumbnail_id(run, thumbnail_id)


def _ensure_thumbnail_id(run: Run, component_id: str, *, version=None) -> None:
    session = run.session
    if version is None:
        version = session.query(
            f'select id, thumbnail_id from AssetVersion where id is "{run.job.ftrack_version_id}"'
        ).one()
    if not version["thumbnail_id"]:
        version["thumbnail_id"] = component_id
        session.commit()
    run.save(ftrack_thumbnail_id=version["thumbnail_id"] or component_id)


def probe_local(path: str) -> dict:
    """What a file the worker made (a converted still, a sequence's movie) is, or MediaUndecodable."""
    result = probe_media(path)
    if not result.ok:
        raise MediaUndecodable(result.reject_reason)
    return result.info
