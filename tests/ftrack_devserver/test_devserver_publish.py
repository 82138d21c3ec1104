"""Publishing for web review with the unmodified ftrack_api client, and the file routes."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import time
import uuid

import ftrack_api.symbol
import imageio_ffmpeg
import pytest
import requests

from ftrack_devserver.seed import sid

SERVER_LOCATION = ftrack_api.symbol.SERVER_LOCATION_ID


@pytest.fixture(scope="module")
def tiny_movie(tmp_path_factory):
    path = tmp_path_factory.mktemp("media") / "tiny.mov"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=24:duration=1",
         "-pix_fmt", "yuv420p", "-c:v", "libx264", str(path)],
        check=True,
    )  # fmt: skip
    return path


def _version(session, name):
    task = session.get("Task", sid("demo", "sq010", "sh010", "compositing"))
    asset = session.create("Asset", {"name": name, "parent": task["parent"],
                                     "type": session.query('AssetType where name is "Upload"').one()})  # fmt: skip
    version = session.create("AssetVersion", {"asset": asset, "task": task})
    session.commit()
    return version


def test_pre_encoded_review_route(make_session, tiny_movie, ftrack_server):
    session = make_session()
    version = _version(session, "route-b")
    server = session.query('Location where name is "ftrack.server"').one()
    component = version.create_component(str(tiny_movie), {"name": "ftrackreview-mp4"}, location=server)
    meta = {"frameIn": 0, "frameOut": 24, "frameRate": 24, "width": 64, "height": 64}
    component["metadata"]["ftr_meta"] = json.dumps(meta)
    session.commit()

    fresh = make_session()
    stored = fresh.get("FileComponent", component["id"])
    assert stored["version_id"] == version["id"] and stored["system_type"] == "file"
    assert json.loads(stored["metadata"]["ftr_meta"]) == meta
    assert stored["size"] == os.path.getsize(tiny_movie)
    locations = fresh.query(
        f"select location_id, resource_identifier from ComponentLocation where component_id is {component['id']}"
    ).all()
    assert [(cl["location_id"], cl["resource_identifier"]) for cl in locations] == [
        (SERVER_LOCATION, component["id"])
    ]
    assert [c["name"] for c in fresh.get("AssetVersion", version["id"])["components"]] == ["ftrackreview-mp4"]

    # Byte-exact download through the URL the client builds, then a Range request.
    url = server.get_url(stored)
    body = requests.get(url, timeout=30).content
    assert body == tiny_movie.read_bytes()
    ranged = requests.get(url, headers={"Range": "bytes=10-19"}, timeout=30)
    assert ranged.status_code == 206 and ranged.content == body[10:20]
    assert ranged.headers["Content-Range"] == f"bytes 10-19/{len(body)}"
    tail = requests.get(url, headers={"Range": "bytes=-5"}, timeout=30)
    assert tail.status_code == 206 and tail.content == body[-5:]
    assert requests.get(url, headers={"Range": f"bytes={len(body)}-"}, timeout=30).status_code == 416
    bad = url.replace(f"apiKey={ftrack_server.users['producer']}", "apiKey=nope")
    assert requests.get(bad, timeout=30).status_code == 401


def test_thumbnail_and_note_with_category(make_session, tiny_movie, tmp_path):
    session = make_session()
    version = _version(session, "thumb-note")
    jpeg = tmp_path / "thumb.jpg"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0 fake jpeg \xff\xd9")
    thumbnail = version.create_thumbnail(str(jpeg))
    author = session.query("User where username is producer").one()
    ana = session.query("User where username is reviewer.ana").one()
    category = session.query('NoteCategory where name is "Review"').one()
    with pytest.warns(PendingDeprecationWarning):  # the client turns a category into a label
        note = version.create_note("Ready for review", author=author, recipients=[ana], category=category)
    session.commit()

    fresh = make_session()
    again = fresh.get("AssetVersion", version["id"])
    assert again["thumbnail_id"] == thumbnail["id"]
    assert requests.get(fresh.get("Location", SERVER_LOCATION).get_url(fresh.get("FileComponent", thumbnail["id"])),
                        timeout=30).content == jpeg.read_bytes()  # fmt: skip
    stored = fresh.get("Note", note["id"])
    assert stored["parent_id"] == version["id"] and stored["parent_type"] == "AssetVersion"
    assert stored["content"] == "Ready for review"
    assert sorted(r["resource_id"] for r in stored["recipients"]) == sorted([author["id"], ana["id"]])
    labels = fresh.query(f"select label_id from NoteLabelLink where note_id is {note['id']}").all()
    assert [link["label_id"] for link in labels] == [category["id"]]
    assert fresh.get("NoteLabel", category["id"])["name"] == "Review"
    assert [n["id"] for n in again["notes"]] == [note["id"]]


def test_upload_with_wrong_md5_keeps_nothing(api, ftrack_server):
    component = str(uuid.uuid4())
    meta = api([{"action": "get_upload_metadata", "component_id": component, "file_name": "x.bin", "file_size": 3,
                 "checksum": base64.b64encode(hashlib.md5(b"abc").digest()).decode()}])[0]  # fmt: skip
    assert (
        meta["headers"]["Content-MD5"]
        and meta["headers"]["Content-Disposition"] == 'attachment; filename="x.bin"'
    )
    assert requests.put(meta["url"], data=b"abd", headers=meta["headers"], timeout=30).status_code == 400
    assert not (ftrack_server.data_dir / "files" / component).exists()
    assert [p for p in os.listdir(ftrack_server.data_dir / "files") if p.startswith(".tmp")] == []
    assert requests.put(meta["url"], data=b"abc", headers=meta["headers"], timeout=30).status_code == 200
    assert (ftrack_server.data_dir / "files" / component).read_bytes() == b"abc"
    tampered = meta["url"].replace("signature=", "signature=0")
    assert requests.put(tampered, data=b"abc", timeout=30).status_code == 403


def test_multipart_upload(api, ftrack_server):
    component = str(uuid.uuid4())
    parts = [os.urandom(100_000), os.urandom(100_000), os.urandom(1234)]
    meta = api([
        {"action": "create", "entity_type": "FileComponent", "entity_key": [component],
         "entity_data": {"__entity_type__": "FileComponent", "id": component, "name": "multi", "file_type": ".bin",
                         "size": sum(map(len, parts))}},
        {"action": "get_upload_metadata", "component_id": component, "file_name": "multi.bin",
         "file_size": sum(map(len, parts)), "parts": 3},
    ])[1]  # fmt: skip
    assert meta["component_id"] == component and len(meta["urls"]) == 3
    etags = {}
    for entry in reversed(meta["urls"]):  # order of arrival must not matter
        response = requests.put(entry["signed_url"], data=parts[entry["part_number"] - 1], timeout=30)
        assert response.status_code == 200
        etags[entry["part_number"]] = response.headers["ETag"].strip('"')
    assert etags[1] == hashlib.md5(parts[0]).hexdigest()
    done = api([
        {"action": "complete_multipart_upload", "upload_id": meta["upload_id"], "component_id": component,
         "parts": [{"part_number": n, "e_tag": etags[n]} for n in (1, 2, 3)]},
        {"action": "create", "entity_type": "ComponentLocation", "entity_key": [cl := str(uuid.uuid4())],
         "entity_data": {"__entity_type__": "ComponentLocation", "id": cl, "component_id": component,
                         "resource_identifier": component, "location_id": SERVER_LOCATION}},
    ])  # fmt: skip
    assert done[0]["component_id"] == component
    assert requests.get(done[0]["url"], timeout=30).content == b"".join(parts)
    user = ftrack_server.users["producer"]
    got = requests.get(f"{ftrack_server.url}/component/get",
                       params={"id": component, "username": "producer", "apiKey": user}, timeout=30)  # fmt: skip
    assert got.content == b"".join(parts)


def _multipart_start(api, component, size, parts):
    return api([{"action": "get_upload_metadata", "component_id": component, "file_name": "m.bin",
                 "file_size": size, "parts": parts}])[0]  # fmt: skip


def _complete(api, meta, component, etags):
    return api([{"action": "complete_multipart_upload", "upload_id": meta["upload_id"], "component_id": component,
                 "parts": [{"part_number": n, "e_tag": etags[n]} for n in sorted(etags)]}])  # fmt: skip


def test_multipart_parallel_parts_out_of_order_with_a_short_last_part(api, ftrack_server):
    from concurrent.futures import ThreadPoolExecutor

    component = str(uuid.uuid4())
    part_size, parts = 3 << 20, 5
    data = os.urandom(part_size * (parts - 1) + 12345)  # the last part is short
    meta = _multipart_start(api, component, len(data), parts)
    urls = {e["part_number"]: e["signed_url"] for e in meta["urls"]}

    def put(n):
        body = data[(n - 1) * part_size : n * part_size]
        response = requests.put(urls[n], data=body, timeout=60)
        assert response.status_code == 200, response.text
        return n, response.headers["ETag"].strip('"')

    with ThreadPoolExecutor(max_workers=parts) as pool:  # all at once, the last one first
        etags = dict(pool.map(put, [5, 3, 1, 4, 2]))
    for n in etags:
        assert etags[n] == hashlib.md5(data[(n - 1) * part_size : n * part_size]).hexdigest()  # S3 ETag
    files = ftrack_server.data_dir / "files"
    assert not (files / component).exists()  # nothing visible before completion

    wrong = {**etags, 3: hashlib.md5(b"other").hexdigest()}
    refused = _complete(api, meta, component, wrong)
    assert refused["exception"] == "ValidationError" and "Part 3" in refused["content"]
    missing = _complete(api, meta, component, {n: etags[n] for n in (1, 2, 3, 4)})
    assert missing["exception"] == "ValidationError"
    assert not (files / component).exists()

    done = _complete(api, meta, component, etags)  # the upload stayed open after the refusals
    assert done[0]["component_id"] == component
    assert requests.get(done[0]["url"], timeout=60).content == data  # byte-exact
    assert meta["upload_id"] not in os.listdir(ftrack_server.data_dir / "multipart")
    # Finished: the upload is gone, its part URLs and completion answer "unknown".
    assert requests.put(urls[1], data=data[:part_size], timeout=60).status_code == 404
    assert _complete(api, meta, component, etags)["exception"] == "ValidationError"


def test_multipart_part_of_the_wrong_size_is_refused(api, ftrack_server):
    component = str(uuid.uuid4())
    meta = _multipart_start(api, component, 1000, 2)
    urls = {e["part_number"]: e["signed_url"] for e in meta["urls"]}
    # Part 1 of 1001 bytes would not fit; part 2 (the last) sits at the end of the file.
    assert requests.put(urls[1], data=b"x" * 1001, timeout=30).status_code == 400
    etags = {}
    for n, body in ((1, b"a" * 600), (2, b"b" * 300)):  # 600 + 300 leaves a gap before part 2
        response = requests.put(urls[n], data=body, timeout=30)
        assert response.status_code == 200
        etags[n] = response.headers["ETag"].strip('"')
    refused = _complete(api, meta, component, etags)
    assert refused["exception"] == "ValidationError" and "part sizes" in refused["content"]
    response = requests.put(urls[2], data=b"b" * 400, timeout=30)  # retried with the right size
    etags[2] = response.headers["ETag"].strip('"')
    done = _complete(api, meta, component, etags)
    assert requests.get(done[0]["url"], timeout=30).content == b"a" * 600 + b"b" * 400


def test_multipart_failed_call_keeps_the_upload_open(api, ftrack_server):
    component = str(uuid.uuid4())
    meta = _multipart_start(api, component, 10, 1)
    response = requests.put(meta["urls"][0]["signed_url"], data=b"0123456789", timeout=30)
    etags = {1: response.headers["ETag"].strip('"')}
    failed = api([{"action": "complete_multipart_upload", "upload_id": meta["upload_id"], "component_id": component,
                   "parts": [{"part_number": 1, "e_tag": etags[1]}]},
                  {"action": "no_such_action"}])  # fmt: skip
    assert failed["exception"] == "UnknownActionError"
    assert not (ftrack_server.data_dir / "files" / component).exists()
    done = _complete(api, meta, component, etags)
    assert requests.get(done[0]["url"], timeout=30).content == b"0123456789"


def test_component_remove(make_session, tmp_path):
    session = make_session()
    source = tmp_path / "r.bin"
    source.write_bytes(b"remove me")
    server = session.get("Location", SERVER_LOCATION)
    component = session.create_component(str(source), location=server)
    url = server.get_url(component)
    assert requests.get(url, timeout=30).content == b"remove me"
    server.remove_component(component)
    assert requests.get(url, timeout=30).status_code == 404


def test_encode_media_produces_playable_outputs(make_session, tiny_movie):
    session = make_session()
    version = _version(session, "route-a")
    job = version.encode_media(str(tiny_movie))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = make_session().get("Job", job["id"])["status"]
        if status in ("done", "failed"):
            break
        time.sleep(0.2)  # polling the job status, as producers' tools do
    fresh = make_session()
    stored = fresh.get("Job", job["id"])
    data = json.loads(stored["data"])
    assert stored["status"] == "done", data
    assert {o["format"] for o in data["output"]} == {"video/mp4", "image/jpeg"}
    assert data["source_component_id"] and data["keep_original"] is False
    again = fresh.get("AssetVersion", version["id"])
    names = {c["name"] for c in again["components"]}
    assert {"ftrackreview-mp4", "ftrackreview-image"} <= names
    mp4 = next(c for c in again["components"] if c["name"] == "ftrackreview-mp4")
    meta = json.loads(mp4["metadata"]["ftr_meta"])
    assert meta["width"] == 64 and meta["frameRate"] == 24
    assert again["thumbnail_id"] in {o["component_id"] for o in data["output"]}
    links = fresh.query(f"select component_id from JobComponent where job_id is {job['id']}").all()
    assert len(links) == 2
