"""One error shape for every JSON answer: {"error": {"code", "message", "details"?}}.

``api_exception_handler`` is DRF's EXCEPTION_HANDLER (portal/settings.py) and the handler of every
view of ours; ``json_not_found``/``json_server_error`` give the same shape to /api/ addresses that
no view answers (portal/urls.py's handler404/handler500).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from publishing.core.errors import PublishError, catalogue_entry, error_body
from publishing.pipeline.batches import BatchInvalid
from publishing.pipeline.jobs import JobStateError
from publishing.uploads.services import UploadRefused

log = logging.getLogger(__name__)

# Status of a refused upload → code, for UploadRefused raised inside an API view.
UPLOAD_CODES = {400: "invalid", 404: "not_found", 409: "conflict", 410: "gone", 413: "too_large"}


def _portal_error(exc):
    """Our own service exceptions → (status, body), or None. Imported lazily: services import models."""

    if isinstance(exc, BatchInvalid):
        details = {"errors": exc.errors, "item_errors": exc.item_errors}
        return 400, error_body("invalid", "The batch has problems; nothing was created.", details)
    if isinstance(exc, JobStateError):
        return 409, error_body("invalid_state", str(exc))
    if isinstance(exc, UploadRefused):
        return exc.status, error_body(UPLOAD_CODES.get(exc.status, "refused"), exc.message)
    return None


def api_exception_handler(exc, context):
    if isinstance(exc, PublishError):
        # Its status and default words come from the error catalogue (publishing/core/errors.py).
        entry = catalogue_entry(exc.code)
        return Response(error_body(exc.code, exc.message or entry.producer), status=entry.http_status)
    portal = _portal_error(exc)
    if portal is not None:
        return Response(portal[1], status=portal[0])
    # Django's own exceptions, as DRF's default handler would translate them.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        if isinstance(exc, exceptions.ValidationError):
            body = error_body("invalid", "Some parameters are missing or wrong.", exc.detail)
        else:
            codes = exc.get_codes()
            code = codes if isinstance(codes, str) else exc.default_code
            body = error_body(code, str(exc.detail))
        return Response(body, status=exc.status_code, headers=headers)
    # Anything else is a bug: let Django's 500 handling log it (it never includes request secrets).
    return None


def json_not_found(request, exception=None):
    return JsonResponse(error_body("not_found", "There is no API endpoint at this address."), status=404)


def json_bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = f"The request body is too large: this address accepts at most {limit:,} bytes."
        return JsonResponse(error_body("too_large", message), status=400)
    return JsonResponse(error_body("bad_request", "The request could not be understood."), status=400)


def json_server_error(request):
    return JsonResponse(
        error_body("server_error", "Something went wrong on our side; it has been logged."), status=500
    )


class PortalAPIView(APIView):
    """Base class of our API views: the error shape above regardless of global DRF settings."""

    def get_exception_handler(self):
        return api_exception_handler
