"""Uploads: the tus endpoint (``publishing/uploads/tus.py``) plus a JSON list and detail of your own uploads.

``/api/uploads/`` and ``/api/uploads/<uuid>`` are shared with tus: GET is answered here (DRF, the
API's error shape and pagination), every other method goes to the tus views untouched, which
stream chunks straight from the request. The DRF classes below also carry the OpenAPI description
of the tus methods, so the schema shows every method those addresses take; HEAD (the current
offset) and OPTIONS (tus capabilities) are described in the text, as OpenAPI has no place for them.

Uploads are private to their creator, whatever the role: others get 404.
"""

from __future__ import annotations

from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response

from publishing.api.errors import PortalAPIView, api_exception_handler
from publishing.api.permissions import MEMBER
from publishing.api.serializers import UploadSerializer
from publishing.models import Upload
from publishing.uploads import tus
from publishing.uploads.services import upload_for_owner

TUS_TAG = "uploads"
OCTET = {"application/offset+octet-stream": OpenApiTypes.BINARY}


def _header(name: str, description: str, *, required: bool = True, type_=OpenApiTypes.STR):
    return OpenApiParameter(name, type_, OpenApiParameter.HEADER, required=required, description=description)


TUS_RESUMABLE = _header("Tus-Resumable", "always 1.0.0")
TUS_REFUSALS = {
    400: OpenApiResponse(description="malformed tus headers (text/plain message)"),
    401: OpenApiResponse(description="not logged in and no 'Authorization: Token <key>'"),
    403: OpenApiResponse(description="no portal role, or the CSRF check of a browser request failed"),
    404: OpenApiResponse(description="no such upload of yours"),
    409: OpenApiResponse(description="Upload-Offset differs from the server's, or another PATCH is writing"),
    410: OpenApiResponse(description="the upload expired and its data was removed"),
    412: OpenApiResponse(description="wrong Tus-Resumable version"),
    413: OpenApiResponse(description="larger than MAX_UPLOAD_SIZE or than the declared length"),
    415: OpenApiResponse(description="file type not allowed, or wrong Content-Type"),
    460: OpenApiResponse(description="chunk checksum mismatch; the chunk was discarded"),
}


class UploadStateFilter(serializers.Serializer):
    state = serializers.ChoiceField(choices=Upload.State.values, required=False)


class UploadCollection(generics.ListAPIView):
    """GET lists your uploads; POST creates one (tus creation, answered by publishing/uploads/tus.py)."""

    permission_classes = MEMBER
    serializer_class = UploadSerializer

    def get_exception_handler(self):
        return api_exception_handler

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no real user
            return Upload.objects.none()
        uploads = Upload.objects.filter(owner=self.request.user).order_by("-created_at", "-pk")
        form = UploadStateFilter(data=self.request.query_params)
        form.is_valid(raise_exception=True)
        if form.validated_data.get("state"):
            uploads = uploads.filter(state=form.validated_data["state"])
        return uploads

    @extend_schema(summary="Your uploads, newest first", tags=[TUS_TAG], parameters=[UploadStateFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create an upload (tus 1.0.0 creation, creation-with-upload)",
        description=(
            "tus protocol, not JSON: send `Upload-Length` and `Upload-Metadata` (base64 `filename`, "
            "optional `filetype`), optionally the first bytes as `application/offset+octet-stream`. "
            "The answer's `Location` header is the upload's address for HEAD/PATCH/DELETE. "
            "OPTIONS tells the server's tus version, extensions, maximum size and checksum algorithms. "
            "Errors of the tus endpoint are text/plain."
        ),
        tags=[TUS_TAG],
        parameters=[
            TUS_RESUMABLE,
            _header("Upload-Length", "size of the whole file in bytes", type_=OpenApiTypes.INT),
            _header("Upload-Metadata", "comma-separated `key base64value` pairs; `filename` is required"),
        ],
        request=OCTET,
        responses={
            201: OpenApiResponse(description="created; `Location` and, with a body, `Upload-Offset` headers"),
            **{code: TUS_REFUSALS[code] for code in (400, 401, 403, 412, 413, 415)},
        },
    )
    def post(self, request):  # pragma: no cover - dispatched to tus.collection, never called
        raise NotImplementedError


class UploadResource(PortalAPIView):
    """GET shows one of your uploads; PATCH/DELETE (and HEAD) are tus, answered by publishing/uploads/tus.py.

    Anyone logged in who is not the creator gets 404, outsiders included: the tus methods at this
    address answer the same, and an address must not say 403 to one method and 404 to another.
    """

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="One of your uploads: state, probe, checksum, expiry",
        tags=[TUS_TAG],
        responses={200: UploadSerializer, 410: OpenApiResponse(description="expired")},
    )
    def get(self, request, upload_id):

        return Response(UploadSerializer(upload_for_owner(upload_id=upload_id, owner=request.user)).data)

    @extend_schema(
        summary="Append a chunk (tus PATCH)",
        description=(
            "Send `Upload-Offset` (HEAD tells the current one) and the bytes as "
            "`application/offset+octet-stream`, optionally with `Upload-Checksum: md5|sha1 <base64>`. "
            "The last chunk completes the upload: checksum, media probe, then state `ready` or `rejected`."
        ),
        tags=[TUS_TAG],
        parameters=[
            TUS_RESUMABLE,
            _header("Upload-Offset", "where this chunk starts", type_=OpenApiTypes.INT),
            _header("Upload-Checksum", "`md5 <base64 digest>` or `sha1 <base64 digest>`", required=False),
        ],
        request=OCTET,
        responses={
            204: OpenApiResponse(description="accepted; the new `Upload-Offset` header"),
            **{code: TUS_REFUSALS[code] for code in (400, 401, 403, 404, 409, 410, 412, 413, 415, 460)},
        },
    )
    def patch(self, request, upload_id):  # pragma: no cover - dispatched to tus.resource
        raise NotImplementedError

    @extend_schema(
        summary="Delete an upload (tus termination)",
        tags=[TUS_TAG],
        parameters=[TUS_RESUMABLE],
        request=None,
        responses={
            204: OpenApiResponse(description="deleted with its data"),
            409: OpenApiResponse(description="part of a publish job; kept"),
            **{code: TUS_REFUSALS[code] for code in (401, 404, 410, 412)},
        },
    )
    def delete(self, request, upload_id):  # pragma: no cover - dispatched to tus.resource
        raise NotImplementedError


_collection_get = UploadCollection.as_view()
_resource_get = UploadResource.as_view()


def _described_by(view_class):
    """Lets drf-spectacular document a plain dispatcher with the DRF class that describes it."""

    def mark(function):
        function.cls = view_class
        function.initkwargs = {}
        return function

    return mark


@csrf_exempt  # tus.collection checks CSRF itself for cookie-authenticated writes
@_described_by(UploadCollection)
def upload_collection(request):
    if request.method == "GET" and "X-HTTP-Method-Override" not in request.headers:
        return _collection_get(request)
    return tus.collection(request)


@csrf_exempt
@_described_by(UploadResource)
def upload_resource(request, upload_id):
    if request.method == "GET" and "X-HTTP-Method-Override" not in request.headers:
        return _resource_get(request, upload_id=upload_id)
    return tus.resource(request, upload_id=upload_id)
