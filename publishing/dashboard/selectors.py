"""Reads behind the publishes dashboard and the job page, scoped to what the asking user may see.

The list must stay fast at tens of thousands of jobs, so:

* a page is one query for the jobs (producer joined in), one for their files and, when some are
  uploading or encoding, one for the start of their current stage (for the ETA);
* pages are keyset pages on the primary key (ids grow with creation time), so page 200 costs what
  page 1 costs and the order never shifts under a live-updating list;
* nothing on the page touches a relation per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, Max, Min, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.html import format_html

from publishing.core import roles
from publishing.core.failures import FailureGroup, describe_for, group_failures, parse_group_key
from publishing.models import JobEvent, JobUpload, PublishJob

Status = PublishJob.Status
Stage = PublishJob.Stage
ACTIVE = (Status.QUEUED, Status.RUNNING, Status.RETRYING)
PAGE_SIZE = 50
# Stages whose progress grows steadily, so that elapsed time / progress predicts the rest.
ETA_STAGES = (Stage.UPLOAD, Stage.ENCODE)


def jobs_visible_to(user) -> QuerySet[PublishJob]:
    """Coordinators and admins see every job; a producer only the jobs of their own batches."""
    jobs = PublishJob.objects.all()
    if not roles.is_coordinator(user):
        jobs = jobs.filter(batch__owner=user)
    return jobs


def job_visible_to(user, job_id: int) -> PublishJob | None:
    return jobs_visible_to(user).select_related("batch__owner").filter(pk=job_id).first()


# --- filters --------------------------------------------------------------------------------------
def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip()) if text else None
    except ValueError:
        return None


def parse_id(text: str | None) -> int | None:
    """A positive id from a query string, or None (long digit strings would overflow the database)."""
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= 18 else None


@dataclass(frozen=True)
class DashboardFilters:
    project: str = ""  # ftrack project id
    producer: int | None = None  # portal user id
    status: str = ""  # a PublishJob.Status, or "active"
    since: date | None = None
    until: date | None = None  # inclusive
    q: str = ""

    @classmethod
    def from_query(cls, params) -> DashboardFilters:
        status = (params.get("status") or "").strip()
        if status not in Status.values and status != "active":
            status = ""
        return cls(
            project=(params.get("project") or "").strip()[:64],
            producer=parse_id(params.get("producer")),
            status=status,
            since=_date(params.get("since")),
            until=_date(params.get("until")),
            q=(params.get("q") or "").strip()[:200],
        )

    def as_params(self) -> dict[str, str]:
        values = {
            "project": self.project,
            "producer": "" if self.producer is None else str(self.producer),
            "status": self.status,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "q": self.q,
        }
        return {name: value for name, value in values.items() if value}

    def query_string(self, **extra) -> str:
        return urlencode({**self.as_params(), **{k: v for k, v in extra.items() if v not in (None, "")}})

    @property
    def is_empty(self) -> bool:
        return not self.as_params()


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def apply_filters(jobs: QuerySet[PublishJob], filters: DashboardFilters, *, status=True) -> QuerySet:
    if filters.project:
        jobs = jobs.filter(project_id=filters.project)
    if filters.producer is not None:
        jobs = jobs.filter(batch__owner_id=filters.producer)
    if status and filters.status == "active":
        jobs = jobs.filter(status__in=ACTIVE)
    elif status and filters.status:
        jobs = jobs.filter(status=filters.status)
    if filters.since:
        jobs = jobs.filter(created_at__gte=_start_of(filters.since))
    if filters.until:
        jobs = jobs.filter(created_at__lt=_start_of(filters.until + timedelta(days=1)))
    if filters.q:
        file_matches = JobUpload.objects.filter(job=OuterRef("pk"), upload__filename__icontains=filters.q)
        jobs = jobs.filter(
            Q(asset_name__icontains=filters.q)
            | Q(context_path__icontains=filters.q)
            | Q(comment__icontains=filters.q)
            | Exists(file_matches)
        )
    return jobs


# --- the list -------------------------------------------------------------------------------------
@dataclass
class DashboardRow:
    job: PublishJob
    file_label: str
    eta_seconds: int | None
    viewer: object = None  # the user looking at the row: advice about their own key speaks to them

    @property
    def eta_text(self) -> str:
        return human_duration(self.eta_seconds) if self.eta_seconds is not None else ""

    @property
    def failure_cause(self) -> str:
        """The plain reason shown in the row of a failed job."""
        if self.job.status != Status.FAILED:
            return ""
        cause, advice = describe_for(
            self.job.error_code or "internal", owner=self.job.batch.owner, viewer=self.viewer
        )
        return format_html("{}: {}.", cause, advice)


def human_duration(seconds: float | None) -> str:
    """ "45 s", "3 min 5 s", "2 h 10 min" — short enough for a table cell."""
    if seconds is None:
        return ""
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.1f} s"  # stages of a small file take fractions of a second
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@dataclass
class DashboardPage:
    rows: list[DashboardRow]
    older: int | None = None  # cursor for the next (older) page
    newer: int | None = None  # cursor for the previous (newer) page
    active_count: int = 0
    filters: DashboardFilters = field(default_factory=DashboardFilters)


def _attach_stage_starts(jobs: list[PublishJob]) -> None:
    """Set ``stage_started_at`` (latest "stage" event of the job's current stage) on the page's jobs.

    One query for the whole page, served by the jobevent_job_at index. (A correlated subquery in
    the list query looks cheaper, but when the planner sorts a filtered list it evaluates the
    subquery for every matching job, not just the fifty shown.)
    """
    running = [job for job in jobs if job.status == Status.RUNNING and job.stage in ETA_STAGES]
    for job in jobs:
        job.stage_started_at = None  # type: ignore[attr-defined]  # shown on the page only
    if not running:
        return
    starts = (
        JobEvent.objects.filter(job__in=[job.pk for job in running], kind="stage")
        .values("job_id", "stage")
        .annotate(at=Max("at"))
        .order_by()
    )
    latest = {(row["job_id"], row["stage"]): row["at"] for row in starts}
    for job in running:
        job.stage_started_at = latest.get((job.pk, job.stage))  # type: ignore[attr-defined]


def _list_queryset(user, filters: DashboardFilters) -> QuerySet[PublishJob]:
    files = JobUpload.objects.select_related("upload").only(
        "id", "job_id", "position", "upload__id", "upload__filename"
    )
    return (
        apply_filters(jobs_visible_to(user), filters)
        .select_related("batch__owner")
        .prefetch_related(Prefetch("job_uploads", queryset=files))
    )


def jobs_for_dashboard(
    *, user, filters: DashboardFilters, older_than: int | None = None, newer_than: int | None = None,
    limit: int = PAGE_SIZE, now: datetime | None = None,
) -> DashboardPage:  # fmt: skip
    """One keyset page of jobs, newest first: ``older_than``/``newer_than`` are job ids (cursors)."""
    jobs = _list_queryset(user, filters)
    if newer_than is not None:
        # Walk up from the cursor, then show the page newest first like every other page.
        found = list(jobs.filter(pk__gt=newer_than).order_by("id")[: limit + 1])
        has_newer = len(found) > limit
        found = list(reversed(found[:limit]))
        has_older = True
    else:
        if older_than is not None:
            jobs = jobs.filter(pk__lt=older_than)
        found = list(jobs.order_by("-id")[: limit + 1])
        has_older = len(found) > limit
        found = found[:limit]
        has_newer = older_than is not None
    _attach_stage_starts(found)
    now = now or timezone.now()
    rows = [
        DashboardRow(job=job, file_label=file_label(job), eta_seconds=eta_seconds(job, now), viewer=user)
        for job in found
    ]
    return DashboardPage(
        rows=rows,
        older=found[-1].pk if found and has_older else None,
        newer=found[0].pk if found and has_newer else None,
        active_count=sum(1 for row in rows if row.job.status in ACTIVE),
        filters=filters,
    )


def file_label(job: PublishJob) -> str:
    """What the producer dropped: the file name, or the pattern and frame range of a sequence."""
    links = list(job.job_uploads.all())  # prefetched
    if job.kind == PublishJob.Kind.SEQUENCE:
        frames = f" [{job.frame_start}–{job.frame_end}]" if job.frame_start is not None else ""
        return f"{job.sequence_pattern or job.asset_name}{frames}"
    return links[0].upload.filename if links else ""


def eta_seconds(job: PublishJob, now: datetime) -> int | None:
    """Seconds left in an upload or encode, extrapolated from the time the stage has taken so far.

    Below 2 % the estimate is noise, so none is shown.
    """
    if job.status != Status.RUNNING or job.stage not in ETA_STAGES:
        return None
    progress = job.progress or 0.0
    if not 0.02 <= progress < 1.0:
        return None
    started = getattr(job, "stage_started_at", None) or job.started_at
    if started is None:
        return None
    elapsed = (now - started).total_seconds()
    if elapsed <= 0:
        return None
    return max(1, round(elapsed * (1.0 - progress) / progress))


# --- filter choices and failure groups ------------------------------------------------------------
def producer_choices(user) -> list[tuple[int, str]]:
    """Producers with at least one batch (coordinators filter by them; a producer sees only self)."""
    if not roles.is_coordinator(user):
        return []
    users = (
        get_user_model()
        .objects.filter(batches__isnull=False)
        .distinct()
        .order_by("username")
        .only("id", "username", "first_name", "last_name")
    )
    return [(u.pk, u.get_full_name() or u.get_username()) for u in users]


def project_choices(user) -> list[tuple[str, str]]:
    """(ftrack project id, project name) of the visible jobs; the name is the context path's head."""
    rows = (
        jobs_visible_to(user)
        .exclude(project_id="")
        .values("project_id")
        .annotate(path=Min("context_path"))
        .order_by()
    )
    choices = [(row["project_id"], (row["path"] or row["project_id"]).split(" / ")[0]) for row in rows]
    return sorted(choices, key=lambda choice: choice[1].lower())


def failure_groups(user, filters: DashboardFilters) -> list[FailureGroup]:
    """Failed jobs matching the filters (whatever the status filter says), grouped by cause."""
    failed = apply_filters(jobs_visible_to(user), filters, status=False).filter(status=Status.FAILED)
    rows = (
        failed.values("error_code", "batch__owner_id", "batch__owner__username")
        .annotate(count=Count("id"), sample=Max("error_message"))
        .order_by()
    )
    return group_failures(
        (
            {
                "error_code": row["error_code"],
                "owner_id": row["batch__owner_id"],
                "owner_name": row["batch__owner__username"],
                "count": row["count"],
                "sample": row["sample"],
            }
            for row in rows
        ),
        viewer=user,
    )


def failed_jobs_in_group(user, key: str, filters: DashboardFilters | None = None) -> QuerySet[PublishJob]:
    """The failed jobs a bulk retry of group ``key`` acts on (none when the key is not valid)."""
    parsed = parse_group_key(key)
    if parsed is None:
        return PublishJob.objects.none()
    code, owner_id = parsed
    jobs = apply_filters(jobs_visible_to(user), filters or DashboardFilters(), status=False)
    jobs = jobs.filter(status=Status.FAILED)
    jobs = (
        jobs.filter(error_code__in=["", "internal"]) if code == "internal" else jobs.filter(error_code=code)
    )
    if owner_id is not None:
        jobs = jobs.filter(batch__owner_id=owner_id)
    return jobs.select_related("batch__owner").order_by("id")


# --- the job page ---------------------------------------------------------------------------------
@dataclass
class StageLine:
    stage: str
    label: str
    seconds: float | None
    state: str  # "done", "current", "failed", "pending"

    @property
    def duration_text(self) -> str:
        return human_duration(self.seconds)


def stage_lines(job: PublishJob) -> list[StageLine]:
    """Every publish stage in order, with its duration once finished."""
    durations = job.stage_durations or {}
    lines = []
    for stage in (Stage.VERSION, Stage.UPLOAD, Stage.ENCODE, Stage.VERIFY, Stage.NOTIFY):
        if stage in durations:
            state = "done"
        elif stage == job.stage and job.status == Status.FAILED:
            state = "failed"
        elif stage == job.stage and job.status in ACTIVE:
            state = "current"
        else:
            state = "pending"
        seconds = durations.get(stage)
        lines.append(StageLine(stage=stage, label=Stage(stage).label, seconds=seconds, state=state))
    return lines


def job_timeline(job: PublishJob) -> list[JobEvent]:
    return list(job.events.select_related("actor").order_by("at", "id"))


def job_files(job: PublishJob) -> list[JobUpload]:
    return list(job.job_uploads.select_related("upload").order_by("position"))
