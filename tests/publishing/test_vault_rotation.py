"""Key rotation: re-encrypt every stored secret under the new first key, then the old key can go."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from publishing.core.crypto import decrypt_secret, encrypt_secret
from publishing.models import FtrackCredential, ProjectServiceKey, ProjectWebhook

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _run(*args) -> str:
    out = io.StringIO()
    call_command("rotate_credential_keys", *args, stdout=out)
    return out.getvalue()


def test_rotation_re_encrypts_everything_under_the_new_key(settings, producer, admin_user):
    settings.CREDENTIAL_KEYS = [OLD]
    credential = FtrackCredential.objects.create(
        user=producer, api_user="producer", api_key_encrypted=encrypt_secret("key-1")
    )
    service = ProjectServiceKey.objects.create(
        ftrack_project_id="p", project_name="demo", api_key_encrypted=encrypt_secret("key-2")
    )
    hook = ProjectWebhook.objects.create(
        ftrack_project_id="p",
        project_name="demo",
        url="https://hooks.example/x",
        secret_encrypted=encrypt_secret("s"),
    )

    settings.CREDENTIAL_KEYS = [NEW, OLD]  # step 1: the new key first, the old one still there
    assert "would re-encrypt 3 secret(s)" in _run("--dry-run")
    assert FtrackCredential.objects.get().api_key_encrypted == credential.api_key_encrypted
    output = _run()
    assert "re-encrypted 3 secret(s); 0 already under the current key." in output
    assert "key-1" not in output
    assert "re-encrypted 0 secret(s); 3 already" in _run()  # running it twice is harmless

    settings.CREDENTIAL_KEYS = [NEW]  # step 3: the old key is dropped; everything still decrypts
    assert decrypt_secret(FtrackCredential.objects.get(pk=credential.pk).api_key_encrypted) == "key-1"
    assert decrypt_secret(ProjectServiceKey.objects.get(pk=service.pk).api_key_encrypted) == "key-2"
    assert decrypt_secret(ProjectWebhook.objects.get(pk=hook.pk).secret_encrypted) == "s"


def test_rotation_names_secrets_no_key_can_read(settings, producer):
    settings.CREDENTIAL_KEYS = [OLD]
    FtrackCredential.objects.create(user=producer, api_user="producer", api_key_encrypted=encrypt_secret("k"))
    settings.CREDENTIAL_KEYS = [NEW]  # the old key was dropped before rotating

    with pytest.raises(CommandError, match=f"credential of user #{producer.pk}"):
        _run()
