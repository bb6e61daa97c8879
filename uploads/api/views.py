"""Upload API: thin views — parse input, call one service or selector, format the result."""

from typing import Any

from django.http import Http404, HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import modules
from accounts.permissions import ModulePermission
from core.downloads import content_disposition
from intelipro.api.throttling import GeneralRateThrottle, UploadRateThrottle
from uploads import exports, selectors, services
from uploads.api import serializers as s
from uploads.api.filters import UploadBatchFilter
from uploads.models import UploadBatch


class IgnoreFormatNegotiation(DefaultContentNegotiation):
    """`?format=` is our own parameter here (template format), not DRF's renderer switch;
    errors are always JSON in the envelope."""

    def select_renderer(self, request: Request, renderers: list, format_suffix: Any = None):
        renderer = renderers[0]
        return renderer, renderer.media_type


class UploadView(APIView):
    permission_classes = [IsAuthenticated, ModulePermission]
    module = modules.UPLOAD

    def batch_or_404(self, request: Request, pk: str) -> UploadBatch:
        batch = selectors.upload_batch_get(user=request.user, batch_id=int(pk))
        if batch is None:
            raise Http404
        return batch


class UploadBatchCreateView(UploadView):
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [GeneralRateThrottle, UploadRateThrottle]

    @extend_schema(
        operation_id="upload_batch_create",
        summary="Upload a renewal file (CSV/XLSX) as a new batch",
        description=(
            "Checks size, real type (zip/xlsx structure, macros, encryption, zip bombs), the "
            "header row and the row limit before anything is stored; refused files answer 400 "
            "with a specific `upload_*` code. The batch is then processed in the background."
        ),
        request={"multipart/form-data": s.UploadBatchCreateInputSerializer},
        responses={201: s.UploadBatchCreatedSerializer},
        tags=["upload"],
    )
    def post(self, request: Request) -> Response:
        payload = s.UploadBatchCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        batch = services.upload_batch_create(
            file=upload,
            file_name=upload.name,
            size=upload.size,
            policy_type=payload.validated_data["policy_type"],
            dry_run=payload.validated_data["dry_run"],
            uploaded_by=request.user,
        )
        return Response(s.UploadBatchCreatedSerializer(batch).data, status=201)


@extend_schema_view(
    get=extend_schema(
        operation_id="upload_batch_list", summary="Upload batches, newest first", tags=["upload"]
    )
)
class UploadBatchListView(generics.ListAPIView):
    permission_classes = [IsAuthenticated, ModulePermission]
    module = modules.UPLOAD
    serializer_class = s.UploadBatchSerializer
    filterset_class = UploadBatchFilter
    pagination_items_key = "batches"

    def get_queryset(self):
        return selectors.upload_batch_list(user=self.request.user)


class UploadBatchStatusView(UploadView):
    @extend_schema(
        operation_id="upload_batch_status",
        summary="Progress, counts and row errors of a batch",
        description="Poll until `status` is `completed` or `failed` (or `awaiting_approval` / "
        "`rejected` with maker-checker). A `completed` batch may have failed rows: "
        "`failed_records` > 0 and `has_errors` true, listed in `errors` and errors.csv. "
        "`stage` (`queued`, `validating`, `validated`, `writing`, `done`) is the finer state "
        "for progress displays; clients should not need it to decide that a batch is over.",
        parameters=[
            OpenApiParameter(
                "errors_limit",
                OpenApiTypes.INT,
                description="How many errors to list (default UPLOAD_STATUS_ERRORS_LIMIT, "
                "max 1000); `error_count` is always complete.",
            )
        ],
        responses={200: s.UploadBatchStatusSerializer},
        tags=["upload"],
    )
    def get(self, request: Request, pk: str) -> Response:
        batch = self.batch_or_404(request, pk)
        context: dict[str, Any] = {"request": request}
        raw_limit = request.query_params.get("errors_limit", "")
        if raw_limit.isdigit():
            context["errors_limit"] = min(int(raw_limit), 1000)
        return Response(s.UploadBatchStatusSerializer(batch, context=context).data)


class UploadBatchErrorsCsvView(UploadView):
    content_negotiation_class = IgnoreFormatNegotiation

    @extend_schema(
        operation_id="upload_batch_errors_csv",
        summary="The rejected rows as uploaded plus an `error` column (CSV)",
        responses={(200, "text/csv"): OpenApiResponse(response=OpenApiTypes.BINARY)},
        tags=["upload"],
    )
    def get(self, request: Request, pk: str) -> StreamingHttpResponse:
        batch = self.batch_or_404(request, pk)
        response = StreamingHttpResponse(
            exports.errors_csv_iter(batch=batch), content_type="text/csv; charset=utf-8"
        )
        stem = batch.file_name.rsplit(".", 1)[0] or "batch"
        response["Content-Disposition"] = content_disposition(f"{stem}-errors.csv")
        return response


class UploadBatchActionView(UploadView):
    action_name = ""

    def run(self, request: Request, batch: UploadBatch, note: str) -> UploadBatch:
        raise NotImplementedError

    def post(self, request: Request, pk: str) -> Response:
        payload = s.UploadBatchReviewInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        note = payload.validated_data.get("note") or payload.validated_data.get("reason") or ""
        batch = self.batch_or_404(request, pk)
        batch = self.run(request, batch, note)
        batch.refresh_from_db()
        return Response(s.UploadBatchStatusSerializer(batch, context={"request": request}).data)


_ACTION_SCHEMA = {
    "request": s.UploadBatchReviewInputSerializer,
    "responses": {200: s.UploadBatchStatusSerializer},
    "tags": ["upload"],
}


class UploadBatchApproveView(UploadBatchActionView):
    @extend_schema(
        operation_id="upload_batch_approve",
        summary="Approve a batch awaiting approval (maker-checker)",
        **_ACTION_SCHEMA,
    )
    def post(self, request: Request, pk: str) -> Response:
        return super().post(request, pk)

    def run(self, request: Request, batch: UploadBatch, note: str) -> UploadBatch:
        return services.upload_batch_approve(batch_id=batch.pk, actor=request.user, note=note)


class UploadBatchRejectView(UploadBatchActionView):
    @extend_schema(
        operation_id="upload_batch_reject",
        summary="Reject a batch awaiting approval",
        **_ACTION_SCHEMA,
    )
    def post(self, request: Request, pk: str) -> Response:
        return super().post(request, pk)

    def run(self, request: Request, batch: UploadBatch, note: str) -> UploadBatch:
        return services.upload_batch_reject(batch_id=batch.pk, actor=request.user, note=note)


class UploadBatchRetryView(UploadBatchActionView):
    @extend_schema(
        operation_id="upload_batch_retry",
        summary="Resume a failed or stuck batch from its last committed chunk",
        **_ACTION_SCHEMA,
    )
    def post(self, request: Request, pk: str) -> Response:
        return super().post(request, pk)

    def run(self, request: Request, batch: UploadBatch, note: str) -> UploadBatch:
        return services.upload_batch_retry(batch_id=batch.pk, actor=request.user)


class UploadTemplateView(UploadView):
    content_negotiation_class = IgnoreFormatNegotiation

    @extend_schema(
        operation_id="upload_template",
        summary="Download the upload template (header row; XLSX adds an Instructions sheet)",
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "xlsx"], default="csv")
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(response=OpenApiTypes.BINARY),
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiResponse(response=OpenApiTypes.BINARY),
        },
        tags=["upload"],
    )
    def get(self, request: Request) -> HttpResponse:
        query = s.UploadTemplateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if query.validated_data["format"] == "xlsx":
            response = HttpResponse(
                exports.template_xlsx(),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            name = "renewal_upload_template.xlsx"
        else:
            response = HttpResponse(exports.template_csv(), content_type="text/csv; charset=utf-8")
            name = "renewal_upload_template.csv"
        response["Content-Disposition"] = content_disposition(name)
        return response
