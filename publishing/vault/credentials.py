"""The credential vault: portal users' ftrack keys and per-project service keys.

Every key is verified with ftrack before anything is written, so a rejected key never reaches the
database; it is stored only as a Fernet token (``publishing.core.crypto``) and is never logged. Health
is re-checked on demand ("verify now") and on a schedule (``credentials_reverify_all``); an owner
whose key stops working is told once, in-app and by email, until it works again.

Service keys (``ProjectServiceKey``) live in ``publishing/vault/service_keys.py``; the choice of
which key publishes a job is ``credential_for_publish`` there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from publishing.core import enqueue
from publishing.core.crypto import SecretUnreadable, decrypt_secret, encrypt_secret
from publishing.core.errors import FtrackCredentialRejected, FtrackUnavailable, MissingCredential
from publishing.ftrack import sessions
from publishing.models import FtrackCredential
from publishing.vault.mail import notify_credential_failed
from publishing.vault.service_keys import (
    credential_for_publish,
    service_key_disable,
    service_key_for,
    service_key_record_failure,
    service_key_save,
)

log = logging.getLogger(__name__)

UNREADABLE_MESSAGE = (
    "The stored API key can no longer be decrypted (the encryption keys changed). Enter the key again."
)
NO_KEY_MESSAGE = "No personal API key is stored. Enter one on the credentials page."


def credential_save(*, user, api_user: str, api_key: str) -> FtrackCredential:
    """Verify ``api_user``/``api_key`` with ftrack, then store them for ``user``.

    Raises ``FtrackCredentialRejected`` (nothing stored) or ``FtrackUnavailable`` (nothing stored,
    try again later). Bumps ``version`` on every change so pooled worker sessions are renewed.
    """
    # Imported here: the ftrack package pulls in ftrack_api, which pages without ftrack work need not load.
    api_user = api_user.strip()
    info = sessions.verify_credential(api_user, api_key) or {}
    # ftrack answers with the canonical username (case may differ from what was typed).
    api_user = info.get("username") or api_user
    token = encrypt_secret(api_key)
    now = timezone.now()
    healthy = {
        "verified_at": now,
        "checked_at": now,
        "is_healthy": True,
        "last_error": "",
        "last_error_at": None,
        "failure_notified_at": None,
    }

    with transaction.atomic():
        credential = FtrackCredential.objects.select_for_update().filter(user=user).first()
        if credential is None:
            credential = FtrackCredential.objects.create(
                user=user, api_user=api_user, api_key_encrypted=token, **healthy
            )
        else:
            FtrackCredential.objects.filter(pk=credential.pk).update(
                api_user=api_user,
                api_key_encrypted=token,
                mode=FtrackCredential.Mode.PERSONAL,
                version=F("version") + 1,
                updated_at=now,
                **healthy,
            )
            credential.refresh_from_db()
    # Only who and which version: the key itself never goes into a log line.
    log.info("ftrack credential saved for %s as %s (version %s)", user, api_user, credential.version)
    return credential


@dataclass(frozen=True)
class PersonalIdentity:
    """A producer's own ftrack identity, as the session pool wants it (``ftrack.sessions.Identity``)."""

    api_user: str
    version_key: tuple
    encrypted_key: str = field(repr=False)

    def secret(self) -> str:
        # Decrypted only when a session has to be opened, not on every pool hit.
        return decrypt_secret(self.encrypted_key)


def personal_identity(user) -> PersonalIdentity:
    """``user``'s own key (installed as the pool's resolver in publishing/apps.py)."""
    try:
        credential = user.ftrack_credential
    except FtrackCredential.DoesNotExist:
        raise MissingCredential(getattr(user, "username", "")) from None
    if not credential.api_key_encrypted:
        raise MissingCredential(getattr(user, "username", ""))
    # Same shape as credential_for_publish's personal version_key, so a job published with the
    # personal key reuses the session the user browses with (and vice versa).
    version_key = ("personal", credential.pk, credential.version, credential.api_user)
    return PersonalIdentity(credential.api_user, version_key, credential.api_key_encrypted)


def credential_mark_unhealthy(*, user, message: str) -> None:
    """ftrack refused the user's key during a publish: record it and drop their pooled sessions."""
    FtrackCredential.objects.filter(user=user).update(
        is_healthy=False, last_error=message, updated_at=timezone.now()
    )
    sessions.pool().discard(user)


def credential_api_key(credential: FtrackCredential) -> str:
    """The plain API key, for the ftrack session only; never put it in a response or a log."""
    return decrypt_secret(credential.api_key_encrypted)


def credential_verify(*, credential: FtrackCredential, actor=None, now: datetime | None = None) -> bool:
    """Ask ftrack whether the stored key still works; record the answer on the credential.

    Returns True when ftrack accepts it. A refusal marks the credential unhealthy and tells the
    owner (once per failure streak). Raises ``FtrackUnavailable`` when ftrack does not answer:
    that says nothing about the key, so its health is left as it was (only ``checked_at`` moves).
    """
    now = now or timezone.now()
    who = f" (asked by {actor})" if actor is not None else ""
    if not credential.api_key_encrypted:
        # A username-only credential (service-key mode): nothing to check and nothing broken to report.
        credential.last_error = NO_KEY_MESSAGE
        return False
    try:
        api_key = credential_api_key(credential)
    except SecretUnreadable:
        log.warning("stored ftrack key of %s cannot be decrypted%s", credential.user, who)
        return _record_failure(credential, UNREADABLE_MESSAGE, now=now)
    try:
        sessions.verify_credential(credential.api_user, api_key)
    except FtrackCredentialRejected as rejected:
        log.info("ftrack refused the key of %s as %s%s", credential.user, credential.api_user, who)
        return _record_failure(credential, rejected.message, now=now)
    except FtrackUnavailable:
        FtrackCredential.objects.filter(pk=credential.pk).update(checked_at=now)
        credential.checked_at = now
        raise
    changes = {
        "is_healthy": True,
        "verified_at": now,
        "checked_at": now,
        "last_error": "",
        "failure_notified_at": None,
        "updated_at": now,
    }
    FtrackCredential.objects.filter(pk=credential.pk).update(**changes)
    for name, value in changes.items():
        setattr(credential, name, value)
    log.info("ftrack accepted the key of %s as %s%s", credential.user, credential.api_user, who)
    return True


def credential_record_failure(*, user, message: str, now: datetime | None = None) -> bool:
    """Mark ``user``'s credential refused by ftrack (e.g. seen by the publisher) and tell them once.

    Returns False (the credential is not healthy) so callers can pass the value on; a user without
    a credential is ignored.
    """
    credential = FtrackCredential.objects.filter(user=user).select_related("user").first()
    if credential is None:
        return False
    return _record_failure(credential, message, now=now or timezone.now())


def _record_failure(credential: FtrackCredential, message: str, *, now: datetime) -> bool:
    changes = {
        "is_healthy": False,
        "checked_at": now,
        "last_error": message,
        "last_error_at": now,
        "updated_at": now,
    }
    with transaction.atomic():
        FtrackCredential.objects.filter(pk=credential.pk).update(**changes)
        # Conditional claim of the notification: of two concurrent failures only one tells the owner.
        first_of_streak = FtrackCredential.objects.filter(
            pk=credential.pk, failure_notified_at__isnull=True
        ).update(failure_notified_at=now)
    for name, value in changes.items():
        setattr(credential, name, value)
    if first_of_streak:
        credential.failure_notified_at = now
        # After commit: the email goes out only if the failure was really recorded.
        enqueue.after_commit(_tell_owner, credential, message)
    return False


def _tell_owner(credential: FtrackCredential, message: str) -> None:

    try:
        notify_credential_failed(credential=credential, reason=message)
    except Exception:  # a broken mail server must not turn a verification into an error page
        log.exception("could not notify %s that their ftrack key fails", credential.user)


def credentials_reverify_all(*, now: datetime | None = None) -> dict[str, int]:
    """Scheduled re-verification of every stored personal key. Returns counts for the log.

    Stops at the first "ftrack unavailable": every following check would fail the same way, and
    hammering a struggling server helps nobody; the next run picks the rest up.
    """
    now = now or timezone.now()
    counts = {"verified": 0, "refused": 0, "unavailable": 0, "skipped": 0}
    credentials = (
        FtrackCredential.objects.filter(mode=FtrackCredential.Mode.PERSONAL)
        .exclude(api_key_encrypted="")
        .select_related("user")
        .order_by("checked_at", "pk")  # the longest unchecked first, in case a run is cut short
    )
    for credential in credentials:
        if not credential.user.is_active:
            counts["skipped"] += 1
            continue
        try:
            ok = credential_verify(credential=credential, now=now)
        except FtrackUnavailable:
            counts["unavailable"] += 1
            log.warning("ftrack unavailable during scheduled credential check; stopping this run")
            break
        counts["verified" if ok else "refused"] += 1
    log.info("scheduled credential check: %s", counts)
    return counts


__all__ = [
    "PersonalIdentity",
    "credential_api_key",
    "credential_mark_unhealthy",
    "credential_for_publish",
    "credential_record_failure",
    "credential_save",
    "credential_verify",
    "credentials_reverify_all",
    "personal_identity",
    "service_key_disable",
    "service_key_for",
    "service_key_record_failure",
    "service_key_save",
]
