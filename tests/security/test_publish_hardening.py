"""A full publish with hostile text, watched for key leaks and for markup that comes alive.

A real Celery worker (logging at DEBUG) publishes a movie whose asset name, file name and comment
hold stored-XSS payloads, to the ftrack dev server. Then:

* the ftrack Note holds the comment as plain text, and the dev server's review page escapes it;
* the email (HTML and text parts, caught by an SMTP sink) and the portal's pages show it inert;
* neither the worker's output, nor the test process's logs at DEBUG, nor any link on the job page,
  contain the producer's ftrack API key.
"""

from __future__ import annotations

import re

import pytest
import requests
from django.urls import reverse
from factories import make_movie
from pipeline_support import admin_session, ready_upload, submit, task_id, user_id, wait_for_jobs
from xss_payloads import BREAKOUT, RAW, SCRIPT, assert_inert

from ftrack_devserver.seed import DEMO_USERS

pytestmark = pytest.mark.slow

KEY = DEMO_USERS["producer"]


def test_hostile_publish_stays_inert_and_leaks_no_key(
    producer, pipeline, ftrack_server, tmp_path, client_for, all_logs
):
    from ftrack_support import give_credential

    credential = give_credential(producer, "producer")
    ftrack = admin_session(ftrack_server)
    try:
        movie = ready_upload(producer, make_movie(tmp_path / "plate.mov"), filename=f"{BREAKOUT}.mov")
        comment = f"Looks good {BREAKOUT} {SCRIPT}"
        batch = submit(
            producer,
            task_id(ftrack),
            [{"kind": "movie", "asset_name": f"plate{SCRIPT}", "upload_ids": [str(movie.pk)]}],
            reviewers=[user_id(ftrack, "reviewer.ana")],
            comment=comment,
        )
        (job,) = wait_for_jobs(batch, worker=pipeline["worker"])
        assert job.status == "published", job.error_message

        # ftrack: the note is the text as written, nothing converted, nothing stripped.
        note = ftrack.query(f'select content from Note where id is "{job.ftrack_note_id}"').one()
        assert comment in note["content"] and f"plate{SCRIPT}" in note["content"]
    finally:
        ftrack.close()

    # The dev server's review page, as the reviewer sees it, shows the note and asset escaped.
    reviewer = requests.Session()
    login = reviewer.post(
        f"{ftrack_server.url}/review/login",
        data={"username": "reviewer.ana", "api_key": DEMO_USERS["reviewer.ana"]},
        timeout=10,
    )
    assert login.status_code == 200, login.text[:300]
    review = reviewer.get(f"{ftrack_server.url}/review/version/{job.ftrack_version_id}", timeout=10)
    assert review.status_code == 200
    assert "Looks good" in review.text
    assert_inert(review.text, "the ftrack review page")

    # The email: HTML part escaped, text part as written (plain text is never interpreted).
    ((_recipients, raw_mail),) = pipeline["smtp"].messages
    html_part = raw_mail[raw_mail.index("text/html") :]
    text_part = raw_mail[: raw_mail.index("text/html")]
    assert_inert(_decoded(html_part), "the HTML email")
    assert SCRIPT in _decoded(text_part)

    # The portal's pages, now with real pipeline data.
    client = client_for(producer)
    for name, url in {
        "job detail": reverse("publishing:job", args=[job.pk]),
        "batch detail": reverse("publishing:batch", args=[batch.pk]),
        "dashboard": reverse("publishing:dashboard"),
    }.items():
        html = client.get(url).content.decode()
        assert_inert(html, name)
        links = re.findall(r'(?:href|src|action)="([^"]*)"', html)
        assert links and not [link for link in links if KEY in link or "apiKey" in link], (name, links)
        assert KEY not in html and credential.api_key_encrypted not in html

    # Logs: the worker's whole output (DEBUG, ftrack_api and urllib3 included) and this process's.
    worker_output = pipeline["worker"].text()
    assert "ftrack_api" in worker_output or "urllib3" in worker_output  # DEBUG really was on
    assert KEY not in worker_output
    assert credential.api_key_encrypted not in worker_output
    logs = all_logs()
    assert KEY not in logs and credential.api_key_encrypted not in logs
    for raw in RAW:
        # Log lines are text, not HTML: the payload may be there, but never the key beside it.
        assert raw not in logs or KEY not in logs


def _decoded(mime_part: str) -> str:
    """The body of a MIME part as text (quoted-printable or base64 as Django chose)."""
    import base64
    import quopri

    head, _, body = mime_part.partition("\n\n")
    if "\r\n\r\n" in mime_part and len(mime_part.partition("\r\n\r\n")[0]) < len(head):
        head, _, body = mime_part.partition("\r\n\r\n")
    body = body.split("\n--=", 1)[0]
    if "base64" in head.lower():
        try:
            return base64.b64decode("".join(body.split())).decode("utf-8", "replace")
        except ValueError:
            return body
    if "quoted-printable" in head.lower():
        return quopri.decodestring(body.encode()).decode("utf-8", "replace")
    return body
