"""FilterSet of GET /upload/batches: the spec's page/limit/status plus uploader and dates.

`status` matches exactly (the spec's `completed` is every completed batch, failed rows or
not); the finer `stage` and `has_errors` are fields of each item, not filters.
"""

from django.db.models import QuerySet
from django_filters import rest_framework as filters

from uploads.models import UploadBatch


class UploadBatchFilter(filters.FilterSet):
    status = filters.CharFilter(
        method="filter_status",
        help_text="all, or one status (comma-separated for several), matched exactly: "
        + ", ".join(value for value, _label in UploadBatch.Status.choices)
        + ". A completed batch may have failed rows (`has_errors`, `failed_records`).",
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
        return queryset.filter(status__in=values)

    def filter_uploaded_by(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "me":
            return queryset.filter(uploaded_by=self.request.user)
        if not value.isdigit():
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"uploaded_by": ["A user id or `me`."]})
        return queryset.filter(uploaded_by_id=int(value))
