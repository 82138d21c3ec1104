"""Re-encrypt every stored secret under the first key of CREDENTIAL_KEYS (step 2 of a key rotation).

Step by step (docs/operations.md): put the new key first in CREDENTIAL_KEYS and keep the old one
after it, deploy, run this command, then drop the old key. Secrets already under the new key are
left alone, so running it twice is harmless.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from publishing.core.crypto import SecretUnreadable, rotate_secret
from publishing.models import FtrackCredential, ProjectServiceKey, ProjectWebhook

# (model, field holding a Fernet token, how a row is named in the report)
SECRETS = (
    (FtrackCredential, "api_key_encrypted", lambda row: f"credential of user #{row.user_id}"),
    (ProjectServiceKey, "api_key_encrypted", lambda row: f"service key of project {row.project_name}"),
    (ProjectWebhook, "secret_encrypted", lambda row: f"webhook secret of project {row.project_name}"),
)


class Command(BaseCommand):
    help = "Re-encrypt stored ftrack keys and webhook secrets under the current (first) CREDENTIAL_KEYS key."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; write nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        current = Fernet(settings.CREDENTIAL_KEYS[0])
        rotated = up_to_date = 0
        unreadable: list[str] = []
        for model, field, describe in SECRETS:
            for row in model.objects.exclude(**{field: ""}).only("pk", field, *_name_fields(model)):
                token = getattr(row, field)
                if _is_current(current, token):
                    up_to_date += 1
                    continue
                try:
                    new_token = rotate_secret(token)
                except SecretUnreadable:
                    unreadable.append(describe(row))
                    continue
                if not dry_run:
                    # Conditional: a key saved meanwhile (already under the new key) is not overwritten.
                    model.objects.filter(pk=row.pk, **{field: token}).update(**{field: new_token})
                rotated += 1
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        self.stdout.write(f"{verb} {rotated} secret(s); {up_to_date} already under the current key.")
        if unreadable:
            # Names only: the tokens are secrets' ciphertext and say nothing useful.
            raise CommandError(
                f"{len(unreadable)} secret(s) cannot be decrypted with any CREDENTIAL_KEYS key "
                f"(ask their owners to enter them again): {', '.join(unreadable)}"
            )


def _is_current(fernet: Fernet, token: str) -> bool:
    try:
        fernet.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def _name_fields(model) -> tuple[str, ...]:
    return ("user_id",) if model is FtrackCredential else ("project_name",)
