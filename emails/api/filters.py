"""Filters of GET /emails: the spec's (status, category, assigned_to, date_from, date_to,
search) plus account, thread, customer, case, sentiment label and read status."""

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from emails.models import Email
from intelipro.api.filters import filter_by_assignee

STATUS_CHOICES = [("all", "All"), *Email.Status.choices]
CATEGORY_CHOICES = [("all", "All"), *Email.Category.choices]


class EmailFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=STATUS_CHOICES, method="filter_choice")
    category = filters.ChoiceFilter(choices=CATEGORY_CHOICES, method="filter_choice")
    assigned_to = filters.CharFilter(
        method="filter_assigned_to", help_text="A user id, `me`, or `unassigned`."
    )
    date_from = filters.DateFilter(field_name="received_at", lookup_expr="date__gte")
    date_to = filters.DateFilter(field_name="received_at", lookup_expr="date__lte")
    search = filters.CharFilter(
        method="filter_search",
        help_text="Substring of the subject, the plain-text body or the sender's address.",
    )
    account = filters.NumberFilter(field_name="account_id", help_text="Mailbox id.")
    thread_id = filters.CharFilter(field_name="thread_id")
    customer = filters.NumberFilter(field_name="customer_id", help_text="Customer id.")
    case = filters.NumberFilter(field_name="case_id", help_text="Renewal case id.")
    sentiment_label = filters.CharFilter(field_name="sentiment_label")
    read_status = filters.BooleanFilter(field_name="read_status")
    direction = filters.ChoiceFilter(choices=Email.Direction.choices, field_name="direction")

    class Meta:
        model = Email
        fields: list[str] = []

    def filter_choice(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset if value == "all" else queryset.filter(**{name: value})

    def filter_assigned_to(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return filter_by_assignee(queryset, value, user_id=self.request.user.pk)

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(subject__icontains=value)
            | Q(body_text__icontains=value)
            | Q(from_email__icontains=value)
        )
