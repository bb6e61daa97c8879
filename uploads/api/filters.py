"""FilterSet of GET /upload/batches: the spec's page/limit/status plus uploader and dates."""

from django.db.models import QuerySet
from django_filters import rest_framework as filters

from uploads.models import UploadBatch

STATUS_CHOICES = [("all", "All"), *UploadBatch.Status.choices]
# The spec's filter values name outcomes a client cares about: a file that finished with a
# few bad rows is "completed", one still queued or being validated is "processing".
STATUS_GROUPS = {
    UploadBatch.Status.COMPLETED: [
        UploadBatch.Status.COMPLETED,
        UploadBatch.Status.COMPLETED_WITH_ERRORS,
    ],
    UploadBatch.Status.PROCESSING: [
        UploadBatch.Status.PENDING,
        UploadBatch.Status.VALIDATING,
        UploadBatch.Status.PROCESSING,
    ],
}


class UploadBatchFilter(filters.FilterSet):
    status = filters.CharFilter(
        method="filter_status",
        help_text="all, or one status (comma-separated for several): "
        + ", ".join(value for value, _label in UploadBatch.Status.choices)
        + ". `completed` includes completed_with_errors; `processing` includes pending and "
        "validating.",
    )
    uploaded_by = filters.CharFilter(method="filter_uploaded_by", help_text="A user id or `me`.")
    dry_run = filters.BooleanFilter(field_name="dry_run")
    created_from = filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_to = filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = UploadBatch
        fields = ["status", "uploaded_by", "dry_run", "created_from", "created_to"]

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        values = {v.strip() for v in value.split(",") if v.strip()}
        if not values or "all" in values:
            return queryset
        known = set(UploadBatch.Status.values)
        unknown = sorted(values - known)
        if unknown:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"status": [f"Unknown status: {', '.join(unknown)}."]})
        expanded = {member for v in values for member in STATUS_GROUPS.get(v, [v])}
        return queryset.filter(status__in=expanded)

    def filter_uploaded_by(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "me":
            return queryset.filter(uploaded_by=self.request.user)
        if not value.isdigit():
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"uploaded_by": ["A user id or `me`."]})
        return queryset.filter(uploaded_by_id=int(value))
