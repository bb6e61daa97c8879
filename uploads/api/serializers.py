"""Shapes of the upload endpoints (the spec's field names)."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from intelipro.api.fields import StrictCharField
from uploads.models import UploadBatch
from uploads.services import policy_types_allowed

HAS_ERRORS_HELP = "Some rows failed (`failed_records` > 0; see errors.csv)."


class UploadBatchCreateInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The renewal file: .csv or .xlsx.")
    policy_type = serializers.ChoiceField(
        choices=[], help_text="The file's line of business, or `mixed` (per-row policy_type)."
    )
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="Validate and match only; write nothing."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["policy_type"].choices = policy_types_allowed()

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "get") and isinstance(data.get("policy_type"), str):
            data = data.copy() if hasattr(data, "copy") else dict(data)
            data["policy_type"] = data["policy_type"].strip().lower()
        return super().to_internal_value(data)


class UploadBatchCreatedSerializer(serializers.Serializer):
    batch_id = serializers.IntegerField(source="pk")
    file_name = StrictCharField()
    total_records = serializers.IntegerField()
    status = StrictCharField()
    dry_run = serializers.BooleanField()


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = StrictCharField(source="full_name")
    email = serializers.EmailField()


class UploadBatchSerializer(serializers.ModelSerializer):
    uploaded_by = UserBriefSerializer(allow_null=True)
    progress = serializers.IntegerField(source="progress_percent")
    has_errors = serializers.BooleanField(read_only=True, help_text=HAS_ERRORS_HELP)

    class Meta:
        model = UploadBatch
        fields = [
            "id",
            "file_name",
            "file_format",
            "policy_type",
            "status",
            "stage",
            "has_errors",
            "dry_run",
            "total_records",
            "processed_records",
            "successful_records",
            "failed_records",
            "error_count",
            "progress",
            "uploaded_by",
            "created_at",
            "started_at",
            "finished_at",
        ]


class UploadErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Data row number, 1-based after the header.")
    column = StrictCharField()
    value = StrictCharField(allow_blank=True)
    error = StrictCharField()
    code = StrictCharField(
        required=False,
        help_text="Only on rows refused after validation: `out_of_scope` (the row touches a "
        "policy, customer or branch outside the uploader's scope; nothing of it was changed).",
    )


class UploadSummarySerializer(serializers.Serializer):
    customers_new = serializers.IntegerField(default=0)
    customers_changed = serializers.IntegerField(default=0)
    policies_new = serializers.IntegerField(default=0)
    policies_changed = serializers.IntegerField(default=0)
    policies_unchanged = serializers.IntegerField(default=0)
    cases_new = serializers.IntegerField(default=0)
    cases_existing = serializers.IntegerField(default=0)
    premium_change_max_percent = serializers.FloatField(default=0)
    premium_change_total = serializers.DecimalField(
        max_digits=16, decimal_places=2, default=0, coerce_to_string=False
    )


class UploadApprovalSerializer(serializers.Serializer):
    required = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.DictField())
    reviewed_by = UserBriefSerializer(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    note = StrictCharField(allow_blank=True)


class UploadBatchStatusSerializer(serializers.ModelSerializer):
    """The spec's status shape plus what a client needs to explain it."""

    errors = serializers.SerializerMethodField()
    errors_truncated = serializers.SerializerMethodField()
    progress = serializers.IntegerField(source="progress_percent")
    has_errors = serializers.BooleanField(read_only=True, help_text=HAS_ERRORS_HELP)
    summary = serializers.SerializerMethodField()
    approval = serializers.SerializerMethodField()
    uploaded_by = UserBriefSerializer(allow_null=True)

    class Meta:
        model = UploadBatch
        fields = [
            "id",
            "status",
            "stage",
            "has_errors",
            "total_records",
            "processed_records",
            "successful_records",
            "failed_records",
            "errors",
            "error_count",
            "errors_truncated",
            "progress",
            "file_name",
            "file_format",
            "policy_type",
            "dry_run",
            "summary",
            "approval",
            "failure_reason",
            "uploaded_by",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def _limit(self) -> int:
        return int(self.context.get("errors_limit", settings.UPLOAD_STATUS_ERRORS_LIMIT))

    @staticmethod
    def _entry(entry: dict[str, Any]) -> dict[str, Any]:
        out = {
            "row": entry.get("row"),
            "column": entry.get("column", ""),
            "value": entry.get("value", ""),
            "error": entry.get("error", ""),
        }
        if entry.get("code"):
            out["code"] = entry["code"]
        return out

    @extend_schema_field(UploadErrorSerializer(many=True))
    def get_errors(self, batch: UploadBatch) -> list[dict[str, Any]]:
        return [self._entry(e) for e in (batch.error_log or [])[: self._limit()]]

    @extend_schema_field(serializers.BooleanField())
    def get_errors_truncated(self, batch: UploadBatch) -> bool:
        return batch.error_count > min(self._limit(), len(batch.error_log or []))

    @extend_schema_field(UploadSummarySerializer())
    def get_summary(self, batch: UploadBatch) -> dict[str, Any]:
        data = {k: v for k, v in (batch.summary or {}).items() if k != "round_robin"}
        return UploadSummarySerializer(data).data

    @extend_schema_field(UploadApprovalSerializer())
    def get_approval(self, batch: UploadBatch) -> dict[str, Any]:
        reviewer = batch.reviewed_by
        return {
            "required": bool(batch.approval_reasons),
            "reasons": batch.approval_reasons or [],
            "reviewed_by": UserBriefSerializer(reviewer).data if reviewer else None,
            "reviewed_at": serializers.DateTimeField().to_representation(batch.reviewed_at)
            if batch.reviewed_at
            else None,
            "note": batch.review_note,
        }


class UploadBatchReviewInputSerializer(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, max_length=2000, default="")
    reason = StrictCharField(
        required=False, allow_blank=True, max_length=2000, help_text="Alias of note (reject)."
    )


class UploadTemplateQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["csv", "xlsx"], required=False, default="csv")
