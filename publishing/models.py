"""Domain model of the publishing app (docs/architecture.md).

Fields, constraints and simple derived values live here; behaviour lives in services.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class FtrackCredential(models.Model):
    """One portal user's ftrack identity: api_user + API key (encrypted at rest)."""

    class Mode(models.TextChoices):
        PERSONAL = "personal", "Personal API key"
        SERVICE = "service", "Project service key"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ftrack_credential"
    )
    api_user = models.CharField(max_length=255, help_text="ftrack username")
    # Fernet token of the API key; never logged, never returned by any page or API.
    api_key_encrypted = models.TextField()
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.PERSONAL)
    # Bumped on every change of key or user: the worker session pool keys sessions by it.
    version = models.PositiveIntegerField(default=1)
    is_healthy = models.BooleanField(default=True)
    verified_at = models.DateTimeField(null=True, blank=True, help_text="last time ftrack accepted the key")
    checked_at = models.DateTimeField(
        null=True, blank=True, help_text="last verification attempt, good or bad"
    )
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # When the owner was last told (in-app + email) that the key fails; reset when it works again,
    # so that a scheduled re-verification does not mail them every night.
    failure_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} as {self.api_user}"


class Upload(models.Model):
    """One file received over tus."""

    class State(models.TextChoices):
        RECEIVING = "receiving", "Receiving"
        COMPLETE = "complete", "Complete"  # all bytes in, probe pending
        READY = "ready", "Ready"  # probed and publishable
        REJECTED = "rejected", "Unsupported or corrupt"
        EXPIRED = "expired", "Expired"

    class Kind(models.TextChoices):
        UNKNOWN = "", "Unknown"
        MOVIE = "movie", "Movie"
        IMAGE = "image", "Still image"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads")
    filename = models.CharField(max_length=255, help_text="sanitised display name; never used as a path")
    content_type = models.CharField(max_length=127, blank=True)
    size = models.BigIntegerField(help_text="declared Upload-Length")
    offset = models.BigIntegerField(default=0)
    # Path inside staging storage, derived from the id only.
    storage_path = models.CharField(max_length=255)
    metadata = models.JSONField(default=dict, blank=True, help_text="tus Upload-Metadata, decoded")
    # Base64 MD5 of the whole file (what ftrack's get_upload_metadata wants), and the incremental
    # hash state (hex of the running md5 is not serialisable, so we store the resume offset it covers).
    md5_base64 = models.CharField(max_length=32, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RECEIVING)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.UNKNOWN, blank=True)
    probe = models.JSONField(default=dict, blank=True)
    reject_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Lease held by the one PATCH currently writing this upload (a conditional UPDATE claims it, so
    # it works the same on SQLite and PostgreSQL); a concurrent PATCH finds it taken and gets 409.
    patch_lock = models.CharField(max_length=32, blank=True)
    patch_lock_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # cleanup_uploads: partial uploads past their expiry
            models.Index(fields=["state", "expires_at"], name="upload_state_expiry"),
            models.Index(fields=["owner", "-created_at"], name="upload_owner_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_state_display()})"


class PublishBatch(models.Model):
    """One drop of files: shared target, comment and reviewers; one notification per batch."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="batches")
    comment = models.TextField(blank=True)
    # ftrack user ids and readable names: [{"id": ..., "username": ..., "name": ...}]
    reviewers = models.JSONField(default=list, blank=True)
    encode_for_review = models.BooleanField(default=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Batch {self.pk} by {self.owner}"


class PublishJob(models.Model):
    """One version to publish, with every ftrack id a finished stage produced."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Publishing"
        RETRYING = "retrying", "Waiting to retry"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Stage(models.TextChoices):
        QUEUED = "queued", "Queued"
        VERSION = "version", "Creating version"
        UPLOAD = "upload", "Uploading to ftrack"
        ENCODE = "encode", "Encoding for review"
        VERIFY = "verify", "Verifying playback"
        NOTIFY = "notify", "Notifying reviewers"
        DONE = "done", "Done"

    class Kind(models.TextChoices):
        MOVIE = "movie", "Movie"
        IMAGE = "image", "Still image"
        SEQUENCE = "sequence", "Image sequence"

    batch = models.ForeignKey(PublishBatch, on_delete=models.CASCADE, related_name="jobs")
    # The single file, or for an image sequence the frames in order (see JobUpload).
    uploads: models.ManyToManyField = models.ManyToManyField(Upload, through="JobUpload", related_name="jobs")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MOVIE)
    # Sequences: frame range and the name pattern, e.g. "plate.%04d.exr".
    frame_start = models.IntegerField(null=True, blank=True)
    frame_end = models.IntegerField(null=True, blank=True)
    sequence_pattern = models.CharField(max_length=255, blank=True)
    # Target in ftrack
    context_id = models.CharField(max_length=64, help_text="ftrack Task (or other context) id")
    context_path = models.CharField(
        max_length=512, blank=True, help_text="readable, e.g. demo / sq010 / sh010 / compositing"
    )
    project_id = models.CharField(max_length=64, blank=True)
    asset_name = models.CharField(max_length=255)
    asset_type = models.CharField(max_length=64, default="Upload")
    comment = models.TextField(blank=True)
    # State
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.QUEUED)
    progress = models.FloatField(default=0.0, help_text="0..1 within the current stage")
    bytes_sent = models.BigIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    is_retryable = models.BooleanField(default=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=255, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Which credential published it (personal key or a project service key)
    credential_label = models.CharField(max_length=255, blank=True)
    # ftrack ids produced by finished stages, so that a retry resumes instead of duplicating
    ftrack_asset_id = models.CharField(max_length=64, blank=True)
    ftrack_version_id = models.CharField(max_length=64, blank=True)
    ftrack_version_number = models.IntegerField(null=True, blank=True)
    ftrack_component_id = models.CharField(max_length=64, blank=True)
    ftrack_review_component_id = models.CharField(max_length=64, blank=True)
    ftrack_encode_job_id = models.CharField(max_length=64, blank=True)
    ftrack_thumbnail_id = models.CharField(max_length=64, blank=True)
    ftrack_note_id = models.CharField(max_length=64, blank=True)
    review_url = models.URLField(max_length=1024, blank=True)
    stage_durations = models.JSONField(default=dict, blank=True, help_text="stage -> seconds")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # dashboard list, newest first, filtered by status
            models.Index(fields=["status", "-created_at"], name="job_status_recent"),
            # watchdog: running jobs whose heartbeat went quiet
            models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat"),
            models.Index(fields=["project_id", "-created_at"], name="job_project_recent"),
            # dashboard pages are keyed on the id, newest first, optionally filtered by status/project
            models.Index(fields=["status", "-id"], name="job_status_newest"),
            models.Index(fields=["project_id", "-id"], name="job_project_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_name} → {self.context_path or self.context_id} ({self.status})"

    @property
    def owner(self):
        return self.batch.owner


class JobUpload(models.Model):
    """Orders the files of a job (frame order for sequences)."""

    job = models.ForeignKey(PublishJob, on_delete=models.CASCADE, related_name="job_uploads")
    upload = models.ForeignKey(Upload, on_delete=models.PROTECT, related_name="job_links")
    position = models.PositiveIntegerField(default=0)
    frame = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["job", "upload"], name="jobupload_unique")]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.position}: {self.upload_id}"


class JobEvent(models.Model):
    """Timeline of a job; doubles as the audit trail (who retried, who cancelled)."""

    job = models.ForeignKey(PublishJob, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32, help_text="stage, retry, error, cancel, claim, ...")
    stage = models.CharField(max_length=16, blank=True)
    message = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["job", "at"], name="jobevent_job_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.stage}".strip()


class Notification(models.Model):
    """In-app notification centre entry."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    message = models.CharField(max_length=500)
    link = models.CharField(max_length=500, blank=True)
    is_read = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "is_read"], name="notification_unread")]

    def __str__(self) -> str:
        return self.message


class ProjectServiceKey(models.Model):
    """Per-project service-key mode: an ftrack global API key that publishes as each producer's
    ftrack username (their FtrackCredential.api_user). Entered by an admin; encrypted at rest."""

    ftrack_project_id = models.CharField(max_length=64, unique=True)
    project_name = models.CharField(max_length=255)
    api_key_encrypted = models.TextField()
    is_active = models.BooleanField(default=True)
    # Bumped on every key change: pooled worker sessions are keyed by it.
    version = models.PositiveIntegerField(default=1)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Service key for {self.project_name}"


class ProjectWebhook(models.Model):
    """Optional outgoing webhook per ftrack project (Slack-compatible JSON, HMAC-signed)."""

    ftrack_project_id = models.CharField(max_length=64)
    project_name = models.CharField(max_length=255)
    url = models.URLField(max_length=1024)
    # Shared secret for the signature header, encrypted like API keys.
    secret_encrypted = models.TextField()
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["ftrack_project_id", "is_active"], name="webhook_project_active")]

    def __str__(self) -> str:
        return f"Webhook for {self.project_name}"


class WebhookDelivery(models.Model):
    """One attempt-tracked delivery of one event to one webhook; retried with backoff."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(ProjectWebhook, on_delete=models.CASCADE, related_name="deliveries")
    batch = models.ForeignKey(PublishBatch, null=True, blank=True, on_delete=models.SET_NULL)
    event = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    response_status = models.IntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # the retry sweep: pending deliveries whose next attempt is due
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook} ({self.status})"


class NamingRule(models.Model):
    """One ordered naming rule of an ftrack project (issue 11); none means the built-in defaults.

    Checked on save by ``publishing.matching.forms.NamingRuleForm`` (the rules page and the admin)."""

    ftrack_project_id = models.CharField(max_length=64)
    project_name = models.CharField(max_length=255)
    position = models.PositiveIntegerField(default=1)
    pattern = models.CharField(max_length=500)
    is_regex = models.BooleanField(default=False, help_text="a regular expression with named groups")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ftrack_project_id", "position", "id"]
        indexes = [models.Index(fields=["ftrack_project_id", "position"], name="naming_rule_project")]

    def __str__(self) -> str:
        return f"{self.project_name} rule {self.position}: {self.pattern}"


class LastTaskChoice(models.Model):
    """The task name a producer last published to in a project, offered first when a name is ambiguous."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    ftrack_project_id = models.CharField(max_length=64)
    task_name = models.CharField(max_length=255)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "ftrack_project_id"], name="last_task_choice_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.task_name}"
