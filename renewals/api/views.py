"""Renewals API: thin views — parse input, call one service or selector, format the result."""

import hashlib
import json

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import modules
from accounts.permissions import ModulePermission
from intelipro.api.pagination import StandardPagination
from renewals import selectors, services
from renewals.api import serializers as s
from renewals.api.filters import CaseFilter, CustomerFilter, PolicyFilter
from renewals.errors import WebhookPayloadInvalidError
from renewals.models import Customer, Policy, RenewalCase
from renewals.services.cache import dashboard_cache_version

COUNT_CACHE_SECONDS = 300

# Domain errors per endpoint, in the schema beside the shared 400/401/403/404/429.
CLOSED_409 = OpenApiResponse(description="`case_closed`: the case is closed; reopen it first.")
TRANSITION_409 = OpenApiResponse(
    description="`case_invalid_transition` (details: from, to) or `case_closed`."
)


class CachedCountPagination(StandardPagination):
    """StandardPagination whose total is cached per (caller's scope, filters, data version).

    COUNT(*) over a million rows is the slowest part of a list page. The version is bumped
    after every committed case write (renewals.services.cache), so a cached total is never
    older than the caller's own last change. The key is built from what decides the count:
    the view, the caller and what scopes them (role, branch), and the filter parameters.
    (Compiling the query to SQL to key on its text cost as much as the rest of the request.)
    """

    IGNORED_PARAMS = frozenset({"page", "limit", "sort_by", "sort_order"})

    def _count_key(self) -> str:
        user = self.request.user
        params = sorted(
            (k, ",".join(sorted(self.request.query_params.getlist(k))))
            for k in self.request.query_params
            if k not in self.IGNORED_PARAMS
        )
        scope = (type(self.view).__name__, user.pk, user.role_id, user.branch_id, params)
        digest = hashlib.sha256(repr(scope).encode()).hexdigest()[:32]
        return f"renewals:count:v{dashboard_cache_version()}:{digest}"

    def count(self, queryset: QuerySet) -> int:
        counted = queryset.order_by()
        key = self._count_key()
        total = cache.get(key)
        if total is None:
            total = counted.count()
            cache.set(key, total, COUNT_CACHE_SECONDS)
        return total


class CaseViewSet(viewsets.GenericViewSet):
    """GET/POST /cases, GET/PUT /cases/{id} and the case actions."""

    permission_classes = [IsAuthenticated, ModulePermission]
    module = modules.CASES
    pagination_class = CachedCountPagination
    pagination_items_key = "cases"
    filterset_class = CaseFilter
    serializer_class = s.CaseListSerializer
    queryset = RenewalCase.objects.none()

    def get_queryset(self) -> QuerySet[RenewalCase]:
        return selectors.case_list(user=self.request.user)

    def _case_id(self, pk: str) -> int:
        """The case's id if the caller may see it; 404 otherwise."""
        if not str(pk).isdigit() or not self.get_queryset().filter(pk=int(pk)).exists():
            raise Http404
        return int(pk)

    def _detail(self, case_id: int, *, status_code: int = 200) -> Response:
        """The detail body of a case the caller was already allowed to see or write (checked
        by `_case_id`, or just created): not re-read through the caller's scope."""
        case = selectors.case_detail_get(case_id=case_id)
        docs = selectors.case_documents(case_ids=[case.pk]).get(case.pk, [])
        data = s.CaseDetailSerializer(case, context={"documents": docs}).data
        return Response(data, status=status_code)

    @extend_schema(responses=s.CaseListSerializer(many=True), summary="List renewal cases")
    def list(self, request: Request) -> Response:
        qs = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(selectors.case_list_rows(qs))
        return self.get_paginated_response([s.case_list_item(row) for row in page])

    @extend_schema(responses=s.CaseDetailSerializer, summary="Case detail with timeline")
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(self._case_id(pk))

    @extend_schema(
        request=s.CaseCreateInputSerializer,
        responses={
            201: s.CaseDetailSerializer,
            400: OpenApiResponse(description="`validation_error`, `policy_not_found`."),
            403: OpenApiResponse(
                description="`permission_denied`; `forbidden`: an agent may only assign a new "
                "case to themselves."
            ),
            409: OpenApiResponse(description="`case_duplicate_open`: the term has an open case."),
        },
        summary="Open a case for an existing policy",
    )
    def create(self, request: Request) -> Response:
        payload = s.CaseCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        policy = selectors.policy_find(
            user=request.user,
            policy_id=data.get("policy_id"),
            policy_number=data.get("policy_number"),
        )
        case = services.case_create(
            policy_id=policy.pk,
            actor=request.user,
            priority=data["priority"],
            assigned_to_id=data.get("assigned_to"),
            renewal_amount=data.get("renewal_amount"),
            renewal_date=data.get("renewal_date"),
            notes=data.get("notes", ""),
        )
        return self._detail(case.pk, status_code=201)

    @extend_schema(
        request=s.CaseUpdateInputSerializer,
        responses={
            200: s.CaseDetailSerializer,
            400: OpenApiResponse(description="`validation_error`, `case_lost_reason_required`."),
            409: TRANSITION_409,
        },
        summary="Update status, payment fields, priority or notes",
    )
    def update(self, request: Request, pk: str) -> Response:
        case_id = self._case_id(pk)
        payload = s.CaseUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.case_update(case_id=case_id, actor=request.user, data=payload.validated_data)
        return self._detail(case_id)

    @extend_schema(
        request=s.CaseAssignInputSerializer,
        responses={
            200: s.CaseDetailSerializer,
            400: OpenApiResponse(description="`validation_error`, `case_assignee_invalid`."),
            403: OpenApiResponse(description="`permission_denied`, `case_assign_forbidden`."),
            409: CLOSED_409,
        },
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        case_id = self._case_id(pk)
        payload = s.CaseAssignInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.case_assign(
            case_id=case_id,
            actor=request.user,
            assigned_to_id=payload.validated_data["assigned_to"],
            notes=payload.validated_data["notes"],
        )
        return self._detail(case_id)

    @extend_schema(
        request=s.CaseEscalateInputSerializer,
        responses={
            200: s.CaseDetailSerializer,
            400: OpenApiResponse(
                description="`validation_error`, `case_escalation_target_invalid`."
            ),
            409: CLOSED_409,
        },
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str) -> Response:
        case_id = self._case_id(pk)
        payload = s.CaseEscalateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.case_escalate(
            case_id=case_id,
            actor=request.user,
            escalated_to_id=payload.validated_data["escalated_to"],
            reason=payload.validated_data["reason"],
            priority=payload.validated_data.get("priority"),
        )
        return self._detail(case_id)

    @extend_schema(request=s.CaseNoteInputSerializer, responses={201: s.CaseNoteSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str) -> Response:
        case_id = self._case_id(pk)
        payload = s.CaseNoteInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        event = services.case_note_add(
            case_id=case_id, actor=request.user, note=payload.validated_data["note"]
        )
        event.actor = request.user
        return Response(s.timeline_entry(event), status=201)

    @extend_schema(
        request=s.ContactAttemptInputSerializer,
        responses={201: s.CaseDetailSerializer, 409: CLOSED_409},
    )
    @action(detail=True, methods=["post"], url_path="contact-attempts")
    def contact_attempts(self, request: Request, pk: str) -> Response:
        case_id = self._case_id(pk)
        payload = s.ContactAttemptInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.case_contact_attempt_record(
            case_id=case_id, actor=request.user, **payload.validated_data
        )
        return self._detail(case_id, status_code=201)

    @extend_schema(
        request=s.PaymentInputSerializer,
        responses={
            201: s.PaymentResultSerializer,
            200: s.PaymentResultSerializer,
            400: OpenApiResponse(description="`validation_error`, `payment_invalid`."),
            409: OpenApiResponse(
                description="`case_closed`. A reference already recorded on this case answers "
                "200 with that payment; references are compared only within the case."
            ),
        },
        summary="Record a payment (201; 200 when the reference was already recorded)",
    )
    @action(detail=True, methods=["post"])
    def payments(self, request: Request, pk: str) -> Response:
        case_id = self._case_id(pk)
        payload = s.PaymentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        payment, created = services.payment_record(
            case_id=case_id, actor=request.user, **payload.validated_data
        )
        case = selectors.case_list_item_get(case_id=case_id)
        return Response(
            {
                "payment": s.PaymentSerializer(payment).data,
                "created": created,
                "case": s.CaseListSerializer(case).data,
            },
            status=201 if created else 200,
        )

    @extend_schema(
        request=s.CaseReopenInputSerializer,
        responses={
            200: s.CaseDetailSerializer,
            403: OpenApiResponse(description="`permission_denied`, `case_reopen_forbidden`."),
            409: OpenApiResponse(
                description="`case_invalid_transition` (not closed), `case_duplicate_open`."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        case_id = self._case_id(pk)
        payload = s.CaseReopenInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.case_reopen(
            case_id=case_id, actor=request.user, reason=payload.validated_data["reason"]
        )
        return self._detail(case_id)

    @extend_schema(request=s.BulkAssignInputSerializer, responses=s.BulkAssignResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-assign")
    def bulk_assign(self, request: Request) -> Response:
        payload = s.BulkAssignInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        qs = self.get_queryset().select_related(None)
        if data.get("case_ids"):
            qs = qs.filter(pk__in=data["case_ids"])
        else:
            flt = CaseFilter(data=data["filter"], queryset=qs, request=request)
            if not flt.is_valid():
                raise serializers.ValidationError({"filter": flt.errors})
            qs = flt.qs
        ids = selectors.case_ids_for_bulk_assign(queryset=qs)
        result = services.case_bulk_assign(
            actor=request.user,
            case_ids=ids,
            assigned_to_id=data.get("assigned_to"),
            agent_ids=data.get("agent_ids"),
        )
        result["matched"] = len(ids)
        result["assignments"] = {str(k): v for k, v in result["assignments"].items()}
        return Response(result)


class CustomerViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ModulePermission]
    module = modules.CASES
    pagination_items_key = "customers"
    filterset_class = CustomerFilter
    serializer_class = s.CustomerSerializer
    queryset = Customer.objects.none()

    def get_queryset(self) -> QuerySet:
        return selectors.customer_list(user=self.request.user).order_by("-created_at", "-id")

    @extend_schema(responses=s.CustomerDetailSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        if not str(pk).isdigit():
            raise Http404
        try:
            customer = selectors.customer_detail_get(user=request.user, customer_id=int(pk))
        except Customer.DoesNotExist as exc:
            raise Http404 from exc
        return Response(s.CustomerDetailSerializer(customer).data)


class PolicyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ModulePermission]
    module = modules.CASES
    pagination_items_key = "policies"
    filterset_class = PolicyFilter
    serializer_class = s.PolicySerializer
    queryset = Policy.objects.none()

    def get_queryset(self) -> QuerySet:
        return selectors.policy_list(user=self.request.user).order_by("-created_at", "-id")

    @extend_schema(responses=s.PolicyDetailSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        if not str(pk).isdigit():
            raise Http404
        try:
            policy, cases = selectors.policy_detail_get(user=request.user, policy_id=int(pk))
        except Policy.DoesNotExist as exc:
            raise Http404 from exc
        return Response(s.PolicyDetailSerializer(policy, context={"cases": cases}).data)


class BranchListView(APIView):
    permission_classes = [IsAuthenticated, ModulePermission]
    module = modules.CASES

    @extend_schema(responses=s.BranchSerializer(many=True), summary="All branches")
    def get(self, request: Request) -> Response:
        return Response([s.BranchSerializer(b).data for b in selectors.branch_list()])


WEBHOOK_DESCRIPTION = """The payment gateway's signed events. No user authentication: every request
is signed with the shared secret PAYMENT_WEBHOOK_SECRET.

Signature scheme (replay-protected):

1. The gateway takes the current unix time in seconds, `ts`, and sends it in
   `X-Signature-Timestamp`.
2. It computes `HMAC-SHA256(secret, ts + "." + raw_body)` over the exact bytes of the body and
   sends the 64 lowercase or uppercase hex digits in `X-Signature` (`sha256=` prefix allowed).
3. The server answers 401 `webhook_signature_invalid` when no secret is configured, when either
   header is missing or malformed (the signature must be 64 hex digits, the timestamp ASCII
   digits), when `ts` is more than PAYMENT_WEBHOOK_TOLERANCE_SECONDS (default 300) away from the
   server's clock, or when the signature does not match (compared in constant time).

Events are idempotent on the gateway's `reference`: a redelivery answers `duplicate`."""


class PaymentWebhookView(APIView):
    """POST /webhooks/payments: the gateway's signed payment events (no user auth)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        request=s.PaymentWebhookInputSerializer,
        responses={
            200: s.PaymentWebhookResultSerializer,
            401: OpenApiResponse(
                description="`webhook_signature_invalid`: no secret configured, or the "
                "signature or timestamp is missing, malformed, outside the tolerance or wrong."
            ),
        },
        parameters=[
            OpenApiParameter(
                services.payments.SIGNATURE_HEADER,
                location=OpenApiParameter.HEADER,
                required=True,
                description="64 hex digits: HMAC-SHA256, keyed with PAYMENT_WEBHOOK_SECRET, of "
                "`<X-Signature-Timestamp>.<raw body>` (optionally prefixed `sha256=`).",
            ),
            OpenApiParameter(
                services.payments.TIMESTAMP_HEADER,
                location=OpenApiParameter.HEADER,
                required=True,
                description="Unix seconds when the gateway signed the request; refused when "
                "more than PAYMENT_WEBHOOK_TOLERANCE_SECONDS (default 300) from the server's "
                "clock.",
            ),
        ],
        summary="Payment gateway webhook",
        description=WEBHOOK_DESCRIPTION,
    )
    def post(self, request: Request) -> Response:
        body = request.body  # raw bytes, read before DRF parses them
        services.webhook_signature_verify(
            body=body,
            signature=request.headers.get(services.payments.SIGNATURE_HEADER, ""),
            timestamp=request.headers.get(services.payments.TIMESTAMP_HEADER, ""),
        )
        try:
            raw = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise WebhookPayloadInvalidError() from exc
        if not isinstance(raw, dict):
            raise WebhookPayloadInvalidError()
        payload = s.PaymentWebhookInputSerializer(data=raw)
        if not payload.is_valid():
            raise WebhookPayloadInvalidError(details=payload.errors)
        event = {**payload.validated_data, "raw": raw}
        return Response(services.payment_webhook_process(event=event))


class DashboardBaseView(APIView):
    permission_classes = [IsAuthenticated, ModulePermission]
    module = modules.DASHBOARD
    default_range = ""

    def params(self, request: Request) -> selectors.DashboardParams:
        query = s.DashboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.dashboard_params(**query.validated_data, default_range=self.default_range)


DASHBOARD_PARAMS = [
    OpenApiParameter(
        "date_range",
        str,
        enum=["", "week", "month", "custom"],
        description="Empty: the endpoint's default range (all time; trends: week).",
    ),
    OpenApiParameter(
        "start_date", str, description="YYYY-MM-DD, required for custom (alone: implies it)"
    ),
    OpenApiParameter("end_date", str, description="YYYY-MM-DD, required for custom"),
    OpenApiParameter("policy_type", str, enum=["all", *Policy.PolicyType.values]),
    OpenApiParameter(
        "case_status",
        str,
        enum=[
            "all",
            "new",
            "in_progress",
            "pending_payment",
            "renewed",
            "lapsed",
            "lost",
            "failed",
            "resolved",
            "open",
            "closed",
        ],
    ),
]


class DashboardStatsView(DashboardBaseView):
    @extend_schema(parameters=DASHBOARD_PARAMS, responses=s.DashboardStatsSerializer)
    def get(self, request: Request) -> Response:
        return Response(selectors.dashboard_stats(user=request.user, params=self.params(request)))


class DashboardTrendsView(DashboardBaseView):
    default_range = "week"

    @extend_schema(parameters=DASHBOARD_PARAMS, responses=s.DashboardTrendSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(selectors.dashboard_trends(user=request.user, params=self.params(request)))


class DashboardBatchStatusView(DashboardBaseView):
    @extend_schema(
        parameters=[
            *DASHBOARD_PARAMS,
            OpenApiParameter("limit", int, description="Latest N batches (default 10, max 100)"),
        ],
        responses=s.DashboardBatchSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        limit_raw = request.query_params.get("limit", "10")
        if not limit_raw.isdigit() or not 1 <= int(limit_raw) <= 100:
            raise serializers.ValidationError({"limit": ["An integer from 1 to 100."]})
        return Response(
            selectors.dashboard_batch_status(
                user=request.user, params=self.params(request), limit=int(limit_raw)
            )
        )


__all__ = [
    "BranchListView",
    "CaseViewSet",
    "CustomerViewSet",
    "DashboardBatchStatusView",
    "DashboardStatsView",
    "DashboardTrendsView",
    "PaymentWebhookView",
    "PolicyViewSet",
]
