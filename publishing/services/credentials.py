"""Storing a portal user's ftrack credential.

The API key is verified with ftrack before anything is written, so a rejected key never reaches
the database; it is stored only as a Fernet token (``publishing.crypto``) and is never logged.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from publishing.crypto import decrypt_secret, encrypt_secret
from publishing.models import FtrackCredential

log = logging.getLogger(__name__)


def credential_save(*, user, api_user: str, api_key: str) -> FtrackCredential:
    """Verify ``api_user``/``api_key`` with ftrack, then store them for ``user``.

    Raises ``FtrackCredentialRejected`` (nothing stored) or ``FtrackUnavailable`` (nothing stored,
    try again later). Bumps ``version`` on every change so pooled worker sessions are renewed.
    """
    # Imported here: the ftrack package pulls in ftrack_api, which pages without ftrack work need not load.
    from publishing.ftrack.sessions import verify_credential

    api_user = api_user.strip()
    info = verify_credential(api_user, api_key) or {}
    # ftrack answers with the canonical username (case may differ from what was typed).
    api_user = info.get("username") or api_user
    token = encrypt_secret(api_key)
    now = timezone.now()

    with transaction.atomic():
        credential = FtrackCredential.objects.select_for_update().filter(user=user).first()
        if credential is None:
            credential = FtrackCredential.objects.create(
                user=user,
                api_user=api_user,
                api_key_encrypted=token,
                verified_at=now,
                is_healthy=True,
                last_error="",
            )
        else:
            FtrackCredential.objects.filter(pk=credential.pk).update(
                api_user=api_user,
                api_key_encrypted=token,
                mode=FtrackCredential.Mode.PERSONAL,
                version=F("version") + 1,
                verified_at=now,
                is_healthy=True,
                last_error="",
                updated_at=now,
            )
            credential.refresh_from_db()
    # Only who and which version: the key itself never goes into a log line.
    log.info("ftrack credential saved for %s as %s (version %s)", user, api_user, credential.version)
    return credential


def credential_api_key(credential: FtrackCredential) -> str:
    """The plain API key, for the ftrack session only; never put it in a response or a log."""
    return decrypt_secret(credential.api_key_encrypted)
