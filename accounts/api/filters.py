"""Filters of GET /users: role, status, department, branch, search, ordering."""

import django_filters
from django.db.models import Q, QuerySet

from accounts.models import User


class UserFilter(django_filters.FilterSet):
    role = django_filters.CharFilter(field_name="role__name", help_text="Role name, e.g. agent.")
    status = django_filters.ChoiceFilter(choices=User.Status.choices)
    department = django_filters.CharFilter(field_name="department", lookup_expr="iexact")
    branch_id = django_filters.NumberFilter(field_name="branch_id")
    is_staff = django_filters.BooleanFilter()
    mfa_enabled = django_filters.BooleanFilter()
    search = django_filters.CharFilter(
        method="filter_search", help_text="Part of the email, first or last name."
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("id", "id"),
            ("email", "email"),
            ("last_name", "last_name"),
            ("first_name", "first_name"),
            ("created_at", "created_at"),
            ("last_login", "last_login"),
        )
    )

    class Meta:
        model = User
        fields = ["role", "status", "department", "branch_id", "is_staff", "mfa_enabled"]

    def filter_search(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        value = value.strip()
        if not value:
            return queryset
        query = Q()
        for term in value.split():
            query &= (
                Q(email__icontains=term)
                | Q(first_name__icontains=term)
                | Q(last_name__icontains=term)
            )
        return queryset.filter(query)
