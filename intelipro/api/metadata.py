"""OPTIONS answers: what the endpoint is, what it renders and parses; no per-field `actions`.

DRF's default metadata describes the writable fields of each method by building the serializer
and, to check object permissions, calling `get_object()` — on a list-level action such as
`PUT /notifications/mark-all-read` there is no pk, and OPTIONS answered 500 (found by the API
fuzzer). Field details live in the OpenAPI schema (`/api/v1/schema/`); OPTIONS doesn't repeat
them, and no longer runs object lookups for anyone who asks.
"""

from typing import Any

from rest_framework.metadata import BaseMetadata
from rest_framework.request import Request


class Metadata(BaseMetadata):
    def determine_metadata(self, request: Request, view: Any) -> dict[str, Any]:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
        }
