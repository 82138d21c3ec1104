"""The staff console: every model, with the columns and filters a coordinator looks for first."""

from django.contrib import admin

from publishing.models import (
    FtrackCredential,
    JobEvent,
    JobUpload,
    Notification,
    ProjectServiceKey,
    ProjectWebhook,
    PublishBatch,
    PublishJob,
    Upload,
    WebhookDelivery,
)


@admin.register(FtrackCredential)
class FtrackCredentialAdmin(admin.ModelAdmin):
    list_display = ("user", "api_user", "mode", "is_healthy", "verified_at", "updated_at")
    list_filter = ("mode", "is_healthy")
    search_fields = ("user__username", "api_user")
    list_select_related = ("user",)
    # The encrypted key is never shown or edited here; credentials change through the portal's page.
    exclude = ("api_key_encrypted",)
    readonly_fields = ("version", "verified_at", "last_error", "created_at", "updated_at")


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ("filename", "owner", "state", "kind", "size", "offset", "created_at", "expires_at")
    list_filter = ("state", "kind")
    search_fields = ("filename", "owner__username", "id")
    list_select_related = ("owner",)
    readonly_fields = (
        "id",
        "storage_path",
        "md5_base64",
        "probe",
        "created_at",
        "updated_at",
        "completed_at",
    )
    date_hierarchy = "created_at"


class PublishJobInline(admin.TabularInline):
    model = PublishJob
    fields = ("asset_name", "kind", "context_path", "status", "stage")
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(PublishBatch)
class PublishBatchAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "encode_for_review", "notified_at", "created_at")
    list_filter = ("encode_for_review",)
    search_fields = ("owner__username", "comment")
    list_select_related = ("owner",)
    inlines = [PublishJobInline]


class JobUploadInline(admin.TabularInline):
    model = JobUpload
    raw_id_fields = ("upload",)
    extra = 0


class JobEventInline(admin.TabularInline):
    model = JobEvent
    fields = ("at", "kind", "stage", "message", "actor")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(PublishJob)
class PublishJobAdmin(admin.ModelAdmin):
    list_display = ("asset_name", "context_path", "kind", "status", "stage", "attempts", "created_at")
    list_filter = ("status", "stage", "kind", "is_retryable")
    search_fields = (
        "asset_name",
        "context_path",
        "context_id",
        "batch__owner__username",
        "ftrack_version_id",
    )
    list_select_related = ("batch", "batch__owner")
    raw_id_fields = ("batch",)
    inlines = [JobUploadInline, JobEventInline]
    date_hierarchy = "created_at"


@admin.register(JobEvent)
class JobEventAdmin(admin.ModelAdmin):
    list_display = ("job", "at", "kind", "stage", "actor")
    list_filter = ("kind", "stage")
    search_fields = ("message",)
    list_select_related = ("job", "actor")
    raw_id_fields = ("job",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "message", "is_read", "created_at")
    list_filter = ("is_read",)
    search_fields = ("user__username", "message")
    list_select_related = ("user",)


@admin.register(ProjectServiceKey)
class ProjectServiceKeyAdmin(admin.ModelAdmin):
    list_display = ("project_name", "ftrack_project_id", "is_active", "verified_at", "updated_at")
    list_filter = ("is_active",)
    # The key itself is entered through the portal's credential pages, never shown here.
    exclude = ("api_key_encrypted",)
    readonly_fields = ("version", "verified_at", "last_error", "created_by", "created_at", "updated_at")


@admin.register(ProjectWebhook)
class ProjectWebhookAdmin(admin.ModelAdmin):
    list_display = ("project_name", "url", "is_active", "created_at")
    list_filter = ("is_active",)
    exclude = ("secret_encrypted",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "webhook", "status", "attempts", "response_status", "created_at")
    list_filter = ("status", "event")
    list_select_related = ("webhook",)
    readonly_fields = ("payload", "attempts", "last_error", "response_status", "delivered_at")
