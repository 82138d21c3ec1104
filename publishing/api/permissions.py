"""Who may call the API: the same roles as the pages (publishing.core.roles, publishing.core.access).

Anonymous callers get 401 (TokenAuthentication answers the challenge), logged-in users without a
portal role 403; which objects a producer sees is the selectors' business (others' are 404).
"""

from __future__ import annotations

from rest_framework import permissions

from publishing.core.access import has_portal_role
from publishing.core.roles import can_upload


class IsPortalMember(permissions.BasePermission):
    message = "Your account has no portal role."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and has_portal_role(request.user))


class CanPublish(permissions.BasePermission):
    """Creating batches: producers and admins (a coordinator only watches, as on the upload page)."""

    message = "Only producers publish media; coordinators follow every publish from the jobs list."

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_upload(request.user)


MEMBER = [permissions.IsAuthenticated, IsPortalMember]
