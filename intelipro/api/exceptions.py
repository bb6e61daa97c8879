"""The one exception handler: every error under /api/ leaves here in the envelope."""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from intelipro.api.errors import DomainError

logger = logging.getLogger(__name__)

# DRF's default codes that read better under another name in our contract.
_CODE_OVERRIDES = {
    "invalid": "validation_error",
    "error": "error",
    "parse_error": "parse_error",
    "authentication_failed": "authentication_failed",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {
        "success": False,
        "error": {"code": code, "message": message, "details": details or {}},
    }


def _message_of(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _message_of(detail[0])
    if isinstance(detail, dict) and detail:
        return _message_of(next(iter(detail.values())))
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        # Django's DATA_UPLOAD_MAX_NUMBER_FIELDS / _FILES guard (a SuspiciousOperation) fires
        # while DRF parses the body; it is the client's input, not a server error.
        exc = DomainError(
            "The request has too many fields or files.", code="too_many_fields", status_code=400
        )
    elif isinstance(exc, OverflowError | DataError):
        # A number or text the database can't hold (an id beyond bigint, a value too long for
        # its column) reached SQL: the client's input, refused as such, never a 500.
        logger.info("value out of the database's range: %s", exc.__class__.__name__)
        exc = DomainError("A value is out of range.", code="value_out_of_range", status_code=400)
    elif isinstance(exc, RequestDataTooBig):
        exc = DomainError(
            "The request body is too large.", code="payload_too_large", status_code=413
        )

    if isinstance(exc, DomainError):
        set_rollback()
        # A domain 429 (e.g. ai_budget_exhausted) says when to come back, like DRF's Throttled.
        retry_after = getattr(exc, "retry_after", None)
        return Response(
            error_body(exc.code, exc.message, exc.details),
            status=exc.status_code,
            headers={"Retry-After": str(max(int(retry_after), 1))} if retry_after else None,
        )

    if isinstance(exc, exceptions.ValidationError):
        set_rollback()
        field_errors = (
            exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        )
        return Response(
            error_body(
                "validation_error", "Invalid input: " + _message_of(exc.detail), field_errors
            ),
            status=status.HTTP_400_BAD_REQUEST,
        )

    if isinstance(exc, exceptions.APIException):
        set_rollback()
        headers: dict[str, str] = {}
        # DRF sets auth_header on 401s of an authenticator that names a scheme.
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        details: dict[str, Any] = {}
        throttle_wait = getattr(exc, "wait", None)  # Throttled's seconds until a retry
        if isinstance(exc, exceptions.Throttled) and throttle_wait is not None:
            wait = int(throttle_wait) + (0 if float(throttle_wait).is_integer() else 1)
            headers["Retry-After"] = str(max(wait, 1))
            details["retry_after"] = max(wait, 1)
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        if isinstance(exc.detail, dict) and "code" in exc.detail:
            # simplejwt's InvalidToken carries {"detail", "code", "messages"}
            code = str(exc.detail["code"])
            message = str(exc.detail.get("detail", exc.default_detail))
        else:
            message = _message_of(exc.detail)
        return Response(
            error_body(_CODE_OVERRIDES.get(code, code), message, details),
            status=exc.status_code,
            headers=headers,
        )

    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
    set_rollback()
    return Response(
        error_body("server_error", "An unexpected error occurred."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
