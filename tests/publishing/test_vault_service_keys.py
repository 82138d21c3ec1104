"""Project service keys and the choice of credential for a publish, against the real ftrack dev server."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from publishing.core.crypto import decrypt_secret, encrypt_secret
from publishing.core.errors import FtrackCredentialRejected, MissingCredential
from publishing.models import FtrackCredential, ProjectServiceKey
from publishing.vault.credentials import (
    credential_for_publish,
    service_key_disable,
    service_key_for,
    service_key_save,
)
from publishing.vault.service_keys import ServiceKeyError

ADMIN_KEY = "demo-key-admin"


@pytest.fixture
def ftrack(settings, ftrack_server, redis_url):
    settings.FTRACK_SERVER = ftrack_server.url
    settings.REDIS_URL = redis_url
    return ftrack_server


def store(user, api_user: str, api_key: str = "") -> FtrackCredential:
    token = encrypt_secret(api_key) if api_key else ""
    return FtrackCredential.objects.create(user=user, api_user=api_user, api_key_encrypted=token)


def test_service_key_is_verified_with_the_admins_ftrack_username_and_stored_encrypted(ftrack, admin_user):
    store(admin_user, "admin", ADMIN_KEY)

    saved = service_key_save(project_id="p-1", project_name="demo", api_key=ADMIN_KEY, actor=admin_user)

    assert saved.is_active and saved.verified_at and saved.created_by == admin_user
    assert ADMIN_KEY not in saved.api_key_encrypted
    assert decrypt_secret(saved.api_key_encrypted) == ADMIN_KEY
    # Saving again replaces the key and bumps the version (pooled sessions renew).
    again = service_key_save(project_id="p-1", project_name="demo", api_key=ADMIN_KEY, actor=admin_user)
    assert again.pk == saved.pk and again.version == 2


def test_service_key_refused_by_ftrack_is_not_stored(ftrack, admin_user, caplog):
    caplog.set_level("DEBUG")
    store(admin_user, "admin", ADMIN_KEY)

    with pytest.raises(FtrackCredentialRejected):
        service_key_save(project_id="p-1", project_name="demo", api_key="not-a-global-key", actor=admin_user)

    assert not ProjectServiceKey.objects.exists()
    assert "not-a-global-key" not in caplog.text


def test_service_key_needs_an_admin_with_an_ftrack_username(ftrack, admin_user, coordinator):
    with pytest.raises(ServiceKeyError, match="Connect your own ftrack credential"):
        service_key_save(project_id="p-1", project_name="demo", api_key=ADMIN_KEY, actor=admin_user)
    store(coordinator, "coordinator", "demo-key-coordinator")
    with pytest.raises(PermissionDenied):
        service_key_save(project_id="p-1", project_name="demo", api_key=ADMIN_KEY, actor=coordinator)
    assert not ProjectServiceKey.objects.exists()


def test_credential_for_publish_prefers_the_projects_service_key(ftrack, producer, admin_user):
    store(producer, "producer", "demo-key-producer")
    store(admin_user, "admin", ADMIN_KEY)

    personal = credential_for_publish(user=producer, project_id="p-1")
    assert personal.api_user == "producer" and personal.api_key == "demo-key-producer"
    assert personal.label == "personal key of pia.producer (ftrack: producer)"
    assert personal.version_key[0] == "personal"

    service = service_key_save(project_id="p-1", project_name="demo", api_key=ADMIN_KEY, actor=admin_user)
    chosen = credential_for_publish(user=producer, project_id="p-1")
    assert (
        chosen.api_user == "producer" and chosen.api_key == ADMIN_KEY
    )  # the producer's name, the global key
    assert chosen.label == "service key of project demo as producer"
    assert chosen.version_key == ("service", service.pk, service.version, "producer")
    # Other projects keep the personal key.
    assert credential_for_publish(user=producer, project_id="p-2").label == personal.label

    service_key_disable(service_key=service, actor=admin_user)
    assert service_key_for("p-1") is None
    assert credential_for_publish(user=producer, project_id="p-1").label == personal.label


def test_credential_for_publish_service_mode_opens_a_working_ftrack_identity(ftrack, admin_user):
    """The dev server has no global keys: the admin's key published as the admin is what it accepts."""
    from publishing.ftrack.sessions import verify_credential

    store(admin_user, "admin", ADMIN_KEY)
    service_key_save(project_id="p-1", project_name="demo", api_key=ADMIN_KEY, actor=admin_user)
    api_user, api_key, _label, _version = credential_for_publish(user=admin_user, project_id="p-1")

    assert verify_credential(api_user, api_key)["username"] == "admin"


def test_credential_for_publish_without_credential(producer, admin_user):
    with pytest.raises(MissingCredential):
        credential_for_publish(user=producer, project_id="p-1")
    # Username only (service mode, no personal key): fine where a service key covers the project.
    store(producer, "producer")
    ProjectServiceKey.objects.create(
        ftrack_project_id="p-1", project_name="demo", api_key_encrypted=encrypt_secret(ADMIN_KEY)
    )
    assert credential_for_publish(user=producer, project_id="p-1").api_user == "producer"
    with pytest.raises(MissingCredential):
        credential_for_publish(user=producer, project_id="p-2")
