"""Batches: create one from complete uploads, list them, show one with its jobs.

Creation is the upload page's own path: the page posts here, and scripts and the ``publish``
command reach the same service (``publishing.pipeline.batches``), so every caller gets the same
checks; its ``BatchInvalid`` becomes a 400 whose details are ``{"errors": {...}, "item_errors": [...]}``.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from publishing.api.errors import api_exception_handler
from publishing.api.permissions import MEMBER, CanPublish
from publishing.api.serializers import BatchCreateSerializer, BatchDetailSerializer, BatchSerializer
from publishing.dashboard.batch_selectors import batches_for_list
from publishing.models import JobUpload, PublishJob
from publishing.pipeline.batches import batch_create_from_payload


@extend_schema_view(
    list=extend_schema(summary="Batches you may see, newest first", tags=["batches"]),
    retrieve=extend_schema(summary="One batch with its jobs", tags=["batches"]),
    create=extend_schema(
        summary="Publish complete uploads as one batch",
        tags=["batches"],
        request=BatchCreateSerializer,
        responses={201: BatchDetailSerializer},
    ),
)
class BatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [*MEMBER, CanPublish]
    lookup_value_regex = r"[0-9]{1,18}"

    def get_exception_handler(self):
        return api_exception_handler

    def get_queryset(self):
        batches = batches_for_list(self.request.user)
        if self.action == "retrieve":
            files = JobUpload.objects.select_related("upload").order_by("position")
            jobs = (
                PublishJob.objects.select_related("batch__owner")
                .order_by("id")
                .prefetch_related(Prefetch("job_uploads", queryset=files))
            )
            batches = batches.prefetch_related(Prefetch("jobs", queryset=jobs))
        return batches

    def get_serializer_class(self):
        if self.action == "retrieve":
            return BatchDetailSerializer
        if self.action == "create":
            return BatchCreateSerializer
        return BatchSerializer

    def create(self, request):
        # The serializer documents the body (OpenAPI); the service checks it, for every caller alike.
        batch = batch_create_from_payload(owner=request.user, payload=request.data)
        self.action = "retrieve"
        created = self.get_queryset().get(pk=batch.pk)
        return Response(BatchDetailSerializer(created).data, status=status.HTTP_201_CREATED)
