"""``POST /api/context/match/``: where dropped files would land, from their names (issue 11).

Names (and optional folder paths) in; for each, the proposed task (id and path), asset name,
next version, the rule that matched and why, or the candidates when it is ambiguous. Matching
runs on what the caller may see in ftrack with their own key (``publishing.matching.service``).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from publishing.api.context import FTRACK_REFUSALS, TAG, _BrowseView
from publishing.matching.service import MAX_NAME, MAX_NAMES, match_names


class MatchItemSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=MAX_NAME, help_text="file name, e.g. sq010_sh020_comp_v003.mov")
    folder = serializers.CharField(
        max_length=MAX_NAME,
        required=False,
        allow_blank=True,
        default="",
        help_text="folder path, e.g. sh030/comp",
    )


class MatchRequestSerializer(serializers.Serializer):
    project = serializers.CharField(max_length=255, help_text="ftrack project id or name")
    asset_type = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="count versions of this type only",
    )
    items = MatchItemSerializer(many=True, allow_empty=False, max_length=MAX_NAMES)


class CandidateSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    path = serializers.CharField()


class RuleRefSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="1-based order of the rule in the project")
    pattern = serializers.CharField()


class MatchResultSerializer(serializers.Serializer):
    name = serializers.CharField()
    folder = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=["placed", "ambiguous", "unplaced"])
    context_id = serializers.CharField(allow_null=True, help_text="the proposed task (placed only)")
    path = serializers.CharField(allow_null=True, help_text='e.g. "demo / sq010 / sh020 / compositing"')
    asset_name = serializers.CharField(allow_null=True)
    next_version = serializers.IntegerField(allow_null=True, help_text="the version ftrack will make")
    version_in_name = serializers.IntegerField(allow_null=True)
    rule = RuleRefSerializer(allow_null=True)
    reason = serializers.CharField()
    candidates = CandidateSerializer(many=True, help_text="ambiguous: the tasks to choose from")
    suggested = serializers.CharField(
        allow_null=True, help_text="the candidate you chose last in this project"
    )
    warnings = serializers.ListField(child=serializers.CharField())


class ProjectRefSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class MatchResponseSerializer(serializers.Serializer):
    project = ProjectRefSerializer()
    items = MatchResultSerializer(many=True)
    truncated = serializers.BooleanField(help_text="the project was too large to read whole")


class ContextMatch(_BrowseView):
    @extend_schema(
        summary="Propose a task, asset and version for each dropped file name",
        tags=[TAG],
        request=MatchRequestSerializer,
        responses={
            200: MatchResponseSerializer,
            400: OpenApiResponse(description="malformed request"),
            404: OpenApiResponse(description="no such project, or you cannot see it"),
            **FTRACK_REFUSALS,
        },
    )
    def post(self, request):
        form = MatchRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        items = [{"name": i["name"], "folder": i["folder"]} for i in data["items"]]
        return Response(match_names(request.user, data["project"], items, data["asset_type"] or None))
