"""One page shape for every list of the API: {"count", "next", "previous", "results"} (limit/offset)."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class PortalPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200
