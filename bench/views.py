"""Benchmark-only views, mounted only by bench/urls.py (the URL conf of bench/settings.py).

Floors the product's endpoints are measured against: a bare Django view (the framework
floor), the same payload through DRF and the envelope, and the agent's case page as a bare
`.values()` query (no auth, no DRF, no count). Never part of the product."""

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

from renewals.models import RenewalCase

PAYLOAD = {"id": 1, "case_number": "REN-2026-000001", "status": "in_progress", "amount": 25000}


def bench_plain_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(PAYLOAD)


@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def bench_api_view(request: Request) -> Response:
    return Response(PAYLOAD)


def bench_cases_values_view(request: HttpRequest) -> JsonResponse:
    """The same agent page as GET /cases (bench/renewals_api.py's floor)."""
    agent_id = int(request.GET.get("agent", "0"))
    status = request.GET.get("status", "in_progress")
    rows = list(
        RenewalCase.objects.filter(assigned_to_id=agent_id, status=status)
        .order_by("-created_at", "-id")
        .values(
            "id",
            "case_number",
            "status",
            "priority",
            "renewal_amount",
            "payment_status",
            "created_at",
            "policy__policy_number",
            "policy__policy_type",
            "policy__customer__first_name",
            "policy__customer__last_name",
            "assigned_to__first_name",
        )[:10]
    )
    return JsonResponse({"cases": rows})
