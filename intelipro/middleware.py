"""Cross-cutting HTTP middleware: request ids, access log, the spec's security headers."""

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from intelipro.api.throttling import client_ip, valid_ip
from intelipro.logging import RequestMeta, request_meta_var

access_logger = logging.getLogger("intelipro.request")

# Accept a caller's id only if it is short and plain, so it cannot inject into logs.
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")


class RequestIDMiddleware:
    """Accepts `X-Request-ID` or generates one; returns it on the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        ip = client_ip(request)
        token = request_meta_var.set(
            RequestMeta(
                request_id=request_id,
                # Audit rows keep an IP column (inet on PostgreSQL): only a real address goes
                # there; a peer without one (a bare WSGI call, a unix socket) is recorded as None.
                ip_address=ip if valid_ip(ip) else None,
                user_agent=request.headers.get("User-Agent", "")[:1000],
            )
        )
        try:
            response = self.get_response(request)
        finally:
            request_meta_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class SecurityHeadersMiddleware:
    """Adds the spec's headers that Django's SecurityMiddleware does not set itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for header, value in settings.SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        return response


class AccessLogMiddleware:
    """One structured line per request: method, path, status, duration, user id, request id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        access_logger.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": user.pk if user is not None and user.is_authenticated else None,
                "request_id": getattr(request, "request_id", "-"),
            },
        )
        return response
