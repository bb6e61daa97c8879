"""The envelope: success bodies become {"success": true, "data": ...}; errors pass through."""

from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import JSONRenderer


class EnvelopeJSONRenderer(JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None:
            if response.status_code == 204:
                return b""
            if not getattr(response, "exception", False):
                data = {"success": True, "data": data}
        return super().render(data, accepted_media_type, renderer_context)
