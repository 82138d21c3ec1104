"""The tus 1.0.0 protocol over real HTTP against the live server: a real client, resumes, extensions."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import time
from urllib.parse import urlsplit

import pytest
import requests
from django.core.files.storage import storages
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError, TusUploadFailed

from publishing.models import Upload
from publishing.uploads import services as upload_service

MIB = 1024 * 1024
OCTETS = "application/offset+octet-stream"


def _meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def _create(endpoint, headers, size, filename="plate.mov", **extra) -> str:
    response = requests.post(
        endpoint,
        headers={**headers, "Upload-Length": str(size), "Upload-Metadata": _meta(filename=filename), **extra},
    )
    assert response.status_code == 201, response.text
    return response.headers["Location"]


def _patch(url, headers, offset, data, **extra):
    return requests.patch(
        url, data=data, headers={**headers, "Upload-Offset": str(offset), "Content-Type": OCTETS, **extra}
    )


def _offset(url, headers) -> int:
    response = requests.head(url, headers=headers)
    assert response.status_code == 200
    return int(response.headers["Upload-Offset"])


def _staged_bytes(upload: Upload) -> bytes:
    with storages["staging"].open(upload.storage_path, "rb") as fh:
        return fh.read()


def _wait_until(condition, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def fifty_mb_file(tmp_path):
    path = tmp_path / "big plate.mov"
    path.write_bytes(os.urandom(50 * MIB))
    return path


def test_options_advertises_version_extensions_and_max_size(tus_endpoint, settings):
    response = requests.options(tus_endpoint)
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {
        "creation",
        "creation-with-upload",
        "termination",
        "checksum",
        "expiration",
    }
    assert response.headers["Tus-Max-Size"] == str(settings.MAX_UPLOAD_SIZE)
    assert response.headers["Tus-Checksum-Algorithm"] == "md5,sha1"


def test_tuspy_upload_interrupted_and_resumed_is_byte_exact(
    tus_endpoint, tus_headers, producer, fifty_mb_file
):
    headers = tus_headers(producer)
    data = fifty_mb_file.read_bytes()
    tus = tus_client.TusClient(tus_endpoint, headers=headers)
    first = tus.uploader(str(fifty_mb_file), chunk_size=8 * MIB, metadata={"filename": fifty_mb_file.name})
    first.upload(stop_at=24 * MIB)  # the producer's laptop goes to sleep here

    url = first.url
    assert _offset(url, headers) == 24 * MIB
    # A fresh client (new page load) asks the server where to continue.
    resumed = tus_client.TusClient(tus_endpoint, headers=headers).uploader(
        str(fifty_mb_file), url=url, chunk_size=8 * MIB
    )
    assert resumed.offset == 24 * MIB
    resumed.upload()

    upload = Upload.objects.get(pk=url.rstrip("/").rsplit("/", 1)[1])
    assert upload.offset == upload.size == len(data)
    assert upload.state == Upload.State.REJECTED  # random bytes are no movie...
    assert upload.reject_reason  # ...and the producer is told so in words
    assert upload.filename == "big plate.mov"
    assert upload.md5_base64 == _b64(hashlib.md5(data).digest())
    assert _staged_bytes(upload) == data
    assert not upload_service.upload_partial_path(upload).exists()


def test_connection_cut_mid_chunk_keeps_received_bytes(tus_endpoint, tus_headers, producer):
    headers = tus_headers(producer)
    data = os.urandom(6 * MIB)
    url = _create(tus_endpoint, headers, len(data))
    # Announce the whole file in one PATCH, send 2 MiB of it, then drop the connection.
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("PATCH", parts.path)
    for name, value in {**headers, "Upload-Offset": "0", "Content-Type": OCTETS}.items():
        conn.putheader(name, value)
    conn.putheader("Content-Length", str(len(data)))
    conn.endheaders()
    conn.send(data[: 2 * MIB])
    conn.close()

    upload = Upload.objects.get(pk=parts.path.rsplit("/", 1)[1])
    _wait_until(
        lambda: Upload.objects.filter(pk=upload.pk, patch_lock="", offset__gt=0).exists(), what="lease"
    )
    offset = _offset(url, headers)
    assert 0 < offset <= 2 * MIB
    # The bytes kept are exactly the ones sent; the rest follows from there.
    assert _patch(url, headers, offset, data[offset:]).status_code == 204
    upload.refresh_from_db()
    assert upload.md5_base64 == _b64(hashlib.md5(data).digest())
    assert _staged_bytes(upload) == data


def test_md5_falls_back_to_full_read_when_running_hash_is_lost(tus_endpoint, tus_headers, producer):
    headers = tus_headers(producer)
    data = os.urandom(3 * MIB)
    url = _create(tus_endpoint, headers, len(data))
    assert _patch(url, headers, 0, data[:MIB]).status_code == 204
    upload_service._running.clear()  # as if the next chunk landed on another web process
    assert _patch(url, headers, MIB, data[MIB:]).status_code == 204
    upload = Upload.objects.get(pk=url.rsplit("/", 1)[1])
    assert upload.md5_base64 == _b64(hashlib.md5(data).digest())


def test_creation_with_upload_sends_first_bytes_with_the_post(tus_endpoint, tus_headers, producer):
    headers = tus_headers(producer)
    data = os.urandom(300_000)
    response = requests.post(
        tus_endpoint,
        data=data[:100_000],
        headers={
            **headers,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": _meta(filename="a.mp4", filetype="video/mp4"),
            "Content-Type": OCTETS,
        },
    )
    assert response.status_code == 201
    assert response.headers["Upload-Offset"] == "100000"
    url = response.headers["Location"]
    assert _patch(url, headers, 100_000, data[100_000:]).status_code == 204
    upload = Upload.objects.get(pk=url.rsplit("/", 1)[1])
    assert upload.content_type == "video/mp4"
    assert _staged_bytes(upload) == data


def test_termination_removes_partial_and_finished_uploads(tus_endpoint, tus_headers, producer):
    headers = tus_headers(producer)
    partial_url = _create(tus_endpoint, headers, 1000)
    assert _patch(partial_url, headers, 0, b"x" * 400).status_code == 204
    partial = Upload.objects.get(pk=partial_url.rsplit("/", 1)[1])
    assert upload_service.upload_partial_path(partial).exists()

    assert requests.delete(partial_url, headers=headers).status_code == 204
    assert not upload_service.upload_partial_path(partial).exists()
    assert requests.head(partial_url, headers=headers).status_code == 404
    assert not Upload.objects.filter(pk=partial.pk).exists()

    done_url = _create(tus_endpoint, headers, 10)
    assert _patch(done_url, headers, 0, b"0123456789").status_code == 204
    done = Upload.objects.get(pk=done_url.rsplit("/", 1)[1])
    assert storages["staging"].exists(done.storage_path)
    assert requests.delete(done_url, headers=headers).status_code == 204
    assert not storages["staging"].exists(done.storage_path)


@pytest.mark.parametrize("algorithm", ["md5", "sha1"])
def test_checksum_good_chunk_is_kept_bad_chunk_is_discarded(tus_endpoint, tus_headers, producer, algorithm):
    headers = tus_headers(producer)
    data = os.urandom(2 * MIB)
    url = _create(tus_endpoint, headers, len(data))
    first, second = data[:MIB], data[MIB:]

    good = f"{algorithm} {_b64(hashlib.new(algorithm, first).digest())}"
    assert _patch(url, headers, 0, first, **{"Upload-Checksum": good}).status_code == 204
    assert _offset(url, headers) == MIB

    wrong = f"{algorithm} {_b64(hashlib.new(algorithm, b'something else').digest())}"
    response = _patch(url, headers, MIB, second, **{"Upload-Checksum": wrong})
    assert response.status_code == 460
    assert "checksum" in response.text
    assert _offset(url, headers) == MIB
    upload = Upload.objects.get(pk=url.rsplit("/", 1)[1])
    assert upload_service.upload_partial_path(upload).stat().st_size == MIB  # cut back, nothing half-written

    right = f"{algorithm} {_b64(hashlib.new(algorithm, second).digest())}"
    assert _patch(url, headers, MIB, second, **{"Upload-Checksum": right}).status_code == 204
    upload.refresh_from_db()
    assert upload.md5_base64 == _b64(hashlib.md5(data).digest())
    assert _staged_bytes(upload) == data


def test_tuspy_with_checksums_uploads_a_file(tus_endpoint, tus_headers, producer, tmp_path):
    path = tmp_path / "frame.0001.exr"
    path.write_bytes(os.urandom(MIB + 7))
    uploader = tus_client.TusClient(tus_endpoint, headers=tus_headers(producer)).uploader(
        str(path), chunk_size=256 * 1024, metadata={"filename": path.name}, upload_checksum=True
    )
    uploader.upload()
    upload = Upload.objects.get(pk=uploader.url.rsplit("/", 1)[1])
    assert upload.offset == upload.size
    assert upload.md5_base64 == _b64(hashlib.md5(path.read_bytes()).digest())


def test_unsupported_checksum_algorithm_is_refused(tus_endpoint, tus_headers, producer):
    headers = tus_headers(producer)
    url = _create(tus_endpoint, headers, 10)
    response = _patch(url, headers, 0, b"0123456789", **{"Upload-Checksum": "crc32 AAAAAA=="})
    assert response.status_code == 400
    assert "md5, sha1" in response.text
    assert _offset(url, headers) == 0


def test_concurrent_patch_loser_gets_409_and_file_is_intact(tus_endpoint, tus_headers, producer):
    headers = tus_headers(producer)
    data = os.urandom(2 * MIB)
    url = _create(tus_endpoint, headers, len(data))
    upload = Upload.objects.get(pk=url.rsplit("/", 1)[1])

    parts = urlsplit(url)
    slow = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    slow.putrequest("PATCH", parts.path)
    for name, value in {**headers, "Upload-Offset": "0", "Content-Type": OCTETS}.items():
        slow.putheader(name, value)
    slow.putheader("Content-Length", str(len(data)))
    slow.endheaders()
    slow.send(data[:MIB])
    _wait_until(
        lambda: Upload.objects.exclude(patch_lock="").filter(pk=upload.pk).exists(), what="first PATCH"
    )

    rival = _patch(url, headers, 0, b"z" * len(data))
    assert rival.status_code == 409
    assert "Another request" in rival.text

    slow.send(data[MIB:])
    assert slow.getresponse().status == 204
    slow.close()
    upload.refresh_from_db()
    assert upload.offset == len(data)
    assert _staged_bytes(upload) == data


def test_get_returns_state_and_expiry_for_the_pages(tus_endpoint, tus_headers, producer):
    headers = tus_headers(producer)
    url = _create(tus_endpoint, headers, 100, filename="shot.png")
    body = requests.get(url, headers=headers).json()
    assert body["state"] == "receiving"
    assert body["filename"] == "shot.png"
    assert body["expires_at"]
    assert "storage_path" not in body


def test_tuspy_reports_server_refusal(tus_endpoint, tus_headers, producer, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello")
    uploader = tus_client.TusClient(tus_endpoint, headers=tus_headers(producer))
    with pytest.raises((TusCommunicationError, TusUploadFailed)) as info:
        uploader.uploader(str(path), metadata={"filename": path.name}).upload()
    assert info.value.status_code == 415


def test_completed_upload_is_streamed_into_s3_staging(tus_endpoint, tus_headers, producer, settings):
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="staging-test")
        settings.STORAGES = {
            **settings.STORAGES,
            "staging": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": "staging-test",
                    "region_name": "us-east-1",
                    "file_overwrite": False,
                },
            },
        }
        headers = tus_headers(producer)
        data = os.urandom(3 * MIB)
        url = _create(tus_endpoint, headers, len(data), filename="plate.exr")
        assert _patch(url, headers, 0, data).status_code == 204
        upload = Upload.objects.get(pk=url.rsplit("/", 1)[1])
        assert upload.storage_path == f"uploads/{upload.id}/{upload.id}.exr"
        assert _staged_bytes(upload) == data
        assert not upload_service.upload_partial_path(upload).exists()
