"""The tus body read straight from gunicorn's socket (publishing/uploads/tus_body.py).

First against gunicorn's own parser on a real socket, to pin down the part that can go wrong: the
bytes gunicorn already buffered are used, nothing beyond the body is taken, and a kept-alive
connection still finds the next request. Then end to end: the portal under gunicorn (gthread, as
in the Dockerfile) takes a tus upload over one kept-alive connection, refuses a chunk with a bad
checksum (460) and resumes, and ends with the file's MD5.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.handlers.wsgi import WSGIRequest
from gunicorn.config import Config
from gunicorn.http import wsgi as gunicorn_wsgi
from gunicorn.http.parser import RequestParser

from publishing.uploads import stream as upload_stream
from publishing.uploads import tus_body

REPO = Path(__file__).resolve().parents[2]


def _request_bytes(path: str, body: bytes) -> bytes:
    head = f"PATCH {path} HTTP/1.1\r\nHost: portal\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def _gunicorn_request(server_sock, parser):
    req = next(parser)
    _response, environ = gunicorn_wsgi.create(req, server_sock, ("127.0.0.1", 1), ("127.0.0.1", 2), Config())
    return req, WSGIRequest(environ)


@pytest.fixture
def connection():
    client, server = socket.socketpair()
    yield client, server
    client.close()
    server.close()


def test_body_comes_from_the_socket_and_the_next_request_still_parses(connection, tmp_path):
    client, server = connection
    body = os.urandom(3 * 1024 * 1024 + 17)
    # Headers, the first bytes of the body and (later) a pipelined second request.
    client.sendall(_request_bytes("/api/uploads/a", body)[:70_000])
    parser = RequestParser(Config(), server, ("127.0.0.1", 1))
    req, request = _gunicorn_request(server, parser)
    source = tus_body.body_source(request)
    assert isinstance(source, tus_body.GunicornBody)

    rest = _request_bytes("/api/uploads/a", body)[70_000:] + _request_bytes("/next", b"tail")
    sender = threading.Thread(target=client.sendall, args=(rest,))
    sender.start()
    target = tmp_path / "partial"
    target.write_bytes(b"")
    md5 = hashlib.md5()
    written = upload_stream.stream_into_file(target, offset=0, length=len(body), source=source, hashes=[md5])

    sender.join()
    assert written == len(body) and target.read_bytes() == body
    assert md5.digest() == hashlib.md5(body).digest()
    assert req.body.failed is False
    follower, follower_request = _gunicorn_request(server, parser)
    assert follower.path == "/next" and follower_request.read() == b"tail"


def test_a_client_that_goes_away_leaves_what_arrived_and_closes_the_connection(connection, tmp_path):
    client, server = connection
    body = os.urandom(2 * 1024 * 1024)

    def send_half_and_leave():
        client.sendall(_request_bytes("/api/uploads/a", body)[: 1024 * 1024])
        client.shutdown(socket.SHUT_WR)

    sender = threading.Thread(target=send_half_and_leave)
    sender.start()
    req, request = _gunicorn_request(server, RequestParser(Config(), server, ("127.0.0.1", 1)))
    target = tmp_path / "partial"
    target.write_bytes(b"old bytes past the offset")
    arrived = 1024 * 1024 - (len(_request_bytes("/api/uploads/a", body)) - len(body))
    md5 = hashlib.md5()
    written = upload_stream.stream_into_file(
        target, offset=0, length=len(body), source=tus_body.body_source(request), hashes=[md5]
    )
    sender.join()
    assert written == arrived and target.read_bytes() == body[:arrived]
    assert md5.digest() == hashlib.md5(body[:arrived]).digest()
    # gunicorn must not look for another request on this connection.
    assert req.body.failed is True


def test_a_body_someone_started_reading_is_left_to_django(connection):
    client, server = connection
    client.sendall(_request_bytes("/api/uploads/a", b"0123456789"))
    _req, request = _gunicorn_request(server, RequestParser(Config(), server, ("127.0.0.1", 1)))
    assert request.read(4) == b"0123"
    assert tus_body.body_source(request) is request


# --- end to end under gunicorn --------------------------------------------------------------------
@pytest.fixture(scope="module")
def gunicorn_portal(tmp_path_factory):
    from cryptography.fernet import Fernet

    work = tmp_path_factory.mktemp("gunicorn-portal")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "STAGING_S3_BUCKET")}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="false",
        SECRET_KEY=base64.b64encode(os.urandom(40)).decode(),
        CREDENTIAL_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        DATABASE_URL=f"sqlite:///{work}/db.sqlite3",
        UPLOAD_PARTIAL_DIR=f"{work}/partial",
        STAGING_DIR=f"{work}/staging",
        LOG_LEVEL="WARNING",
    )
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True)
    make_producer = (
        "from django.contrib.auth.models import Group, User;"
        "from rest_framework.authtoken.models import Token;"
        "u = User.objects.create_user('gunicorn.producer');"
        "u.groups.add(Group.objects.get(name='producer'));"
        "print(Token.objects.create(user=u).key)"
    )
    token = subprocess.run(
        [python, "manage.py", "shell", "-c", make_producer],
        cwd=REPO, env=env, check=True, capture_output=True, text=True,
    ).stdout.split()[-1]  # fmt: skip
    log_path = work / "gunicorn.log"
    log_path.touch()
    command = [os.path.join(os.path.dirname(python), "gunicorn"), "portal.wsgi", "-b", "127.0.0.1:0",
               "-w", "1", "--worker-class", "gthread", "--threads", "2", "--log-file", str(log_path)]  # fmt: skip
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        url = None
        while url is None:
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log_path.read_text())
            url = found.group(1) if found else time.sleep(0.05)
        yield url, token, work
    finally:
        proc.terminate()
        proc.wait(30)


def _send(conn, method, path, headers, body=b""):
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response, response.read()


def test_tus_upload_over_one_kept_alive_gunicorn_connection(gunicorn_portal):
    url, token, work = gunicorn_portal
    data = os.urandom(5 * 1024 * 1024 + 3)
    first, second = data[: 3 * 1024 * 1024], data[3 * 1024 * 1024 :]
    auth = {"Tus-Resumable": "1.0.0", "Authorization": f"Token {token}"}
    octets = {**auth, "Content-Type": "application/offset+octet-stream"}
    conn = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=60)
    meta = "filename " + base64.b64encode(b"plate.mov").decode()

    # creation-with-upload: the first part rides on the POST.
    response, _ = _send(conn, "POST", "/api/uploads/", {**octets, "Upload-Length": str(len(data)),
                                                        "Upload-Metadata": meta}, first)  # fmt: skip
    assert response.status == 201 and response.headers["Upload-Offset"] == str(len(first))
    location = urlsplit(response.headers["Location"]).path

    wrong = "md5 " + base64.b64encode(hashlib.md5(b"not this").digest()).decode()
    response, _ = _send(conn, "PATCH", location, {**octets, "Upload-Offset": str(len(first)),
                                                  "Upload-Checksum": wrong}, second)  # fmt: skip
    assert response.status == 460
    right = "md5 " + base64.b64encode(hashlib.md5(second).digest()).decode()
    response, _ = _send(conn, "PATCH", location, {**octets, "Upload-Offset": str(len(first)),
                                                  "Upload-Checksum": right}, second)  # fmt: skip
    assert response.status == 204 and response.headers["Upload-Offset"] == str(len(data))

    response, body = _send(conn, "GET", location, {"Authorization": f"Token {token}"})
    conn.close()
    assert response.status == 200
    state = json.loads(body)
    assert state["offset"] == len(data)
    assert state["md5"] == base64.b64encode(hashlib.md5(data).digest()).decode()
    staged = list((work / "staging").rglob("*.mov"))
    assert len(staged) == 1 and staged[0].read_bytes() == data
