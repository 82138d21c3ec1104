"""The current user: who they are, their portal role and the health of their ftrack key."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from publishing.api.errors import PortalAPIView
from publishing.api.permissions import MEMBER
from publishing.api.serializers import CredentialStatusSerializer, MeSerializer
from publishing.core.access import role_label
from publishing.core.roles import can_upload
from publishing.vault.selectors import credential_for_user


class MeView(PortalAPIView):
    permission_classes = MEMBER

    @extend_schema(
        summary="You, your role and your ftrack credential's status", tags=["me"], responses=MeSerializer
    )
    def get(self, request):
        user = request.user
        credential = credential_for_user(user)
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "name": user.get_full_name() or user.get_username(),
            "email": user.email,
            "role": role_label(user),
            "can_publish": can_upload(user),
            "credential": CredentialStatusSerializer(credential).data if credential else None,
        }
        return Response(MeSerializer(data).data)
