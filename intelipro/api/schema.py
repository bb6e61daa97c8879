"""OpenAPI: the envelope around every response, one error shape, items named per view."""

from typing import Any

from drf_spectacular.openapi import AutoSchema

ERROR_COMPONENT = "ErrorEnvelope"
ERROR_RESPONSES = {
    "400": "Invalid input (`validation_error` with field details, `parse_error` for bad JSON).",
    "401": "Missing or invalid credentials (`not_authenticated`, `token_not_valid`).",
    "403": "Authenticated but not allowed (`permission_denied`).",
    "404": "Not found, or outside the caller's scope (`not_found`).",
    "429": "Rate limited (`throttled`); see the `Retry-After` header.",
}


class EnvelopeAutoSchema(AutoSchema):
    def _get_paginator(self):
        """The paginator names its items after the view (`cases`, `users`), as bodies do."""
        paginator = super()._get_paginator()
        if paginator is not None:
            paginator.items_key = getattr(self.view, "pagination_items_key", "results")
        return paginator


def _empty_means_omitted(parameter: dict[str, Any]) -> None:
    """An optional query parameter sent empty (`?status=`, as a cleared form field sends it)
    counts as not sent: DRF's fields and django-filter both read it so. The schema says so,
    so that it allows exactly what the API accepts."""
    schema = parameter.get("schema")
    if parameter.get("in") != "query" or parameter.get("required") or not schema:
        return
    if schema.get("type") == "string" and not (
        {"enum", "format", "minLength", "pattern"} & set(schema)
    ):
        return  # any string, the empty one included, is already valid
    parameter["schema"] = {"anyOf": [schema, {"type": "string", "maxLength": 0}]}
    note = "Empty is the same as not sent."
    parameter["description"] = f"{parameter.get('description', '')} {note}".strip()


def envelope_postprocessing_hook(
    result: dict[str, Any], generator, request, public
) -> dict[str, Any]:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_COMPONENT] = {
        "type": "object",
        "required": ["success", "error"],
        "properties": {
            "success": {"type": "boolean", "enum": [False]},
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {"type": "string", "example": "validation_error"},
                    "message": {"type": "string"},
                    "details": {"type": "object", "additionalProperties": True},
                },
            },
        },
    }
    error_ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    # Routes accept both forms; document them as the spec writes them, without the slash.
    result["paths"] = {
        (key.rstrip("/") or "/"): value for key, value in result.get("paths", {}).items()
    }
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", []):
                _empty_means_omitted(parameter)
            for code, response in operation["responses"].items():
                if not str(code).startswith("2"):
                    continue
                for media_type, media in (response.get("content") or {}).items():
                    if media_type != "application/json" or "schema" not in media:
                        continue
                    media["schema"] = {
                        "type": "object",
                        "required": ["success", "data"],
                        "properties": {
                            "success": {"type": "boolean", "enum": [True]},
                            "data": media["schema"],
                        },
                    }
            responses = dict(ERROR_RESPONSES)
            if method.lower() in ("post", "put", "patch", "delete"):
                # Any write may meet the record in another state; the code names the conflict.
                responses["409"] = (
                    "Conflict with the current state (a domain error code, e.g. "
                    "`case_invalid_transition`, `mfa_already_enabled`)."
                )
            for code, description in responses.items():
                operation["responses"].setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": error_ref}},
                    },
                )
    return result
