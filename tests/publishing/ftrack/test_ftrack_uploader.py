"""Streaming uploads into ftrack.server: single PUT, multi-part, resume, S3 staging."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid

import pytest
import requests
from ftrack_support import actions_since, give_credential, last_seq

from publishing.ftrack import sessions
from publishing.ftrack.uploader import (
    ByteCounter,
    Source,
    ensure_file_component,
    in_server_location,
    open_staging,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(producer, ftrack_settings):
    give_credential(producer, "producer")
    return sessions.session_for(producer)


def _stage(name: str, data: bytes) -> Source:
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    stored = storages["staging"].save(name, ContentFile(data))
    return Source(stored, len(data), base64.b64encode(hashlib.md5(data).digest()).decode())


def _download(server, component_id: str) -> bytes:
    response = requests.get(
        f"{server.url}/component/get",
        params={"id": component_id, "username": "producer", "apiKey": "demo-key-producer"},
        timeout=10,
    )
    response.raise_for_status()
    return response.content


def test_single_put_streams_from_staging_and_counts_bytes(session, ftrack_server):
    data = os.urandom(300_000)
    source = _stage(f"uploads/{uuid.uuid4()}/a.bin", data)
    sent = []
    counter = ByteCounter(sent.append, every=0)
    component_id = str(uuid.uuid4())
    mark = last_seq(ftrack_server)

    assert ensure_file_component(
        session, component_id=component_id, name="main", source=source, file_type=".bin", version_id=None,
        on_bytes=counter,
    )  # fmt: skip
    assert counter.total == len(data)
    assert sent and sent[-1] == len(data) and sent == sorted(sent)
    assert _download(ftrack_server, component_id) == data
    assert in_server_location(session, [component_id]) == {component_id}
    counts = actions_since(ftrack_server, mark, user="producer")
    assert counts["get_upload_metadata"] == 1
    assert counts.get("complete_multipart_upload", 0) == 0

    # Resumed: already in ftrack.server, so nothing is sent again.
    mark = last_seq(ftrack_server)
    assert not ensure_file_component(
        session, component_id=component_id, name="main", source=source, file_type=".bin", version_id=None
    )
    assert actions_since(ftrack_server, mark, user="producer")["get_upload_metadata"] == 0


def test_large_files_use_parallel_multipart(session, ftrack_server, settings):
    settings.FTRACK_MULTIPART_THRESHOLD = 100_000
    settings.FTRACK_MULTIPART_CHUNK = 64 * 1024
    data = os.urandom(64 * 1024 * 5 + 123)
    source = _stage(f"uploads/{uuid.uuid4()}/b.bin", data)
    counter = ByteCounter(None)
    component_id = str(uuid.uuid4())
    mark = last_seq(ftrack_server)

    ensure_file_component(
        session, component_id=component_id, name="main", source=source, file_type=".bin", version_id=None,
        on_bytes=counter,
    )  # fmt: skip
    assert counter.total == len(data)
    assert actions_since(ftrack_server, mark, user="producer")["complete_multipart_upload"] == 1
    assert _download(ftrack_server, component_id) == data


def test_a_checksum_mismatch_is_refused_and_registers_nothing(session, ftrack_server):
    data = b"frame data" * 1000
    source = _stage(f"uploads/{uuid.uuid4()}/c.bin", data)
    source.md5_base64 = base64.b64encode(hashlib.md5(b"other bytes").digest()).decode()
    component_id = str(uuid.uuid4())
    with pytest.raises(requests.HTTPError):
        ensure_file_component(
            session, component_id=component_id, name="main", source=source, file_type=".bin", version_id=None
        )
    assert in_server_location(session, [component_id]) == set()
    assert not session.recorded_operations  # nothing half-made waits in the session


def test_s3_staging_is_read_as_a_stream(settings, tmp_path):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        settings.STORAGES = {
            **settings.STORAGES,
            "staging": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": "staging-test",
                    "endpoint_url": endpoint,
                    "access_key": "test",
                    "secret_key": "test",
                    "region_name": "us-east-1",
                },
            },
        }
        import boto3

        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        ).create_bucket(Bucket="staging-test")
        data = os.urandom(50_000)
        source = _stage("uploads/x/y.bin", data)
        with open_staging(source.name) as stream:
            assert not hasattr(stream, "file")  # not django-storages' spooled S3File
            assert stream.read(1000) == data[:1000]
            assert stream.read() == data[1000:]
        with open_staging(source.name, 40_000) as stream:
            assert stream.read() == data[40_000:]
    finally:
        server.stop()
