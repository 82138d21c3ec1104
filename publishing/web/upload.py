"""The upload page (template and JS belong to the frontend) and the publish submission."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from publishing.core.access import can_upload, uploader_required
from publishing.core.errors import FtrackCredentialRejected, FtrackUnavailable, MissingCredential, error_body
from publishing.pipeline.batches import BatchInvalid, batch_create
from publishing.vault.selectors import credential_for_user

log = logging.getLogger(__name__)

DEFAULT_EXTENSIONS = [
    ".mov",
    ".mp4",
    ".m4v",
    ".mxf",
    ".avi",
    ".mkv",
    ".jpg",
    ".jpeg",
    ".png",
    ".tif",
    ".tiff",
    ".exr",
    ".dpx",
]


def upload_config(request) -> dict:
    """What the upload page's JS needs (docs/internals.md, "Upload page ↔ server")."""
    return {
        "endpoint": "/api/uploads/",
        "maxFileSize": getattr(settings, "MAX_UPLOAD_SIZE", None),
        "allowedFileTypes": list(getattr(settings, "ALLOWED_UPLOAD_EXTENSIONS", DEFAULT_EXTENSIONS)),
        "chunkSize": getattr(settings, "UPLOAD_CHUNK_SIZE", 8 * 1024 * 1024),
        # Unfinished uploads are removed after this long without a byte (shown on the page).
        "uploadExpirySeconds": int(settings.UPLOAD_EXPIRY.total_seconds()),
        "csrfToken": get_token(request),
        "submitUrl": reverse("publishing:submit"),
        # Uppy instance id, under which Golden Retriever stores the file list in the browser: one per
        # portal user, so producers sharing a browser profile never get each other's list restored.
        "restoreKey": f"review-portal-upload-{request.user.pk}",
        "contextApi": {
            "projects": reverse("publishing:api:projects"),
            "children": reverse("publishing:api:children"),
            "search": reverse("publishing:api:search"),
            "users": reverse("publishing:api:users"),
            "assetTypes": reverse("publishing:api:asset-types"),
        },
    }


@uploader_required
def upload(request):
    if credential_for_user(request.user) is None:
        messages.info(
            request,
            "Before you publish, connect your ftrack account: enter your ftrack username and API key.",
        )
        return redirect(f"{reverse('publishing:credentials')}?{urlencode({'next': request.get_full_path()})}")
    context = {"upload_config": upload_config(request), "user_has_credentials": True}
    return render(request, "publishing/upload.html", context)


@require_POST
def submit(request):
    """POST /publish/submit/ (JSON) → 201 {"batch_id", "url"} or 400 {"errors", "item_errors"}."""
    if not request.user.is_authenticated:
        return JsonResponse(error_body("not_authenticated", "Log in to publish."), status=401)
    if not can_upload(request.user):
        return JsonResponse(error_body("forbidden", "Only producers publish media."), status=403)
    try:
        payload = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse(
            {"errors": {"__all__": ["The request is not valid JSON."]}, "item_errors": []}, status=400
        )
    if not isinstance(payload, dict):
        return JsonResponse({"errors": {"__all__": ["Send a JSON object."]}, "item_errors": []}, status=400)

    encode = payload.get("encode", True)
    try:
        batch = batch_create(
            owner=request.user,
            context_id=payload.get("context_id"),
            asset_type=payload.get("asset_type"),
            comment=payload.get("comment") or "",
            reviewers=payload.get("reviewers") or [],
            encode=encode if isinstance(encode, bool) else True,
            items=payload.get("items"),
        )
    except BatchInvalid as invalid:
        return JsonResponse({"errors": invalid.errors, "item_errors": invalid.item_errors}, status=400)
    except MissingCredential as exc:
        return JsonResponse(error_body("missing_credential", _message(exc)), status=409)
    except FtrackCredentialRejected as exc:
        return JsonResponse(error_body("credential_rejected", _message(exc)), status=403)
    except FtrackUnavailable as exc:
        return JsonResponse(error_body("ftrack_unavailable", _message(exc)), status=503)
    url = reverse("publishing:batch", args=[batch.pk])
    return JsonResponse({"batch_id": batch.pk, "url": url}, status=201)


def _message(exc) -> str:
    return getattr(exc, "message", None) or str(exc)
