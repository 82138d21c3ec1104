"""The upload page (template and JS belong to the frontend) and the publish submission."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from publishing.core.access import uploader_required
from publishing.vault.selectors import credential_for_user

log = logging.getLogger(__name__)


def upload_config(request) -> dict:
    """What the upload page's JS needs (docs/internals.md, "Upload page ↔ server")."""
    return {
        "endpoint": "/api/uploads/",
        "maxFileSize": settings.MAX_UPLOAD_SIZE,
        "allowedFileTypes": list(settings.ALLOWED_UPLOAD_EXTENSIONS),
        "chunkSize": settings.UPLOAD_CHUNK_SIZE,
        # Unfinished uploads are removed after this long without a byte (shown on the page).
        "uploadExpirySeconds": int(settings.UPLOAD_EXPIRY.total_seconds()),
        "csrfToken": get_token(request),
        # The page publishes through the API: one submit path for the page, scripts and the CLI.
        "submitUrl": reverse("api:batch-list"),
        "matchUrl": reverse("api:context-match"),
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
