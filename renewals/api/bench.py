"""Benchmark-only floor (mounted when BENCH_ENDPOINTS=1): the same agent page as GET /cases
with a bare Django view over `.values()` — no auth, no DRF, no count. Never in production."""

from django.http import HttpRequest, JsonResponse

from renewals.models import RenewalCase


def bench_cases_values_view(request: HttpRequest) -> JsonResponse:
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
