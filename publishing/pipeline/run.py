"""One run of one publish job: its row, its ftrack session, and how it reports.

Everything the stages write on the job goes through ``Run.save``, which succeeds only while the job
is still claimed by this worker: if the watchdog or a coordinator took it away, the run stops
with ``JobLost`` instead of overwriting someone else's progress.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import ftrack_api.exception
from django.conf import settings
from django.db import connection
from django.utils import timezone

from publishing.ftrack.uploader import ByteCounter
from publishing.models import JobEvent, PublishJob

Status = PublishJob.Status


class JobLost(Exception):
    """Another worker (or the watchdog, or a coordinator) took the job from us: stop quietly."""


class Run:
    """One run of one job: its row, its session, and how it reports."""

    heartbeat_every = 0.5

    def __init__(self, job: PublishJob, worker: str):
        self.job = job
        self.worker = worker
        # ftrack_api.Session, borrowed from the pool for this run (entities are dynamic: Any).
        self.session: Any = None
        self.links = list(job.job_uploads.select_related("upload").order_by("position"))
        self.uploads = [link.upload for link in self.links]
        self.api_user = ""
        # The PublishCredential this run publishes with (credential_for_publish); None until chosen.
        self.credential: Any = None
        self.started_at = timezone.now()
        # ftrack ids chosen during this run: nothing in ftrack can carry them yet, so the stages
        # skip asking ftrack whether they exist (round trips saved on every fresh publish).
        self.fresh: set[str] = set()
        self.lookups: Any = None  # lookups.Lookups, read once at the start of the run
        self.state: Any = None  # lookups.VersionState read after the last write, for verify to reuse
        self._last_beat = 0.0
        self._thread = threading.current_thread()

    # --- recording -------------------------------------------------------------------------------
    def save(self, **fields) -> None:
        """Write fields on the job, only while it is still ours."""
        fields["updated_at"] = timezone.now()
        updated = PublishJob.objects.filter(
            pk=self.job.pk, claimed_by=self.worker, status=Status.RUNNING
        ).update(**fields)
        if threading.current_thread() is not self._thread:
            connection.close()  # a helper thread (parallel upload parts) must not keep a connection
        if not updated:
            raise JobLost(self.job.pk)
        for name, value in fields.items():
            setattr(self.job, name, value)

    def reserve(self, field: str) -> str:
        """The ftrack id recorded in ``field``, choosing and recording a new one if there is none."""
        value = getattr(self.job, field)
        if not value:
            value = str(uuid.uuid4())
            self.save(**{field: value})
            self.fresh.add(field)
        return value

    def is_fresh(self, field: str) -> bool:
        """True when ``field``'s id was chosen by this run (so ftrack cannot know it yet)."""
        return field in self.fresh

    def heartbeat(self, *, progress: float | None = None, bytes_sent: int | None = None, force=False) -> None:
        now = time.monotonic()
        if not force and now - self._last_beat < self.heartbeat_every:
            return
        self._last_beat = now
        fields: dict[str, object] = {"heartbeat_at": timezone.now()}
        if progress is not None:
            fields["progress"] = round(max(0.0, min(progress, 1.0)), 4)
        if bytes_sent is not None:
            fields["bytes_sent"] = bytes_sent
        self.save(**fields)

    def tick(self) -> None:
        """Still alive (long local work such as ffmpeg): refresh the heartbeat only."""
        self.heartbeat()

    def bytes_counter(self) -> ByteCounter:
        total = sum(u.size for u in self.uploads) or 1

        def report(sent: int) -> None:
            self.heartbeat(bytes_sent=sent, progress=sent / total)

        return ByteCounter(report, every=self.heartbeat_every)

    def event(self, kind: str, message: str = "", **data) -> None:
        JobEvent.objects.create(
            job_id=self.job.pk, kind=kind, stage=self.job.stage, message=message, data=data
        )

    def frame_rate(self) -> float:
        """The sequence's frame rate: the context's ``fps`` attribute in ftrack, else the portal default."""
        default = float(settings.SEQUENCE_DEFAULT_FPS)
        try:
            context = self.session.query(
                f'select custom_attributes from TypedContext where id is "{self.job.context_id}"'
            ).first()
            fps = context["custom_attributes"].get("fps") if context is not None else None
            return float(fps) if fps and float(fps) > 0 else default
        except (ftrack_api.exception.Error, KeyError, TypeError, ValueError):
            return default
