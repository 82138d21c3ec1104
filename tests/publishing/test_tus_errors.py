"""Every refusal of the tus endpoint: right status, a clear message, and nothing corrupted behind it."""

from __future__ import annotations

import base64
import os

import pytest
import requests

from publishing.models import Upload
from publishing.uploads import services as upload_service

OCTETS = "application/offset+octet-stream"


def _meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def _post(endpoint, headers, size, filename="plate.mov", **extra):
    return requests.post(
        endpoint,
        headers={**headers, "Upload-Length": str(size), "Upload-Metadata": _meta(filename=filename), **extra},
    )


def _create(endpoint, headers, size, filename="plate.mov") -> str:
    response = _post(endpoint, headers, size, filename)
    assert response.status_code == 201, response.text
    return response.headers["Location"]


def _patch(url, headers, offset, data, **extra):
    return requests.patch(
        url, data=data, headers={**headers, "Upload-Offset": str(offset), "Content-Type": OCTETS, **extra}
    )


def _offset(url, headers) -> int:
    return int(requests.head(url, headers=headers).headers["Upload-Offset"])


def test_over_max_upload_size_is_413_at_creation(tus_endpoint, tus_headers, producer, settings):
    settings.MAX_UPLOAD_SIZE = 1000
    response = _post(tus_endpoint, tus_headers(producer), 1001)
    assert response.status_code == 413
    assert "limit" in response.text
    assert not Upload.objects.exists()


def test_zero_length_file_is_refused(tus_endpoint, tus_headers, producer):
    response = _post(tus_endpoint, tus_headers(producer), 0)
    assert response.status_code == 400
    assert "empty" in response.text
    assert not Upload.objects.exists()


@pytest.mark.parametrize("length", [None, "-5", "ten", "1e6"])
def test_missing_or_malformed_upload_length_is_400(tus_endpoint, tus_headers, producer, length):
    headers = {**tus_headers(producer), "Upload-Metadata": _meta(filename="a.mov")}
    if length is not None:
        headers["Upload-Length"] = length
    response = requests.post(tus_endpoint, headers=headers)
    assert response.status_code == 400
    assert "Upload-Length" in response.text


def test_deferred_length_is_refused(tus_endpoint, tus_headers, producer):
    headers = {
        **tus_headers(producer),
        "Upload-Defer-Length": "1",
        "Upload-Metadata": _meta(filename="a.mov"),
    }
    response = requests.post(tus_endpoint, headers=headers)
    assert response.status_code == 400
    assert "Deferred" in response.text


def test_missing_filename_and_bad_metadata_are_400(tus_endpoint, tus_headers, producer):
    headers = {**tus_headers(producer), "Upload-Length": "10"}
    assert requests.post(tus_endpoint, headers=headers).status_code == 400
    response = requests.post(tus_endpoint, headers={**headers, "Upload-Metadata": "filename !!notbase64"})
    assert response.status_code == 400
    assert "base64" in response.text


@pytest.mark.parametrize("filename", ["notes.txt", "run.sh", "movie", "plate.mov.exe"])
def test_disallowed_file_type_is_415_with_allowed_list(tus_endpoint, tus_headers, producer, filename):
    response = _post(tus_endpoint, tus_headers(producer), 10, filename=filename)
    assert response.status_code == 415
    assert ".mov" in response.text and ".exr" in response.text
    assert not Upload.objects.exists()


def test_extension_check_ignores_case(tus_endpoint, tus_headers, producer):
    assert _post(tus_endpoint, tus_headers(producer), 10, filename="PLATE.MOV").status_code == 201


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        ("../../../../etc/passwd.png", "passwd.png"),
        ("..\\..\\windows\\system32\\evil.png", "evil.png"),
        ("shot\x00\n\r\x1b[31m.png", "shot[31m.png"),
        ("right\u202eto-left.png", "rightto-left.png"),
        ("...hidden.png", "hidden.png"),
    ],
)
def test_hostile_file_names_are_sanitised_and_never_paths(
    tus_endpoint, tus_headers, producer, hostile, expected, _private_media_dirs
):
    headers = tus_headers(producer)
    url = _create(tus_endpoint, headers, 4, filename=hostile)
    assert _patch(url, headers, 0, b"abcd").status_code == 204
    upload = Upload.objects.get(pk=url.rsplit("/", 1)[1])
    assert upload.filename == expected
    assert upload.storage_path == f"uploads/{upload.id}/{upload.id}.png"
    # Nothing was written anywhere but inside our own folders.
    assert not (_private_media_dirs / "etc").exists()
    written = [p for p in _private_media_dirs.rglob("*") if p.is_file()]
    assert [p.name for p in written] == [f"{upload.id}.png"]


def test_thousand_character_name_is_shortened_keeping_its_extension(tus_endpoint, tus_headers, producer):
    url = _create(tus_endpoint, tus_headers(producer), 4, filename="a" * 1000 + ".exr")
    upload = Upload.objects.get(pk=url.rsplit("/", 1)[1])
    assert len(upload.filename) == 200
    assert upload.filename.endswith("a.exr")


def test_wrong_offset_is_409_and_nothing_written(tus_endpoint, tus_headers, producer):
    headers = tus_headers(producer)
    url = _create(tus_endpoint, headers, 100)
    assert _patch(url, headers, 0, b"x" * 40).status_code == 204
    for wrong in (0, 39, 41, 99):
        response = _patch(url, headers, wrong, b"y" * 10)
        assert response.status_code == 409
        assert "does not match the 40 bytes" in response.text
    assert _offset(url, headers) == 40
    upload = Upload.objects.get(pk=url.rsplit("/", 1)[1])
    assert upload_service.upload_partial_path(upload).read_bytes() == b"x" * 40


@pytest.mark.parametrize("content_type", [None, "application/octet-stream", "text/plain"])
def test_patch_with_wrong_content_type_is_415(tus_endpoint, tus_headers, producer, content_type):
    headers = tus_headers(producer)
    url = _create(tus_endpoint, headers, 10)
    extra = {"Upload-Offset": "0"}
    if content_type:
        extra["Content-Type"] = content_type
    response = requests.patch(url, data=b"0123456789", headers={**headers, **extra})
    assert response.status_code == 415
    assert OCTETS in response.text
    assert _offset(url, headers) == 0


def test_chunk_past_declared_length_is_413(tus_endpoint, tus_headers, producer):
    headers = tus_headers(producer)
    url = _create(tus_endpoint, headers, 10)
    response = _patch(url, headers, 0, b"x" * 11)
    assert response.status_code == 413
    assert _offset(url, headers) == 0


def test_patch_after_completion_is_409(tus_endpoint, tus_headers, producer):
    headers = tus_headers(producer)
    url = _create(tus_endpoint, headers, 3)
    assert _patch(url, headers, 0, b"abc").status_code == 204
    response = _patch(url, headers, 3, b"d")
    assert response.status_code == 409


@pytest.mark.parametrize("version", [None, "0.2.2", "2.0.0"])
def test_missing_or_unsupported_tus_resumable_is_412(tus_endpoint, tus_headers, producer, version):
    headers = tus_headers(producer)
    url = _create(tus_endpoint, headers, 10)
    del headers["Tus-Resumable"]
    if version:
        headers["Tus-Resumable"] = version
    for response in (
        requests.post(
            tus_endpoint,
            headers={**headers, "Upload-Length": "5", "Upload-Metadata": _meta(filename="a.mov")},
        ),
        requests.head(url, headers=headers),
        _patch(url, headers, 0, b"0123456789"),
        requests.delete(url, headers=headers),
    ):
        assert response.status_code == 412
        assert response.headers["Tus-Version"] == "1.0.0"
    assert Upload.objects.count() == 1
    assert Upload.objects.get().offset == 0


def test_unknown_upload_is_404(tus_endpoint, tus_headers, producer):
    response = requests.head(
        f"{tus_endpoint}00000000-0000-4000-8000-000000000000", headers=tus_headers(producer)
    )
    assert response.status_code == 404


def test_large_chunk_body_is_streamed_not_buffered(tus_endpoint, tus_headers, producer, settings):
    # Far above DATA_UPLOAD_MAX_MEMORY_SIZE: Django's in-memory limit must not apply to chunks.
    headers = tus_headers(producer)
    data = os.urandom(8 * settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    url = _create(tus_endpoint, headers, len(data))
    assert _patch(url, headers, 0, data).status_code == 204
