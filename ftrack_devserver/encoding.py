"""The ``encode_media`` action (FTRACK-PROTOCOL §4.4, §5.2).

The call creates a queued Job and answers ``{"job_id"}`` at once; a background thread then
encodes the source component's data with ``encoder.encode`` and registers the outputs through the
same ``execute`` path as client operations, so they are validated, committed atomically and
announced with ``ftrack.update`` like any other change.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import uuid

from .errors import ValidationError

logger = logging.getLogger(__name__)

SERVER_LOCATION_ID = "3a372bde-05bc-11e4-8908-20c9d081909b"
JOB_TYPE = "encode_media"


def start_encode_job(call, op: dict) -> dict:
    component_id, version_id = op.get("component_id"), op.get("version_id")
    keep_original = bool(op.get("keep_original"))
    source = call.store.get("Component", (component_id,))
    if source is None or not call.visibility.visible(source):
        raise ValidationError("encode_media needs an existing component_id.")
    if version_id is not None:
        version = call.store.get("AssetVersion", (version_id,))
        if version is None or not call.visibility.visible(version):
            raise ValidationError("encode_media was given an unknown version_id.")
    job_id = str(uuid.uuid4())
    data = {"source_component_id": component_id, "keep_original": keep_original, "output": []}
    from .actions import _create  # local: actions imports this module lazily too

    _create(
        call,
        {
            "action": "create",
            "entity_type": "Job",
            "entity_key": [job_id],
            "entity_data": {"id": job_id, "type": JOB_TYPE, "status": "queued", "data": json.dumps(data)},
        },
    )
    app, username = call.app, call.username
    call.after_commit.append(
        lambda: threading.Thread(
            target=_run_job, args=(app, username, job_id, component_id, version_id, data), daemon=True
        ).start()
    )
    return {"job_id": job_id}


def _update_job(app, username: str, job_id: str, values: dict, extra_ops: list | None = None) -> None:
    from .actions import execute

    ops = list(extra_ops or [])
    ops.append({"action": "update", "entity_type": "Job", "entity_key": [job_id], "entity_data": values})
    execute(app, username, ops)


def _now():
    from .actions import now_iso

    return {"__type__": "datetime", "value": now_iso()}


def _run_job(app, username, job_id, component_id, version_id, data) -> None:
    try:
        from . import encoder
    except ImportError:  # the encoder module belongs to another part; fail the job, not the server
        _fail(app, username, job_id, data, "Encoding is not available on this server.")
        return
    work = tempfile.mkdtemp(prefix="encode-", dir=app.files.dir)
    try:
        _update_job(app, username, job_id, {"status": "running"})
        source_path = app.files.path(component_id)
        if not os.path.exists(source_path):
            raise encoder.EncodeError("The source component has no data in ftrack.server.")
        result = encoder.encode(source_path, work)
        ops, outputs = [], []
        if result.mp4_path:
            meta = {
                "frameIn": result.frame_in,
                "frameOut": result.frame_out,
                "frameRate": result.frame_rate,
                "width": result.width,
                "height": result.height,
            }
            outputs.append(
                _register(app, ops, job_id, version_id, result.mp4_path, "ftrackreview-mp4", ".mp4", meta)
            )
            outputs[-1]["format"] = "video/mp4"
        image_meta = {"format": "image", "width": result.image_width, "height": result.image_height}
        image = _register(
            app, ops, job_id, version_id, result.jpg_path, "ftrackreview-image", ".jpg", image_meta
        )
        image["format"] = "image/jpeg"
        outputs.append(image)
        if version_id:
            ops.append(
                {
                    "action": "update",
                    "entity_type": "AssetVersion",
                    "entity_key": [version_id],
                    "entity_data": {"thumbnail_id": image["component_id"]},
                }
            )
        done = dict(data, output=outputs)
        _update_job(
            app, username, job_id, {"status": "done", "finished_at": _now(), "data": json.dumps(done)}, ops
        )
    except Exception as error:  # any failure ends the job as failed, with a readable reason
        reason = getattr(error, "reason", None) or "Encoding failed on the server."
        if not hasattr(error, "reason"):
            logger.exception("encode job %s failed", job_id)
        _fail(app, username, job_id, data, reason)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _fail(app, username, job_id, data, reason: str) -> None:
    failed = dict(data, reason=reason.replace("{", "(").replace("}", ")"))
    try:
        _update_job(
            app, username, job_id, {"status": "failed", "finished_at": _now(), "data": json.dumps(failed)}
        )
    except Exception:
        logger.exception("could not mark encode job %s failed", job_id)


def _register(app, ops: list, job_id, version_id, path, name, file_type, meta) -> dict:
    """Move one output into ftrack.server and queue the operations that register it."""
    component_id = str(uuid.uuid4())
    size = os.path.getsize(path)
    os.replace(path, app.files.path(component_id))
    component = {"id": component_id, "name": name, "file_type": file_type, "size": size}
    if version_id:
        component["version_id"] = version_id
    ops += [
        {
            "action": "create",
            "entity_type": "FileComponent",
            "entity_key": [component_id],
            "entity_data": component,
        },
        {
            "action": "create",
            "entity_type": "ComponentLocation",
            "entity_key": [cl_id := str(uuid.uuid4())],
            "entity_data": {
                "id": cl_id,
                "component_id": component_id,
                "location_id": SERVER_LOCATION_ID,
                "resource_identifier": component_id,
            },
        },
        {
            "action": "create",
            "entity_type": "Metadata",
            "entity_key": [component_id, "ftr_meta"],
            "entity_data": {
                "parent_id": component_id,
                "parent_type": "FileComponent",
                "key": "ftr_meta",
                "value": json.dumps(meta),
            },
        },
        {
            "action": "create",
            "entity_type": "JobComponent",
            "entity_key": [component_id, job_id],
            "entity_data": {"component_id": component_id, "job_id": job_id},
        },
    ]
    return {"component_id": component_id}
