"""tus 1.0.0 resumable upload endpoint (https://tus.io/protocols/resumable-upload).

Extensions: creation, creation-with-upload, termination, checksum (md5, sha1), expiration.
`/api/uploads/` takes OPTIONS and POST (create); `/api/uploads/<uuid>` takes HEAD (offset), PATCH
(append), DELETE (terminate) and, outside tus, GET (JSON state for the pages: probe, expiry...).

Plain Django views rather than DRF: a PATCH body is streamed to disk straight from the request
(under gunicorn from the socket itself, see tus_body.py), and nothing here may ever touch
`request.body` or `request.POST`.

Who may do what: the browser authenticates with its session cookie (and a CSRF token on writes),
scripts with `Authorization: Token <key>`. Creating needs a portal role; an upload belongs to its
creator and is invisible (404) to everyone else.
"""

from __future__ import annotations

import base64
import binascii
import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from publishing.core import roles
from publishing.uploads import services as service
from publishing.uploads import tus_body

log = logging.getLogger(__name__)

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,termination,checksum,expiration"
OFFSET_OCTET_STREAM = "application/offset+octet-stream"


# --- responses ------------------------------------------------------------------------------------
def _response(status: int, message: str = "", **headers: str) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _refused(exc: service.UploadRefused) -> HttpResponse:
    return _response(exc.status, exc.message)


def _expiry_headers(upload) -> dict[str, str]:
    if upload.expires_at and upload.state == upload.State.RECEIVING:
        return {"Upload_Expires": http_date(upload.expires_at.timestamp())}
    return {}


def _options() -> HttpResponse:
    return _response(
        204,
        Tus_Version=TUS_VERSION,
        Tus_Extension=TUS_EXTENSIONS,
        Tus_Max_Size=str(settings.MAX_UPLOAD_SIZE),
        Tus_Checksum_Algorithm=",".join(service.CHECKSUM_ALGORITHMS),
    )


# --- request parsing ------------------------------------------------------------------------------
class _BadRequest(Exception):
    pass


def _method(request) -> str:
    # tus lets clients behind proxies that block PATCH/DELETE send POST with an override header.
    override = request.headers.get("X-HTTP-Method-Override", "")
    if request.method == "POST" and override.upper() in ("PATCH", "DELETE", "HEAD"):
        return override.upper()
    return request.method


def _int_header(request, name: str) -> int:
    raw = request.headers.get(name)
    if raw is None:
        raise _BadRequest(f"The {name} header is required.")
    if not raw.strip().isdigit():
        raise _BadRequest(f"The {name} header must be a non-negative whole number.")
    return int(raw)


def _content_length(request) -> int:
    raw = request.META.get("CONTENT_LENGTH") or "0"
    if not raw.isdigit():
        raise _BadRequest("Content-Length must be a non-negative whole number.")
    return int(raw)


def _metadata(request) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64value` pairs (the value may be absent)."""
    header = request.headers.get("Upload-Metadata", "")
    result: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, encoded = pair.partition(" ")
        try:
            value = base64.b64decode(encoded.strip(), validate=True).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            raise _BadRequest(f"Upload-Metadata value for {key!r} is not valid base64.")
        result[key] = value
    return result


def _checksum(request) -> tuple[str, bytes] | None:
    header = request.headers.get("Upload-Checksum")
    if not header:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in service.CHECKSUM_ALGORITHMS:
        raise _BadRequest(
            f"Checksum algorithm {algorithm!r} is not supported; use one of "
            f"{', '.join(service.CHECKSUM_ALGORITHMS)}."
        )
    try:
        return algorithm, base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise _BadRequest("Upload-Checksum must be '<algorithm> <base64 digest>'.")


def _chunk(request, *, offset: int) -> service.Chunk:
    return service.Chunk(
        offset=offset,
        length=_content_length(request),
        stream=tus_body.body_source(request),
        checksum=_checksum(request),
    )


# --- authentication -------------------------------------------------------------------------------
class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def _authenticate(request):
    """Returns (user, None) or (None, refusal response)."""
    if get_authorization_header(request).lower().split()[:1] == [b"token"]:
        try:
            user, _token = TokenAuthentication().authenticate(request)
        except AuthenticationFailed as exc:
            return None, _response(401, str(exc.detail), WWW_Authenticate="Token")
        return user, None
    user = request.user
    if not user.is_authenticated:
        return None, _response(
            401,
            "Log in to upload, or send 'Authorization: Token <key>' from a script.",
            WWW_Authenticate="Token",
        )
    # Cookie authentication is ambient, so writes must prove they come from our own pages.
    check = _CsrfCheck(lambda req: None)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        return None, _response(403, f"CSRF check failed ({reason}). Reload the page and try again.")
    return user, None


def _tus_version_ok(request) -> bool:
    return request.headers.get("Tus-Resumable") == TUS_VERSION


def _wrong_version() -> HttpResponse:
    return _response(
        412,
        f"This server speaks tus {TUS_VERSION}; send 'Tus-Resumable: {TUS_VERSION}'.",
        Tus_Version=TUS_VERSION,
    )


# --- views ----------------------------------------------------------------------------------------
@csrf_exempt
def collection(request):
    method = _method(request)
    if method == "OPTIONS":
        return _options()
    if method != "POST":
        return _response(405, "Use POST to create an upload.", Allow="OPTIONS, POST")
    if not _tus_version_ok(request):
        return _wrong_version()
    user, refusal = _authenticate(request)
    if refusal:
        return refusal
    if not roles.is_producer(user):
        return _response(403, "Your account has no portal role yet; ask an admin to make you a producer.")
    if not roles.can_upload(user):
        return _response(
            403, "Only producers upload media. Coordinators follow every publish from the publishes list."
        )
    try:
        if "Upload-Defer-Length" in request.headers:
            raise _BadRequest("Deferred upload length is not supported; send Upload-Length.")
        size = _int_header(request, "Upload-Length")
        body_length = _content_length(request)
        if body_length and request.content_type != OFFSET_OCTET_STREAM:
            return _response(415, f"A request body must have Content-Type: {OFFSET_OCTET_STREAM}.")
        chunk = _chunk(request, offset=0) if body_length else None
        upload = service.upload_create(owner=user, size=size, metadata=_metadata(request))
    except _BadRequest as exc:
        return _response(400, str(exc))
    except service.UploadRefused as exc:
        return _refused(exc)

    headers = {"Location": request.build_absolute_uri(reverse("tus:resource", args=[upload.id]))}
    if chunk is not None:
        # creation-with-upload: whatever part of the body was accepted is reported in Upload-Offset;
        # a refused body (bad checksum, too long) still leaves a created upload to PATCH into.
        try:
            upload = service.upload_receive(upload=upload, chunk=chunk)
        except service.UploadRefused as exc:
            log.info("creation-with-upload body of %s refused: %s", upload.id, exc.message)
            upload.refresh_from_db()
        headers["Upload_Offset"] = str(upload.offset)
    headers.update(_expiry_headers(upload))
    return _response(201, **headers)


@csrf_exempt
def resource(request, upload_id):
    method = _method(request)
    if method == "OPTIONS":
        return _options()
    if method not in ("HEAD", "PATCH", "DELETE", "GET"):
        return _response(
            405, "Use HEAD, PATCH or DELETE on an upload.", Allow="OPTIONS, HEAD, PATCH, DELETE, GET"
        )
    if method != "GET" and not _tus_version_ok(request):
        return _wrong_version()
    user, refusal = _authenticate(request)
    if refusal:
        return refusal
    try:
        upload = service.upload_for_owner(upload_id=upload_id, owner=user)
        if method == "HEAD":
            return _head(upload)
        if method == "GET":
            return JsonResponse(upload_as_json(upload), headers={"Cache-Control": "no-store"})
        if method == "DELETE":
            service.upload_terminate(upload=upload)
            return _response(204)
        return _patch(request, upload)
    except _BadRequest as exc:
        return _response(400, str(exc))
    except service.UploadRefused as exc:
        return _refused(exc)


def _head(upload) -> HttpResponse:
    # HEAD responses carry no body: the status says it all.
    return _response(
        200, Upload_Offset=str(upload.offset), Upload_Length=str(upload.size), **_expiry_headers(upload)
    )


def _patch(request, upload) -> HttpResponse:
    if request.content_type != OFFSET_OCTET_STREAM:
        return _response(415, f"PATCH requests must have Content-Type: {OFFSET_OCTET_STREAM}.")
    offset = _int_header(request, "Upload-Offset")
    upload = service.upload_receive(upload=upload, chunk=_chunk(request, offset=offset))
    return _response(204, Upload_Offset=str(upload.offset), **_expiry_headers(upload))


def upload_as_json(upload) -> dict:
    """What the pages and scripts may know about an upload (never a path on disk)."""
    return {
        "id": str(upload.id),
        "filename": upload.filename,
        "size": upload.size,
        "offset": upload.offset,
        "state": upload.state,
        "kind": upload.kind,
        "probe": upload.probe,
        "reject_reason": upload.reject_reason,
        "md5": upload.md5_base64,
        "created_at": upload.created_at.isoformat(),
        "completed_at": upload.completed_at.isoformat() if upload.completed_at else None,
        "expires_at": upload.expires_at.isoformat() if upload.expires_at else None,
    }
