"""Health and the enveloped 404 for unknown API paths."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.selectors import CONNECTED, SERVICE_STATUSES, health_snapshot
from intelipro.api.throttling import CacheRateThrottle


class HealthRateThrottle(CacheRateThrottle):
    """Per client IP (the probe is unauthenticated): THROTTLE_RATES["health"]."""

    scope = "health"


class HealthView(APIView):
    """`GET /health` (and `/api/v1/health`): the spec's monitoring probe. No auth, no secrets."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Its own per-IP limit instead of the general one: monitors poll it, attackers must not
    # turn it into load (probe results are also cached for HEALTH_CACHE_SECONDS).
    throttle_classes = [HealthRateThrottle]

    @extend_schema(
        operation_id="health",
        responses={
            (200, "application/json"): inline_serializer(
                "Health",
                {
                    "status": serializers.ChoiceField(choices=["OK", "DEGRADED", "DOWN"]),
                    "timestamp": serializers.DateTimeField(),
                    "version": serializers.CharField(),
                    "services": inline_serializer(
                        "HealthServices",
                        {
                            "database": serializers.ChoiceField(choices=SERVICE_STATUSES),
                            "redis": serializers.ChoiceField(choices=SERVICE_STATUSES),
                            "celery": serializers.ChoiceField(choices=SERVICE_STATUSES),
                        },
                    ),
                },
            ),
        },
        description="200 when the database is reachable, 503 when not. "
        "`status` is OK when every configured service answers, DEGRADED otherwise. "
        "Probe results are cached for a few seconds (`timestamp` is when they were taken) and "
        "the endpoint is rate-limited per client IP (429 `throttled`). "
        "At `/health` the body also repeats `status`, `timestamp`, `version` and `services` "
        "at the top level beside `success`/`data`, for monitoring tools that read the spec's "
        "bare shape; `/api/v1/health` answers the plain envelope.",
    )
    def get(self, request: Request) -> Response:
        snapshot = health_snapshot()
        services = snapshot.services
        database = services["database"]
        if database != CONNECTED:
            overall = "DOWN"
        elif "unavailable" in services.values():
            overall = "DEGRADED"
        else:
            overall = "OK"
        body = {
            "status": overall,
            "timestamp": snapshot.checked_at,
            "version": settings.APP_VERSION,
            "services": services,
        }
        code = status.HTTP_200_OK if database == CONNECTED else status.HTTP_503_SERVICE_UNAVAILABLE
        return Response(body, status=code, headers={"Cache-Control": "no-store"})


class MonitoringJSONRenderer(JSONRenderer):
    """The spec's monitoring body (`status`, `timestamp`, `version`, `services` at the top
    level, as load balancers and uptime checkers read it) plus the API envelope's
    `success`/`data`, so API clients read it like every other endpoint."""

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if isinstance(data, dict) and response is not None and not response.exception:
            data = {**data, "success": response.status_code < 400, "data": data}
        return super().render(data, accepted_media_type, renderer_context)


class HealthRootView(HealthView):
    """`GET /health`: the monitoring probe at the root, in the spec's shape (see renderer)."""

    renderer_classes = [MonitoringJSONRenderer]


@extend_schema_view(get=extend_schema(exclude=True))
class HealthAliasView(HealthView):
    """`/api/v1/health`: the same probe under the API prefix (documented once, at /health)."""


@extend_schema(exclude=True)
class ApiNotFoundView(APIView):
    """Every unknown path under /api/ answers the enveloped 404 (any method)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def _not_found(self, request: Request, *args: object, **kwargs: object) -> Response:
        raise NotFound(f"No API endpoint at {request.path}.")

    get = post = put = patch = delete = head = options = _not_found
