"""What the API tells about portal objects. Read-only representations plus the two input shapes
(batch creation, job filters).

Never serialised: API keys (``api_key_encrypted``), webhook secrets, passwords, storage paths on
disk, PATCH leases. Every representation lists its fields explicitly so a new model field cannot
leak by accident.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from publishing.models import FtrackCredential, JobEvent, JobUpload, PublishBatch, PublishJob, Upload

JOB_STATUS_FILTERS = [*PublishJob.Status.values, "active"]


# --- uploads --------------------------------------------------------------------------------------
class UploadSerializer(serializers.ModelSerializer):
    # Same keys as the tus endpoint's GET always returned (publishing/uploads/tus.py: upload_as_json).
    md5 = serializers.CharField(source="md5_base64", read_only=True, help_text="base64 MD5 of the file")
    probe = serializers.JSONField(read_only=True, help_text="what the media probe found")

    class Meta:
        model = Upload
        fields = [
            "id",
            "filename",
            "size",
            "offset",
            "state",
            "kind",
            "probe",
            "reject_reason",
            "md5",
            "created_at",
            "completed_at",
            "expires_at",
        ]
        read_only_fields = fields


# --- jobs -----------------------------------------------------------------------------------------
class JobFileSerializer(serializers.ModelSerializer):
    upload_id = serializers.UUIDField(source="upload.id", read_only=True)
    filename = serializers.CharField(source="upload.filename", read_only=True)
    size = serializers.IntegerField(source="upload.size", read_only=True)

    class Meta:
        model = JobUpload
        fields = ["upload_id", "filename", "size", "position", "frame"]
        read_only_fields = fields


class JobEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = JobEvent
        fields = ["at", "kind", "stage", "message", "actor"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor(self, event) -> str | None:
        return event.actor.get_username() if event.actor_id else None


class JobSerializer(serializers.ModelSerializer):
    batch_id = serializers.IntegerField(read_only=True)
    producer = serializers.CharField(source="batch.owner.username", read_only=True)
    files = JobFileSerializer(source="job_uploads", many=True, read_only=True)
    stage_durations = serializers.DictField(child=serializers.FloatField(), read_only=True)
    url = serializers.SerializerMethodField(help_text="the job's page in the portal")
    # Blank until the job is published, so not a URI in the schema's sense.
    review_url = serializers.CharField(
        read_only=True, help_text="the version in ftrack; blank until published"
    )

    class Meta:
        model = PublishJob
        fields = [
            "id",
            "url",
            "batch_id",
            "producer",
            "kind",
            "asset_name",
            "asset_type",
            "comment",
            "context_id",
            "context_path",
            "project_id",
            "frame_start",
            "frame_end",
            "sequence_pattern",
            "status",
            "stage",
            "progress",
            "bytes_sent",
            "attempts",
            "error_code",
            "error_message",
            "is_retryable",
            "next_attempt_at",
            "ftrack_asset_id",
            "ftrack_version_id",
            "ftrack_version_number",
            "ftrack_component_id",
            "ftrack_review_component_id",
            "ftrack_encode_job_id",
            "ftrack_thumbnail_id",
            "ftrack_note_id",
            "review_url",
            "stage_durations",
            "files",
            "created_at",
            "updated_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_url(self, job) -> str:
        return reverse("publishing:job", args=[job.pk])


class JobDetailSerializer(JobSerializer):
    events = JobEventSerializer(many=True, read_only=True)

    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "events"]
        read_only_fields = fields


class JobFilterSerializer(serializers.Serializer):
    """Query parameters of the job list (the dashboard's filters)."""

    status = serializers.ChoiceField(choices=JOB_STATUS_FILTERS, required=False, help_text="or 'active'")
    project = serializers.CharField(required=False, max_length=64, help_text="ftrack project id")
    producer = serializers.IntegerField(required=False, min_value=1, max_value=2**62, help_text="user id")
    batch = serializers.IntegerField(required=False, min_value=1, max_value=2**62, help_text="batch id")
    since = serializers.DateField(required=False, help_text="created on or after (YYYY-MM-DD)")
    until = serializers.DateField(required=False, help_text="created on or before (YYYY-MM-DD)")
    q = serializers.CharField(required=False, max_length=200, help_text="asset, context, comment or file")


# --- batches --------------------------------------------------------------------------------------
class BatchSerializer(serializers.ModelSerializer):
    producer = serializers.CharField(source="owner.username", read_only=True)
    reviewers = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()), read_only=True
    )
    job_count = serializers.IntegerField(read_only=True)
    published_count = serializers.IntegerField(read_only=True)
    failed_count = serializers.IntegerField(read_only=True)
    active_count = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField(help_text="the batch's page in the portal")

    class Meta:
        model = PublishBatch
        fields = [
            "id",
            "url",
            "producer",
            "comment",
            "reviewers",
            "encode_for_review",
            "job_count",
            "published_count",
            "failed_count",
            "active_count",
            "notified_at",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_url(self, batch) -> str:
        return reverse("publishing:batch", args=[batch.pk])


class BatchDetailSerializer(BatchSerializer):
    jobs = JobSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField(help_text="the batch's page in the portal")

    class Meta(BatchSerializer.Meta):
        fields = [*BatchSerializer.Meta.fields, "url", "jobs"]
        read_only_fields = fields

    def get_url(self, batch) -> str:
        return reverse("publishing:batch", args=[batch.pk])


class BatchItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PublishJob.Kind.values)
    asset_name = serializers.CharField(max_length=255)
    upload_ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=20000)
    frames = serializers.ListField(
        child=serializers.IntegerField(min_value=-(10**9), max_value=10**9),
        required=False,
        max_length=20000,
        help_text="sequences: one frame number per upload",
    )
    pattern = serializers.CharField(
        required=False, max_length=255, help_text="sequences: the name pattern, e.g. plate.%04d.exr"
    )
    context_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="this item's own ftrack task; default: the batch's",
    )


class BatchCreateSerializer(serializers.Serializer):
    """The body of a batch, as the upload page and scripts send it (checked by the batch service)."""

    context_id = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=64,
        help_text="ftrack task (or shot...) id: the default for items without their own context_id",
    )
    asset_type = serializers.CharField(max_length=64, default="Upload")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
    reviewers = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, default=list, help_text="ftrack user ids"
    )
    encode = serializers.BooleanField(required=False, default=True, help_text="encode for web review")
    items = BatchItemSerializer(many=True, allow_empty=False, max_length=500)


# --- the current user -----------------------------------------------------------------------------
class CredentialStatusSerializer(serializers.ModelSerializer):
    """Health of the user's ftrack key; the key itself is never part of it."""

    class Meta:
        model = FtrackCredential
        fields = [
            "api_user",
            "mode",
            "is_healthy",
            "verified_at",
            "checked_at",
            "last_error",
            "last_error_at",
        ]
        read_only_fields = fields


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    role = serializers.ChoiceField(choices=["Admin", "Coordinator", "Producer", "No role"])
    can_publish = serializers.BooleanField()
    credential = CredentialStatusSerializer(allow_null=True, help_text="null: no ftrack key stored")
