"""Jobs: the list with the dashboard's filters, one job with its timeline, retry and cancel.

Visibility is the dashboard's (``jobs_visible_to``): producers see their own jobs, coordinators and
admins all; someone else's job is 404. Retry and cancel call ``publishing.pipeline.jobs``, which
checks who may act and writes the audit event; a job in the wrong state is 409.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from publishing.api.errors import api_exception_handler
from publishing.api.permissions import MEMBER
from publishing.api.serializers import JobDetailSerializer, JobFilterSerializer, JobSerializer
from publishing.dashboard.selectors import DashboardFilters, apply_filters, jobs_visible_to
from publishing.models import JobUpload
from publishing.pipeline import jobs as job_services

CONFLICT = OpenApiResponse(description="the job is not in a state that allows this action")


@extend_schema_view(
    list=extend_schema(
        summary="Jobs you may see, newest first", tags=["jobs"], parameters=[JobFilterSerializer]
    ),
    retrieve=extend_schema(summary="One job with its timeline", tags=["jobs"]),
)
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = MEMBER
    lookup_value_regex = r"[0-9]{1,18}"

    def get_exception_handler(self):
        return api_exception_handler

    def get_queryset(self):
        files = JobUpload.objects.select_related("upload").order_by("position")
        jobs = (
            jobs_visible_to(self.request.user)
            .select_related("batch__owner")
            .prefetch_related(Prefetch("job_uploads", queryset=files))
            .order_by("-id")
        )
        if self.action == "list":
            jobs = self._filtered(jobs)
        elif self.action == "retrieve":
            jobs = jobs.prefetch_related("events__actor")
        return jobs

    def _filtered(self, jobs):
        form = JobFilterSerializer(data=self.request.query_params)
        form.is_valid(raise_exception=True)
        params = form.validated_data
        filters = DashboardFilters(
            project=params.get("project", "").strip(),
            producer=params.get("producer"),
            status=params.get("status", ""),
            since=params.get("since"),
            until=params.get("until"),
            q=params.get("q", "").strip(),
        )
        jobs = apply_filters(jobs, filters)
        if params.get("batch"):
            jobs = jobs.filter(batch_id=params["batch"])
        return jobs

    def get_serializer_class(self):
        return JobDetailSerializer if self.action != "list" else JobSerializer

    def _act(self, service_name: str):

        job = self.get_object()
        getattr(job_services, service_name)(job=job, actor=self.request.user)
        return Response(JobDetailSerializer(self.get_queryset().get(pk=job.pk)).data)

    @extend_schema(
        summary="Run a failed job again from the stage that failed",
        tags=["jobs"],
        request=None,
        responses={200: JobDetailSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        return self._act("job_retry")

    @extend_schema(
        summary="Cancel a queued job (or one waiting to retry)",
        tags=["jobs"],
        request=None,
        responses={200: JobDetailSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._act("job_cancel")
