"""``manage.py verify_credentials [--user NAME]``: ask ftrack whether the stored keys still work.

Uses the vault (``publishing.vault.credentials``): every personal key by default, as the nightly
check does, or one user's. Refused keys are marked unhealthy and their owners told (once). Prints a
summary; never a key. Exit 1 when any key was refused or ftrack did not answer.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from publishing.core.errors import FtrackUnavailable
from publishing.models import FtrackCredential
from publishing.vault.credentials import credential_verify, credentials_reverify_all


def _verify_each(credentials) -> dict[str, int]:
    """One user's credentials, one at a time (the nightly bulk check covers everybody)."""
    counts = {"verified": 0, "refused": 0, "unavailable": 0, "skipped": 0}
    for credential in credentials:
        if not credential.user.is_active:
            counts["skipped"] += 1
            continue
        try:
            ok = credential_verify(credential=credential)
        except FtrackUnavailable:
            counts["unavailable"] += 1
            break  # every following check would fail the same way
        counts["verified" if ok else "refused"] += 1
    return counts


class Command(BaseCommand):
    help = "Re-verify stored ftrack API keys with ftrack and record their health."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="only this portal user's key")

    def handle(self, *args, user=None, **options):
        credentials = FtrackCredential.objects.select_related("user").exclude(api_key_encrypted="")
        if user:
            credentials = credentials.filter(user__username=user)
            if not credentials.exists():
                raise CommandError(f"Portal user {user} has no stored ftrack key.", returncode=2)
            counts = _verify_each(credentials)
        else:
            counts = credentials_reverify_all()
        for credential in credentials.order_by("user__username"):
            credential.refresh_from_db()
            health = "ok" if credential.is_healthy else f"FAILING: {credential.last_error}"
            self.stdout.write(f"{credential.user.get_username()} as {credential.api_user}: {health}")
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(f"Checked: {summary}.")
        if counts.get("refused") or counts.get("unavailable"):
            raise CommandError(f"Some keys could not be confirmed ({summary}).", returncode=1)
