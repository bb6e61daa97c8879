"""One pagination class: `page` and `limit` (max 100), the spec's pagination object.

Views name their items with `pagination_items_key` (e.g. "cases"). A page past the last one
returns an empty list (the pagination object still tells the real totals), so a client that
deletes the last item of the last page does not get an error.
"""

import math
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10


class _PageParams(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, required=False, default=1)
    limit = serializers.IntegerField(min_value=1, required=False, default=DEFAULT_PAGE_SIZE)


class StandardPagination(BasePagination):
    page_query_param = "page"
    page_size_query_param = "limit"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(
        self, queryset: QuerySet[Any, Any] | Sequence[Any], request: Request, view: Any = None
    ) -> list:
        params = _PageParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        self.page_number = params.validated_data["page"]
        self.per_page = min(params.validated_data["limit"], self.max_page_size)
        self.items_key = getattr(view, "pagination_items_key", "results")
        self.request, self.view = request, view
        self.total_records = self.count(queryset)
        self.total_pages = max(math.ceil(self.total_records / self.per_page), 1)
        if self.page_number > self.total_pages:
            return []
        offset = (self.page_number - 1) * self.per_page
        return list(queryset[offset : offset + self.per_page])

    def count(self, queryset: QuerySet[Any, Any] | Sequence[Any]) -> int:
        """Total records; subclasses may cache it (COUNT(*) is the slow part of big lists)."""
        if isinstance(queryset, QuerySet):
            return queryset.order_by().count()
        return len(queryset)

    def pagination_data(self) -> dict[str, int]:
        return {
            "current_page": self.page_number,
            "total_pages": self.total_pages,
            "total_records": self.total_records,
            "per_page": self.per_page,
        }

    def get_paginated_response(self, data: list) -> Response:
        return Response({self.items_key: data, "pagination": self.pagination_data()})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        # items_key is set from the view by EnvelopeAutoSchema._get_paginator for the schema.
        key = getattr(self, "items_key", "results")
        return {
            "type": "object",
            "required": [key, "pagination"],
            "properties": {
                key: schema,
                "pagination": {
                    "type": "object",
                    "properties": {
                        "current_page": {"type": "integer", "example": 1},
                        "total_pages": {"type": "integer", "example": 5},
                        "total_records": {"type": "integer", "example": 42},
                        "per_page": {"type": "integer", "example": 10},
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        return [
            {
                "name": "page",
                "required": False,
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "default": 1},
            },
            {
                "name": "limit",
                "required": False,
                "in": "query",
                # No `maximum`: a larger value is not an error, it is served as the cap
                # (REST clients asking for "everything" get full pages, not a 400).
                "description": f"Items per page (default 10); values above {MAX_PAGE_SIZE} "
                f"are served as {MAX_PAGE_SIZE}.",
                "schema": {"type": "integer", "minimum": 1, "default": 10},
            },
        ]
