"""Expiration: Upload-Expires on the wire, 410 once past it, and the cleanup service removing the data."""

from __future__ import annotations

import base64
from datetime import timedelta
from email.utils import parsedate_to_datetime

import requests
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone
from factories import make_upload

from publishing.models import Upload
from publishing.uploads import services as upload_service
from publishing.uploads.services import uploads_cleanup_expired

OCTETS = "application/offset+octet-stream"


def _create(endpoint, headers, size=10) -> requests.Response:
    meta = "filename " + base64.b64encode(b"plate.mov").decode()
    return requests.post(endpoint, headers={**headers, "Upload-Length": str(size), "Upload-Metadata": meta})


def _patch(url, headers, offset, data):
    return requests.patch(
        url, data=data, headers={**headers, "Upload-Offset": str(offset), "Content-Type": OCTETS}
    )


def test_upload_expires_is_announced_and_slides_with_activity(tus_endpoint, tus_headers, producer, settings):
    settings.UPLOAD_EXPIRY = timedelta(hours=2)
    headers = tus_headers(producer)
    before = timezone.now()
    created = _create(tus_endpoint, headers)
    expires = parsedate_to_datetime(created.headers["Upload-Expires"])
    assert (
        before + timedelta(hours=2) - timedelta(seconds=2) <= expires <= timezone.now() + timedelta(hours=2)
    )

    url = created.headers["Location"]
    Upload.objects.update(expires_at=timezone.now() + timedelta(minutes=5))
    assert "Upload-Expires" in requests.head(url, headers=headers).headers
    patched = _patch(url, headers, 0, b"abc")
    assert parsedate_to_datetime(patched.headers["Upload-Expires"]) > timezone.now() + timedelta(hours=1)


def test_complete_upload_no_longer_expires(tus_endpoint, tus_headers, producer):
    headers = tus_headers(producer)
    url = _create(tus_endpoint, headers, size=3).headers["Location"]
    response = _patch(url, headers, 0, b"abc")
    assert response.status_code == 204
    assert "Upload-Expires" not in response.headers
    assert Upload.objects.get().expires_at is None


def test_expired_upload_answers_410_and_cleanup_removes_its_data(tus_endpoint, tus_headers, producer):
    headers = tus_headers(producer)
    url = _create(tus_endpoint, headers).headers["Location"]
    assert _patch(url, headers, 0, b"12345").status_code == 204
    upload = Upload.objects.get()
    partial = upload_service.upload_partial_path(upload)
    assert partial.exists()

    Upload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    # Gone even before the cleanup has run.
    gone = requests.head(url, headers=headers)
    assert gone.status_code == 410
    assert _patch(url, headers, 5, b"67890").status_code == 410
    assert partial.exists()

    assert uploads_cleanup_expired(dry_run=True) == [upload]
    assert partial.exists()  # a dry run touches nothing

    removed = uploads_cleanup_expired()
    assert [u.pk for u in removed] == [upload.pk]
    assert not partial.exists()
    upload.refresh_from_db()
    assert upload.state == Upload.State.EXPIRED
    response = requests.head(url, headers=headers)
    assert response.status_code == 410
    assert requests.get(url, headers=headers).status_code == 410


def test_cleanup_spares_fresh_complete_and_busy_uploads(producer):
    now = timezone.now()
    fresh = make_upload(producer, expires_at=now + timedelta(hours=1))
    done = make_upload(producer, state=Upload.State.READY, expires_at=None, offset=1024)
    old_done = make_upload(
        producer, state=Upload.State.READY, expires_at=now - timedelta(days=3), offset=1024
    )
    busy = make_upload(producer, expires_at=now - timedelta(hours=1), patch_lock="x" * 32, patch_lock_at=now)
    stale_lock = make_upload(
        producer,
        expires_at=now - timedelta(hours=1),
        patch_lock="y" * 32,
        patch_lock_at=now - timedelta(hours=2),
    )
    storages["staging"].save(old_done.storage_path, ContentFile(b"keep me"))

    removed = uploads_cleanup_expired(now=now)

    assert [u.pk for u in removed] == [stale_lock.pk]
    states = dict(Upload.objects.values_list("pk", "state"))
    assert states[fresh.pk] == states[busy.pk] == Upload.State.RECEIVING
    assert states[done.pk] == states[old_done.pk] == Upload.State.READY
    assert storages["staging"].exists(old_done.storage_path)


def test_cleanup_with_future_now_expires_abandoned_uploads(producer, settings):
    upload = make_upload(producer, expires_at=timezone.now() + settings.UPLOAD_EXPIRY)
    assert uploads_cleanup_expired(now=timezone.now()) == []
    removed = uploads_cleanup_expired(now=timezone.now() + settings.UPLOAD_EXPIRY + timedelta(seconds=1))
    assert [u.pk for u in removed] == [upload.pk]
