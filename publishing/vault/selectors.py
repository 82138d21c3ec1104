"""Reads for the credential vault's admin pages: everybody's credential health at a glance."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from publishing.core import roles
from publishing.core.errors import FtrackCredentialRejected
from publishing.models import FtrackCredential, ProjectServiceKey, PublishJob

# Jobs held up by a refused key: waiting (queued / retrying) or failed because of it.
AFFECTED_STATUSES = (PublishJob.Status.QUEUED, PublishJob.Status.RETRYING, PublishJob.Status.FAILED)


def jobs_affected(user) -> QuerySet[PublishJob]:
    """The user's queued, retrying or failed jobs whose last error is ftrack refusing the key."""
    return PublishJob.objects.filter(
        batch__owner=user, status__in=AFFECTED_STATUSES, error_code=FtrackCredentialRejected.code
    )


def credential_health_rows() -> QuerySet:
    """Every active portal user (a role or a stored credential), with ``credential`` and ``jobs_affected``.

    One query: the credential is joined, the affected-jobs count is a correlated subquery (a join
    with a Count would multiply rows with the group filter).
    """
    User = get_user_model()
    affected = (
        PublishJob.objects.filter(
            batch__owner=OuterRef("pk"),
            status__in=AFFECTED_STATUSES,
            error_code=FtrackCredentialRejected.code,
        )
        .order_by()
        .values("batch__owner")
        .annotate(n=Count("pk"))
        .values("n")
    )
    has_role = User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name__in=roles.ALL_ROLES)
    has_credential = FtrackCredential.objects.filter(user_id=OuterRef("pk"))
    return (
        User.objects.filter(is_active=True)
        .filter(Q(Exists(has_role)) | Q(Exists(has_credential)) | Q(is_superuser=True))
        .select_related("ftrack_credential")
        .annotate(jobs_affected=Coalesce(Subquery(affected, output_field=IntegerField()), 0))
        .order_by("username")
    )


def service_keys() -> QuerySet[ProjectServiceKey]:
    return ProjectServiceKey.objects.select_related("created_by").order_by("-is_active", "project_name")


def credential_for_user(user) -> FtrackCredential | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return FtrackCredential.objects.filter(user=user).first()
