"""Browsing ftrack for the publish form's context picker, with the user's own credential.

Each view calls ``publishing.ftrack.browse`` (which caches per user in Redis); errors take the
shape of ``publishing.api.errors``. These lists come whole from ftrack (bounded by ftrack itself
and by ``browse.SEARCH_LIMIT``), so unlike the portal's own lists they are not paginated: the
upload page reads them as plain arrays.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from publishing.api.errors import PortalAPIView
from publishing.api.permissions import MEMBER
from publishing.ftrack import browse

MAX_QUERY = 100
TAG = "ftrack"
FTRACK_REFUSALS = {
    403: OpenApiResponse(description="no portal role, or ftrack rejected your API key"),
    409: OpenApiResponse(description="you have not connected an ftrack account yet"),
    503: OpenApiResponse(description="ftrack is not answering"),
}


def _browse():
    # Imported on use: loading the URL conf must not pull in ftrack_api for every page.

    return browse


class ProjectSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    full_name = serializers.CharField()


class ChildSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField(help_text="ftrack object type: Sequence, Shot, Task...")
    has_children = serializers.BooleanField()


class SearchResultSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    path = serializers.CharField(help_text='e.g. "demo / sq010 / sh010 / compositing"')


class FtrackUserSerializer(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()
    name = serializers.CharField()


class AssetTypeSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    short = serializers.CharField(allow_blank=True)


class _BrowseView(PortalAPIView):
    permission_classes = MEMBER


def _required(request, name: str) -> str:
    value = request.query_params.get(name, "").strip()
    if not value:
        raise exceptions.ValidationError({name: ["This parameter is required."]})
    return value


def _responses(serializer):
    return {200: serializer(many=True), **FTRACK_REFUSALS}


class ProjectList(_BrowseView):
    @extend_schema(summary="ftrack projects you can see", tags=[TAG], responses=_responses(ProjectSerializer))
    def get(self, request):
        return Response(_browse().projects(request.user))


class ChildList(_BrowseView):
    @extend_schema(
        summary="Children of an ftrack project or context",
        tags=[TAG],
        parameters=[OpenApiParameter("parent", str, required=True, description="project or context id")],
        responses={**_responses(ChildSerializer), 404: OpenApiResponse(description="unknown parent")},
    )
    def get(self, request):
        return Response(_browse().children(request.user, _required(request, "parent")))


class ContextSearch(_BrowseView):
    @extend_schema(
        summary="Search tasks, shots and sequences by name",
        tags=[TAG],
        parameters=[
            OpenApiParameter("q", str, description=f"part of the name (at most {MAX_QUERY} characters)"),
            OpenApiParameter("project", str, description="limit to this project id"),
        ],
        responses={**_responses(SearchResultSerializer), 404: OpenApiResponse(description="unknown project")},
    )
    def get(self, request):
        query = request.query_params.get("q", "").strip()
        if len(query) > MAX_QUERY:
            raise exceptions.ValidationError({"q": [f"At most {MAX_QUERY} characters."]})
        if not query:
            return Response([])
        project_id = request.query_params.get("project", "").strip() or None
        return Response(_browse().search(request.user, query, project_id=project_id))


class UserList(_BrowseView):
    @extend_schema(
        summary="Active ftrack users (reviewers)", tags=[TAG], responses=_responses(FtrackUserSerializer)
    )
    def get(self, request):
        return Response(_browse().users(request.user))


class AssetTypeList(_BrowseView):
    @extend_schema(summary="ftrack asset types", tags=[TAG], responses=_responses(AssetTypeSerializer))
    def get(self, request):
        return Response(_browse().asset_types(request.user))
