"""The project's filter backend: django-filter, strict where it is lenient by default.

django-filter drops a value it cannot use instead of refusing it: `?escalated=maybe` lists
everything, and an id beyond the database's integer range reaches SQL and fails there. A REST
client that mistyped a filter should hear so. This backend answers 400 `validation_error`
for a boolean that is not `true`/`false`, a non-integral or out-of-range value for an integer
column, on top of django-filter's own form validation. An empty value still means "no
filter", as a cleared form field sends it (the schema hook documents it for every optional
query parameter: intelipro/api/schema.py).
"""

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django_filters import filters
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import get_model_field
from rest_framework.exceptions import ValidationError

BOOLEAN_VALUES = {"true", "false"}
# PostgreSQL bigint, the widest integer column of the project (SQLite's INTEGER is the same).
INTEGER_MIN, INTEGER_MAX = -(2**63), 2**63 - 1


def _is_integer_column(model: type[models.Model], field_name: str) -> bool:
    field = get_model_field(model, field_name)
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    return isinstance(field, models.IntegerField | models.AutoField)


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request: Any, queryset: QuerySet, view: Any) -> QuerySet:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is not None:
            self._check_values(filterset, queryset.model)
        return super().filter_queryset(request, queryset, view)

    def _check_values(self, filterset: Any, model: type[models.Model]) -> None:
        errors: dict[str, list[str]] = {}
        for name, filter_field in filterset.filters.items():
            raw = filterset.data.get(name)
            if raw in (None, ""):
                continue
            if isinstance(filter_field, filters.BooleanFilter):
                if str(raw).lower() not in BOOLEAN_VALUES:
                    errors[name] = ["Must be true or false."]
            elif isinstance(filter_field, filters.NumberFilter) and _is_integer_column(
                model, filter_field.field_name
            ):
                try:
                    value = Decimal(str(raw))
                except ArithmeticError:
                    continue  # django-filter's form reports it
                if not value.is_finite() or value != value.to_integral_value():
                    errors[name] = ["Must be a whole number."]
                elif not INTEGER_MIN <= value <= INTEGER_MAX:
                    errors[name] = ["Out of range."]
        if errors:
            raise ValidationError(errors)


def filter_by_assignee(queryset: QuerySet, value: str, *, user_id: int) -> QuerySet:
    """The `assigned_to` query parameter every assignable list shares: a user id, `me`,
    `unassigned`, or `all`/empty for no filter; anything else is a 400."""
    value = value.strip()
    if value in ("", "all"):
        return queryset
    if value == "unassigned":
        return queryset.filter(assigned_to__isnull=True)
    if value == "me":
        return queryset.filter(assigned_to=user_id)
    if not value.isdigit():
        raise ValidationError({"assigned_to": ["A user id, `me` or `unassigned`."]})
    return queryset.filter(assigned_to=int(value))
