"""The staff console: every model, with the columns and filters a coordinator looks for first.

Actions call the same services as the portal's pages, so the rules (who may retry, what a refused
key triggers) are the same here. Secrets (encrypted keys, webhook secrets) are never displayed nor
editable: credentials change only through the portal's credential pages, which verify them first.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from publishing.core import roles
from publishing.core.errors import FtrackUnavailable
from publishing.matching.forms import NamingRuleForm
from publishing.models import (
    FtrackCredential,
    JobEvent,
    JobUpload,
    LastTaskChoice,
    NamingRule,
    Notification,
    ProjectServiceKey,
    ProjectWebhook,
    PublishBatch,
    PublishJob,
    Upload,
    WebhookDelivery,
)
from publishing.pipeline.jobs import JobStateError, job_cancel, job_retry
from publishing.uploads.services import uploads_cleanup_expired
from publishing.vault.credentials import credential_verify, service_key_disable


class AdminsMayAll:
    """Portal admins (the admin group, with staff status) manage every model without per-model
    Django permissions; other staff keep Django's own permission rules."""

    def has_module_permission(self, request):
        return roles.is_admin(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return roles.is_admin(request.user) or super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return roles.is_admin(request.user) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return roles.is_admin(request.user) or super().has_delete_permission(request, obj)

    def has_add_permission(self, request, *args):
        # *args: inlines are asked with the parent object, model admins without.
        return roles.is_admin(request.user) or super().has_add_permission(request, *args)


class PortalAdmin(AdminsMayAll, admin.ModelAdmin):
    pass


@admin.register(FtrackCredential)
class FtrackCredentialAdmin(PortalAdmin):
    list_display = ("user", "api_user", "mode", "is_healthy", "verified_at", "checked_at", "last_error_at")
    list_filter = ("mode", "is_healthy")
    search_fields = ("user__username", "user__email", "api_user")
    list_select_related = ("user",)
    exclude = ("api_key_encrypted",)
    readonly_fields = (
        "user",
        "api_user",
        "mode",
        "version",
        "is_healthy",
        "verified_at",
        "checked_at",
        "last_error",
        "last_error_at",
        "failure_notified_at",
        "created_at",
        "updated_at",
    )
    actions = ["verify_now"]

    def has_add_permission(self, request):
        # A credential needs a key, and keys are entered (and verified) on the portal's page only.
        return False

    @admin.action(description="Verify now with ftrack")
    def verify_now(self, request, queryset):

        good = bad = 0
        for credential in queryset.select_related("user"):
            try:
                ok = credential_verify(credential=credential, actor=request.user)
            except FtrackUnavailable:
                self.message_user(request, "ftrack is not answering; try again shortly.", messages.ERROR)
                break
            if ok:
                good += 1
            else:
                bad += 1
                self.message_user(
                    request, f"{credential.user}: refused — {credential.last_error}", messages.ERROR
                )
        self.message_user(request, f"{good} verified, {bad} refused.", messages.INFO)


@admin.register(Upload)
class UploadAdmin(PortalAdmin):
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
    actions = ["remove_expired_partials"]

    @admin.action(description="Remove expired partial uploads (all of them, not only the selected)")
    def remove_expired_partials(self, request, queryset):

        removed = uploads_cleanup_expired()
        self.message_user(request, f"Removed {len(removed)} expired partial upload(s).", messages.INFO)


class PublishJobInline(AdminsMayAll, admin.TabularInline):
    model = PublishJob
    fields = ("asset_name", "kind", "context_path", "status", "stage")
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # jobs come from the publish form, which checks uploads and targets


@admin.register(PublishBatch)
class PublishBatchAdmin(PortalAdmin):
    list_display = ("id", "owner", "encode_for_review", "notified_at", "created_at")
    list_filter = ("encode_for_review",)
    search_fields = ("owner__username", "comment")
    list_select_related = ("owner",)
    inlines = [PublishJobInline]


class JobUploadInline(AdminsMayAll, admin.TabularInline):
    model = JobUpload
    raw_id_fields = ("upload",)
    extra = 0


class JobEventInline(AdminsMayAll, admin.TabularInline):
    model = JobEvent
    fields = ("at", "kind", "stage", "message", "actor")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # the timeline is written by the services only


@admin.register(PublishJob)
class PublishJobAdmin(PortalAdmin):
    list_display = (
        "asset_name",
        "context_path",
        "kind",
        "status",
        "stage",
        "attempts",
        "credential_label",
        "created_at",
    )
    list_filter = ("status", "stage", "kind", "is_retryable", "error_code")
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
    actions = ["retry_from_failed_stage", "cancel_jobs"]

    def _each(self, request, queryset, service, done: str):

        count = 0
        for job in queryset.select_related("batch"):
            try:
                service(job=job, actor=request.user)
            except (JobStateError, PermissionDenied) as refusal:
                self.message_user(request, f"{job}: {refusal}", messages.WARNING)
            else:
                count += 1
        self.message_user(request, f"{count} job(s) {done}.", messages.INFO)

    @admin.action(description="Retry from failed stage")
    def retry_from_failed_stage(self, request, queryset):

        self._each(request, queryset, job_retry, "sent back to the queue")

    @admin.action(description="Cancel")
    def cancel_jobs(self, request, queryset):

        self._each(request, queryset, job_cancel, "cancelled")


@admin.register(JobUpload)
class JobUploadAdmin(PortalAdmin):
    list_display = ("job", "position", "frame", "upload")
    list_select_related = ("job", "upload")
    search_fields = ("job__asset_name", "upload__filename")
    raw_id_fields = ("job", "upload")


@admin.register(JobEvent)
class JobEventAdmin(PortalAdmin):
    list_display = ("job", "at", "kind", "stage", "actor")
    list_filter = ("kind", "stage")
    search_fields = ("message", "job__asset_name", "actor__username")
    list_select_related = ("job", "actor")
    raw_id_fields = ("job",)


@admin.register(Notification)
class NotificationAdmin(PortalAdmin):
    list_display = ("user", "message", "is_read", "created_at")
    list_filter = ("is_read",)
    search_fields = ("user__username", "message")
    list_select_related = ("user",)
    actions = ["mark_read"]

    @admin.action(description="Mark as read")
    def mark_read(self, request, queryset):
        updated = queryset.update(is_read=True)
        self.message_user(request, f"{updated} notification(s) marked read.", messages.INFO)


@admin.register(ProjectServiceKey)
class ProjectServiceKeyAdmin(PortalAdmin):
    list_display = (
        "project_name",
        "ftrack_project_id",
        "is_active",
        "verified_at",
        "created_by",
        "updated_at",
    )
    list_filter = ("is_active",)
    search_fields = ("project_name", "ftrack_project_id")
    list_select_related = ("created_by",)
    # The key itself is entered (and verified) on the portal's service-key page, never shown here.
    exclude = ("api_key_encrypted",)
    readonly_fields = (
        "ftrack_project_id",
        "project_name",
        "is_active",
        "version",
        "verified_at",
        "last_error",
        "created_by",
        "created_at",
        "updated_at",
    )
    actions = ["disable"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Disable (publish with personal keys again)")
    def disable(self, request, queryset):

        try:
            for service_key in queryset:
                service_key_disable(service_key=service_key, actor=request.user)
        except PermissionDenied as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return
        self.message_user(request, f"{queryset.count()} service key(s) disabled.", messages.INFO)


@admin.register(ProjectWebhook)
class ProjectWebhookAdmin(PortalAdmin):
    # The URL is kept out of the staff console: Slack-style webhook URLs carry a token, and a URL
    # must pass the address check of the portal's webhook page (/admin-tools/webhooks/) to change.
    list_display = ("project_name", "is_active", "created_by", "created_at")
    list_filter = ("is_active",)
    search_fields = ("project_name",)
    list_select_related = ("created_by",)
    exclude = ("secret_encrypted", "url")


@admin.register(NamingRule)
class NamingRuleAdmin(PortalAdmin):
    # Admins edit rules on /admin-tools/naming-rules/; here the same form refuses a rule that does not compile.
    form = NamingRuleForm
    list_display = ("project_name", "position", "pattern", "is_regex", "updated_at")
    search_fields = ("project_name", "pattern")
    fields = ("ftrack_project_id", "project_name", "position", "pattern", "is_regex")


@admin.register(LastTaskChoice)
class LastTaskChoiceAdmin(PortalAdmin):
    list_display = ("user", "ftrack_project_id", "task_name", "updated_at")
    search_fields = ("user__username", "task_name")
    list_select_related = ("user",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(PortalAdmin):
    list_display = ("event", "webhook", "status", "attempts", "response_status", "created_at")
    list_filter = ("status", "event")
    search_fields = ("webhook__project_name", "event")
    list_select_related = ("webhook",)
    readonly_fields = ("payload", "attempts", "last_error", "response_status", "delivered_at")
