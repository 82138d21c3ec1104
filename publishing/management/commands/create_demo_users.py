"""Create the demo's portal users, each already holding the matching ftrack demo credential.

Idempotent: running it again resets the demo passwords and credentials to the known values and
creates nothing twice. For demos and development only (the passwords are printed).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F

from ftrack_devserver.seed import DEMO_USERS as SEEDED_KEYS
from publishing.core import roles
from publishing.core.crypto import SecretUnreadable, decrypt_secret, encrypt_secret
from publishing.models import FtrackCredential

# portal username → (role group, ftrack username). The ftrack API keys come from the dev server's
# demo seed (docs/internals.md), so the demo needs no typing beyond the login.
DEMO_USERS = {
    "producer": (roles.PRODUCER, "producer"),
    "coordinator": (roles.COORDINATOR, "coordinator"),
    "admin": (roles.ADMIN, "admin"),
}
FALLBACK_KEYS = {
    "producer": "demo-key-producer",
    "coordinator": "demo-key-coordinator",
    "admin": "demo-key-admin",
}


def demo_password(username: str) -> str:
    return f"{username}-demo"


def demo_api_keys() -> dict[str, str]:
    return {**FALLBACK_KEYS, **SEEDED_KEYS}


class Command(BaseCommand):
    help = "Create demo users (producer, coordinator, admin) with ftrack credentials of the dev server's demo seed."

    def handle(self, *args, **options):
        keys = demo_api_keys()
        User = get_user_model()
        with transaction.atomic():
            for username, (group_name, api_user) in DEMO_USERS.items():
                user, created = User.objects.get_or_create(username=username)
                user.set_password(demo_password(username))
                user.is_staff = group_name == roles.ADMIN
                user.is_superuser = group_name == roles.ADMIN
                user.save()
                group, _ = Group.objects.get_or_create(name=group_name)
                user.groups.add(group)
                self._store_credential(user, api_user, keys[api_user])
                verb = "created" if created else "updated"
                self.stdout.write(f"{verb} {username:<12} password {demo_password(username)}  ({group_name})")

    def _store_credential(self, user, api_user: str, api_key: str) -> None:
        credential = FtrackCredential.objects.filter(user=user).first()
        if credential is None:
            FtrackCredential.objects.create(
                user=user, api_user=api_user, api_key_encrypted=encrypt_secret(api_key)
            )
            return
        try:
            unchanged = (
                credential.api_user == api_user and decrypt_secret(credential.api_key_encrypted) == api_key
            )
        except SecretUnreadable:
            unchanged = False
        if not unchanged:
            # A new version makes worker sessions reconnect with the new key.
            FtrackCredential.objects.filter(pk=credential.pk).update(
                api_user=api_user,
                api_key_encrypted=encrypt_secret(api_key),
                version=F("version") + 1,
                is_healthy=True,
                last_error="",
            )
