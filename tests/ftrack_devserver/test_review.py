"""The review page in a real HTTP server, against a stand-in for the dev server's app.

The app (authenticate / run_query / component_path) belongs to the core server; here a small
stub answers the few queries the page makes, so the page's own behaviour can be checked:
login, sessions, escaping, notes, the video element and Range requests on media.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from ftrack_devserver import review

XSS_COMMENT = "<script>alert('comment')</script> & more"
XSS_NOTE = '<img src=x onerror="alert(1)">'
MOVIE_BYTES = b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 8  # 2060 bytes, an MP4 by its magic


def _user(uid, username, first="", last=""):
    return {
        "__entity_type__": "User",
        "id": uid,
        "username": username,
        "first_name": first,
        "last_name": last,
    }


class StubApp:
    """Answers the page's queries from a fixed data set; records who asked what."""

    server_url = "http://devserver.test"

    def __init__(self, media_dir):
        self.queries: list[tuple[str, str]] = []
        self.files = {"c-mp4": media_dir / "c-mp4", "c-thumb": media_dir / "c-thumb.jpg"}
        self.files["c-mp4"].write_bytes(MOVIE_BYTES)  # no extension: the page must sniff the type
        self.files["c-thumb"].write_bytes(b"\xff\xd8\xff\xe0 jpeg")
        ana = _user("u-ana", "reviewer.ana", "Ana", "Silva")
        self.versions = [
            {
                "__entity_type__": "AssetVersion", "id": "v-old", "version": 1, "comment": XSS_COMMENT,
                "date": {"__type__": "datetime", "value": "2026-11-01T09:00:00"},
                "asset": {"__entity_type__": "Asset", "id": "a1", "name": "sh010_comp"},
                "user": _user("u-prod", "producer"), "thumbnail_id": None,
                "status": {"__entity_type__": "Status", "id": "s1", "name": "Pending review"},
                "components": [],
            },
            {
                "__entity_type__": "AssetVersion", "id": "v-new", "version": 2, "comment": "Final grade",
                "date": {"__type__": "datetime", "value": "2026-11-02T10:30:00"},
                "asset": {"__entity_type__": "Asset", "id": "a1"},  # normalised: sent in full once
                "user": {"__entity_type__": "User", "id": "u-prod"},
                "thumbnail_id": "c-thumb",
                "status": {"__entity_type__": "Status", "id": "s2", "name": "Approved"},
                "components": [
                    {"__entity_type__": "FileComponent", "id": "c-main", "name": "main"},
                    {"__entity_type__": "FileComponent", "id": "c-mp4", "name": "ftrackreview-mp4"},
                ],
            },
        ]  # fmt: skip
        self.notes = [
            {"__entity_type__": "Note", "id": "n1", "content": XSS_NOTE, "parent_id": "v-new",
             "user_id": "u-prod", "date": {"__type__": "datetime", "value": "2026-11-02T11:00:00"}},
        ]  # fmt: skip
        self.recipients = [
            {"__entity_type__": "Recipient", "note_id": "n1", "resource_id": "u-ana"},
            {"__entity_type__": "Recipient", "note_id": "n1", "resource_id": "u-prod"},
        ]
        self.users = [ana, _user("u-prod", "producer")]

    def authenticate(self, username, api_key):
        return (username, api_key) == ("producer", "demo-key-producer")

    def run_query(self, expression, username):
        self.queries.append((expression, username))
        entity_type = re.search(r" from (\w+)", expression).group(1)
        ids = re.findall(r'"([^"]+)"', expression)
        if entity_type == "AssetVersion":
            rows = sorted(self.versions, key=lambda v: v["date"]["value"], reverse="descending" in expression)
            return [v for v in rows if not ids or v["id"] in ids]
        table = {
            "Note": (self.notes, "parent_id"),
            "Recipient": (self.recipients, "note_id"),
            "User": (self.users, "id"),
        }
        rows, key = table[entity_type]
        return [row for row in rows if row[key] in ids]

    def component_path(self, component_id, username):
        path = self.files.get(component_id)
        return str(path) if path and username == "producer" else None


@pytest.fixture
def site(tmp_path):
    app = StubApp(tmp_path)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _route(self):
            if self.path.startswith("/review"):
                review.handle(self, app)
            else:
                self.send_error(404)

        do_GET = do_POST = do_HEAD = _route

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    app.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield app
    httpd.shutdown()
    httpd.server_close()


def _logged_in(site) -> requests.Session:
    browser = requests.Session()
    response = browser.post(
        site.url + "/review/login", data={"username": "producer", "api_key": "demo-key-producer"}
    )
    assert response.status_code == 200 and response.url == site.url + "/review/"
    return browser


def test_pages_and_media_require_login(site):
    for path in ("/review/", "/review/version/v-new"):
        response = requests.get(site.url + path, allow_redirects=False)
        assert response.status_code == 303 and response.headers["Location"] == "/review/login"
    assert requests.get(site.url + "/review/media/c-mp4").status_code == 401
    assert requests.get(site.url + "/review", allow_redirects=False).headers["Location"] == "/review/"
    assert site.queries == []


def test_bad_key_is_refused_without_echoing_it(site):
    response = requests.post(
        site.url + "/review/login",
        data={"username": '"><b>producer', "api_key": "guessed-key-123"},
        allow_redirects=False,
    )
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers
    assert "guessed-key-123" not in response.text
    assert 'value="&quot;&gt;&lt;b&gt;producer"' in response.text
    assert "not accepted" in response.text


def test_login_sets_a_private_session_cookie_and_never_shows_the_key(site):
    response = requests.post(
        site.url + "/review/login",
        data={"username": "producer", "api_key": "demo-key-producer"},
        allow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["Location"] == "/review/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("review_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "demo-key-producer" not in cookie + response.headers["Location"]
    page = requests.get(site.url + "/review/", cookies=response.cookies)
    assert page.status_code == 200 and "demo-key-producer" not in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_versions_newest_first_with_status_author_notes_and_recipients(site):
    page = _logged_in(site).get(site.url + "/review/").text
    assert page.index('data-version-id="v-new"') < page.index('data-version-id="v-old"')
    assert "sh010_comp v2" in page and "sh010_comp v1" in page  # asset resolved from a bare reference
    assert "Approved" in page and "Pending review" in page
    assert page.count("producer") >= 3  # author of both versions, resolved from a bare reference too
    assert "to Ana Silva, producer" in page
    assert 'src="/review/media/c-thumb"' in page
    assert all(user == "producer" for _, user in site.queries)  # visibility is the logged-in user's
    assert any("order by date descending" in q for q, _ in site.queries)


def test_comments_and_notes_are_escaped(site):
    page = _logged_in(site).get(site.url + "/review/").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;comment&#x27;)&lt;/script&gt; &amp; more" in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_version_page_plays_the_review_mp4(site):
    browser = _logged_in(site)
    page = browser.get(site.url + "/review/version/v-new").text
    assert re.search(r'<video class="player" controls[^>]*poster="/review/media/c-thumb"', page)
    assert '<source src="/review/media/c-mp4" type="video/mp4">' in page
    assert "Final grade" in page
    old = browser.get(site.url + "/review/version/v-old").text
    assert "<video" not in old and "no reviewable media" in old


def test_unknown_or_malformed_version_is_not_found_and_not_queried(site):
    browser = _logged_in(site)
    site.queries.clear()
    assert browser.get(site.url + "/review/version/nope").status_code == 404
    assert browser.get(site.url + '/review/version/x"%20or%20id%20like%20"%25').status_code == 404
    assert all('"x"' not in q and "like" not in q for q, _ in site.queries)


def test_media_supports_ranges_for_seeking(site):
    browser = _logged_in(site)
    url = site.url + "/review/media/c-mp4"
    full = browser.get(url)
    assert full.status_code == 200 and full.content == MOVIE_BYTES
    assert full.headers["Content-Type"] == "video/mp4" and full.headers["Accept-Ranges"] == "bytes"
    size = len(MOVIE_BYTES)
    cases = {"bytes=10-19": (10, 19), "bytes=2000-": (2000, size - 1), "bytes=-5": (size - 5, size - 1)}
    for header, (start, end) in cases.items():
        part = browser.get(url, headers={"Range": header})
        assert part.status_code == 206, header
        assert part.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
        assert part.content == MOVIE_BYTES[start : end + 1]
    too_far = browser.get(url, headers={"Range": f"bytes={size}-"})
    assert too_far.status_code == 416 and too_far.headers["Content-Range"] == f"bytes */{size}"
    head = browser.head(url)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(size) and not head.content
    thumb = browser.get(site.url + "/review/media/c-thumb")
    assert thumb.headers["Content-Type"] == "image/jpeg"


def test_media_the_user_cannot_see_is_not_found(site):
    browser = _logged_in(site)
    assert browser.get(site.url + "/review/media/c-secret").status_code == 404
    assert browser.get(site.url + "/review/media/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_logout_ends_the_session_and_refuses_cross_site_posts(site):
    browser = _logged_in(site)
    refused = browser.post(site.url + "/review/logout", headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403
    assert browser.get(site.url + "/review/").url == site.url + "/review/"
    token = browser.cookies["review_session"]
    browser.post(site.url + "/review/logout")
    stale = requests.get(site.url + "/review/", cookies={"review_session": token}, allow_redirects=False)
    assert stale.status_code == 303
    forged = requests.get(site.url + "/review/", cookies={"review_session": "forged"}, allow_redirects=False)
    assert forged.status_code == 303


@pytest.mark.browser
def test_chromium_logs_in_and_plays_the_encoded_movie(site, tmp_path, page):
    from ftrack_devserver import encoder

    movie = tmp_path / "src.mov"
    subprocess.run(
        [encoder.ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=25:duration=1",
         "-c:v", "mpeg4", str(movie)],
        check=True,
    )  # fmt: skip
    result = encoder.encode(str(movie), str(tmp_path / "out"))
    site.files["c-mp4"].write_bytes(open(result.mp4_path, "rb").read())
    page.goto(site.url + "/review/")
    page.fill("#username", "producer")
    page.fill("#api_key", "demo-key-producer")
    page.click("button:has-text('Log in')")
    page.click("text=sh010_comp v2")
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && (v.readyState >= 2 || v.error); }"
    )
    state = page.evaluate(
        "() => { const v = document.querySelector('video');"
        " return {ready: v.readyState, error: v.error && v.error.code, width: v.videoWidth} }"
    )
    assert state == {"ready": state["ready"], "error": None, "width": 64} and state["ready"] >= 2
    assert "demo-key-producer" not in page.content()


# -- end to end: publish with ftrack_api, review through the dev server --------------------------


def _publish(session, project, asset_name, movie, comment):
    """Route A publish: a version on the compositing task of sh010 (or sh900) with an encoded movie."""
    shot = "sh900" if project == "secret" else "sh010"
    task = session.query(f'Task where name is "compositing" and parent.name is "{shot}"').first()
    asset_type = session.query('AssetType where name is "Upload"').first()
    asset = session.create("Asset", {"name": asset_name, "parent": task["parent"], "type": asset_type})
    version = session.create("AssetVersion", {"asset": asset, "task": task, "comment": comment})
    session.commit()
    job = version.encode_media(movie)
    deadline = time.monotonic() + 60
    while session.query(f'select status from Job where id is "{job["id"]}"').one()["status"] != "done":
        assert time.monotonic() < deadline, "encode job did not finish"
        time.sleep(0.1)
    return version


@pytest.fixture(scope="module")
def movie(tmp_path_factory):
    from ftrack_devserver import encoder

    path = tmp_path_factory.mktemp("movie") / "shot.mov"
    subprocess.run(
        [encoder.ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=25:duration=1",
         "-c:v", "mpeg4", str(path)],
        check=True,
    )  # fmt: skip
    return str(path)


def _review_login(server, user) -> requests.Session:
    browser = requests.Session()
    response = browser.post(
        server.url + "/review/login", data={"username": user, "api_key": server.users[user]}
    )
    assert response.status_code == 200 and response.url == server.url + "/review/"
    return browser


def test_devserver_review_page_shows_published_version_notes_and_plays_it(ftrack_server, make_session, movie):
    producer = make_session("producer")
    version = _publish(producer, "demo", "review-e2e", movie, XSS_COMMENT)
    ana = producer.query('User where username is "reviewer.ana"').one()
    me = producer.query('User where username is "producer"').one()
    version.create_note(XSS_NOTE, author=me, recipients=[ana])
    producer.commit()

    browser = _review_login(ftrack_server, "producer")
    listing = browser.get(ftrack_server.url + "/review/").text
    assert f'data-version-id="{version["id"]}"' in listing
    assert "<script>alert" not in listing and "<img src=x" not in listing
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in listing
    assert "sq010 / sh010 / compositing" in listing
    assert "reviewer.ana" in listing or "Ana" in listing

    page = browser.get(ftrack_server.url + f"/review/version/{version['id']}").text
    source = re.search(r'<source src="(/review/media/[^"]+)" type="video/mp4">', page)
    assert source and "<video" in page
    part = browser.get(ftrack_server.url + source.group(1), headers={"Range": "bytes=0-11"})
    assert part.status_code == 206 and part.content[4:8] == b"ftyp"
    assert part.headers["Content-Type"] == "video/mp4"
    assert ftrack_server.users["producer"] not in listing + page


def test_devserver_review_page_hides_private_projects(ftrack_server, make_session, movie):
    coordinator = make_session("coordinator")
    secret = _publish(coordinator, "secret", "review-secret", movie, "private cut")
    assert (
        secret["id"] in _review_login(ftrack_server, "coordinator").get(ftrack_server.url + "/review/").text
    )
    browser = _review_login(ftrack_server, "producer")
    assert secret["id"] not in browser.get(ftrack_server.url + "/review/").text
    assert browser.get(ftrack_server.url + f"/review/version/{secret['id']}").status_code == 404
    secret_mp4 = coordinator.query(
        f'FileComponent where version_id is "{secret["id"]}" and name is "ftrackreview-mp4"'
    ).one()
    assert browser.get(ftrack_server.url + f"/review/media/{secret_mp4['id']}").status_code == 404
