"""Browsing ftrack for the publish form's context picker, with the user's own credential.

Each view calls ``publishing.ftrack.browse`` (which caches per user in Redis); errors take the
shape of ``publishing.api.errors``.
"""

from __future__ import annotations

from rest_framework import exceptions, permissions
from rest_framework.response import Response

from publishing.api.errors import PortalAPIView
from publishing.views.access import has_portal_role

MAX_QUERY = 100


def _browse():
    # Imported on use: loading the URL conf must not pull in ftrack_api for every page.
    from publishing.ftrack import browse

    return browse


class IsPortalMember(permissions.BasePermission):
    message = "Your account has no portal role."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and has_portal_role(request.user))


class _BrowseView(PortalAPIView):
    permission_classes = [permissions.IsAuthenticated, IsPortalMember]


def _required(request, name: str) -> str:
    value = request.query_params.get(name, "").strip()
    if not value:
        raise exceptions.ValidationError({name: ["This parameter is required."]})
    return value


class ProjectList(_BrowseView):
    def get(self, request):
        return Response(_browse().projects(request.user))


class ChildList(_BrowseView):
    def get(self, request):
        return Response(_browse().children(request.user, _required(request, "parent")))


class ContextSearch(_BrowseView):
    def get(self, request):
        query = request.query_params.get("q", "").strip()
        if len(query) > MAX_QUERY:
            raise exceptions.ValidationError({"q": [f"At most {MAX_QUERY} characters."]})
        if not query:
            return Response([])
        project_id = request.query_params.get("project", "").strip() or None
        return Response(_browse().search(request.user, query, project_id=project_id))


class UserList(_BrowseView):
    def get(self, request):
        return Response(_browse().users(request.user))


class AssetTypeList(_BrowseView):
    def get(self, request):
        return Response(_browse().asset_types(request.user))
