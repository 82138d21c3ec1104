"""Per-project service keys, and which credential publishes a job.

In service-key mode an admin stores one ftrack *global* API key for a project; the portal then
publishes every job of that project as the producer's own ftrack username (their
``FtrackCredential.api_user``) with that key. A real ftrack server accepts a global key with any
username. What we verify before saving: that ftrack accepts the key together with the saving admin's
own ftrack username. That proves the key is live and is accepted for a real user; it also works
against the dev server, whose keys each belong to one user (there the service key only publishes as
the user it belongs to).
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from publishing.core import roles
from publishing.core.crypto import decrypt_secret, encrypt_secret
from publishing.core.errors import MissingCredential
from publishing.ftrack import sessions
from publishing.models import FtrackCredential, ProjectServiceKey

log = logging.getLogger(__name__)


class ServiceKeyError(Exception):
    """The service key cannot be checked (not that ftrack refused it): say what to do instead."""


class PublishCredential(NamedTuple):
    api_user: str
    api_key: str
    # Recorded on the job (PublishJob.credential_label): which credential published it.
    label: str
    # Changes whenever the key or the username changes: the session pool keys sessions by it.
    version_key: tuple

    def secret(self) -> str:
        return self.api_key


def service_key_save(
    *, project_id: str, project_name: str, api_key: str, actor, api_user: str | None = None
) -> ProjectServiceKey:
    """Verify a global API key with ftrack, then store it (encrypted) for one project.

    The key is checked with ``api_user`` or, by default, the admin's own ftrack username. Raises
    PermissionDenied (not an admin), ServiceKeyError (no username to check with),
    FtrackCredentialRejected or FtrackUnavailable (nothing stored in either case).
    """
    if not roles.is_admin(actor):
        raise PermissionDenied("Only admins manage project service keys.")
    project_id, project_name = project_id.strip(), project_name.strip()
    if not project_id:
        raise ServiceKeyError("Choose the ftrack project the key is for.")
    check_as = (api_user or "").strip() or _own_ftrack_username(actor)
    if not check_as:
        raise ServiceKeyError(
            "Connect your own ftrack credential first: the service key is checked with your ftrack username."
        )
    sessions.verify_credential(check_as, api_key)
    token = encrypt_secret(api_key)
    now = timezone.now()
    with transaction.atomic():
        service_key = (
            ProjectServiceKey.objects.select_for_update().filter(ftrack_project_id=project_id).first()
        )
        if service_key is None:
            service_key = ProjectServiceKey.objects.create(
                ftrack_project_id=project_id,
                project_name=project_name or project_id,
                api_key_encrypted=token,
                is_active=True,
                verified_at=now,
                created_by=actor,
            )
        else:
            ProjectServiceKey.objects.filter(pk=service_key.pk).update(
                project_name=project_name or service_key.project_name,
                api_key_encrypted=token,
                is_active=True,
                version=F("version") + 1,
                verified_at=now,
                last_error="",
                updated_at=now,
            )
            service_key.refresh_from_db()
    log.info(
        "service key for project %s saved by %s (checked as %s, version %s)",
        service_key.project_name,
        actor,
        check_as,
        service_key.version,
    )
    return service_key


def service_key_disable(*, service_key: ProjectServiceKey, actor) -> ProjectServiceKey:
    """Stop using a project's service key; its jobs go back to each producer's personal key."""
    if not roles.is_admin(actor):
        raise PermissionDenied("Only admins manage project service keys.")
    ProjectServiceKey.objects.filter(pk=service_key.pk).update(is_active=False, updated_at=timezone.now())
    service_key.refresh_from_db()
    log.info("service key for project %s disabled by %s", service_key.project_name, actor)
    return service_key


def service_key_for(project_id: str) -> ProjectServiceKey | None:
    """The active service key of an ftrack project, or None (publish with personal keys)."""
    if not project_id:
        return None
    return ProjectServiceKey.objects.filter(ftrack_project_id=project_id, is_active=True).first()


def service_key_record_failure(*, chosen: PublishCredential, message: str) -> ProjectServiceKey | None:
    """Record on the service key behind ``chosen`` that ftrack refused it; return the key.

    Only the version that was refused is marked: if an admin saved a new key meanwhile, the new
    one is not blamed for the old one's failure. The producer's personal credential is not touched.
    """
    kind, service_key_id, version = chosen.version_key[:3]
    if kind != "service":
        raise ValueError("not a service-key credential")
    now = timezone.now()
    ProjectServiceKey.objects.filter(pk=service_key_id, version=version).update(
        last_error=message, updated_at=now
    )
    log.warning(
        "ftrack refused the service key %s (version %s) as %s", service_key_id, version, chosen.api_user
    )
    return ProjectServiceKey.objects.filter(pk=service_key_id).first()


def credential_for_publish(*, user, project_id: str) -> PublishCredential:
    """Which ftrack identity publishes ``user``'s job in ``project_id``.

    The project's active service key with the producer's own ftrack username when there is one,
    else the producer's personal key. Raises MissingCredential when the producer has no ftrack
    username on file (or no key and no service key covers the project).
    """
    credential = FtrackCredential.objects.filter(user=user).first()
    username = getattr(user, "username", "")
    if credential is None or not credential.api_user:
        raise MissingCredential(username)
    service_key = service_key_for(project_id)
    if service_key is not None:
        return PublishCredential(
            api_user=credential.api_user,
            api_key=decrypt_secret(service_key.api_key_encrypted),
            label=f"service key of project {service_key.project_name} as {credential.api_user}",
            version_key=("service", service_key.pk, service_key.version, credential.api_user),
        )
    if not credential.api_key_encrypted:
        raise MissingCredential(username)
    return PublishCredential(
        api_user=credential.api_user,
        api_key=decrypt_secret(credential.api_key_encrypted),
        label=f"personal key of {username} (ftrack: {credential.api_user})",
        version_key=("personal", credential.pk, credential.version, credential.api_user),
    )


def _own_ftrack_username(actor) -> str:
    credential = FtrackCredential.objects.filter(user=actor).first()
    return credential.api_user if credential else ""
