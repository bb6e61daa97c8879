"""Benchmark-only views (mounted when BENCH_ENDPOINTS=1): the floor and the enveloped API."""

from django.http import HttpRequest, JsonResponse
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

PAYLOAD = {"id": 1, "case_number": "REN-2026-000001", "status": "in_progress", "amount": 25000}


def bench_plain_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(PAYLOAD)


@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def bench_api_view(request: Request) -> Response:
    return Response(PAYLOAD)
