"""FilterSets of the renewals API: the spec's query parameters, plus a few more."""

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from intelipro.api.filters import filter_by_assignee
from renewals import lifecycle
from renewals.models import Customer, Policy, RenewalCase
from renewals.selectors import customer_search_q

STATUS_CHOICES = [
    ("all", "All"),
    *lifecycle.Status.choices,
    ("open", "Open (new, in progress, pending payment, failed)"),
    ("closed", "Closed (renewed, lost, lapsed)"),
    ("resolved", "Resolved (same as closed)"),
    ("pending", "Pending payment"),
]
PRIORITY_CHOICES = [("all", "All"), *lifecycle.Priority.choices]
POLICY_TYPE_CHOICES = [("all", "All"), *Policy.PolicyType.choices]


# A search matching more policies than this falls back to a sub-select instead of a literal
# id list (broad terms such as one letter).
SEARCH_ID_LIMIT = 5000


def matching_policy_ids(value: str) -> list[int] | QuerySet:
    """Ids of policies whose number or customer matches `value`.

    Resolved in two small queries first, so each uses its own trigram index and the case
    query becomes `case_number LIKE ... OR policy_id IN (<ids>)` — a BitmapOr of two index
    scans. (Written as one statement, PostgreSQL plans the OR of sub-selects as a filter
    over every case.)
    """
    customers = list(
        Customer.objects.filter(customer_search_q(value)).values_list("pk", flat=True)[
            : SEARCH_ID_LIMIT + 1
        ]
    )
    policy_q = Q(policy_number__icontains=value)
    if len(customers) > SEARCH_ID_LIMIT:
        policy_q |= Q(
            customer_id__in=Customer.objects.filter(customer_search_q(value)).values("pk")
        )
    elif customers:
        policy_q |= Q(customer_id__in=customers)
    ids = list(Policy.objects.filter(policy_q).values_list("pk", flat=True)[: SEARCH_ID_LIMIT + 1])
    if len(ids) > SEARCH_ID_LIMIT:
        return Policy.objects.filter(policy_q).values("pk")
    return ids


class CaseFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=STATUS_CHOICES, method="filter_status")
    priority = filters.ChoiceFilter(choices=PRIORITY_CHOICES, method="filter_priority")
    assigned_to = filters.CharFilter(
        method="filter_assigned_to",
        help_text="A user id, `me`, or `unassigned`.",
    )
    search = filters.CharFilter(
        method="filter_search",
        help_text=(
            "Case number, policy number or customer name (substring; every word must match the "
            "first or last name), or the customer's exact email or phone number. Email and "
            "phone are encrypted at rest, so they match only as a whole: email "
            "case-insensitively, phone after normalization to E.164 (numbers without a "
            "country code are read in the default region), e.g. `+91 98123 45678` or "
            "`09812345678`."
        ),
    )
    policy_type = filters.ChoiceFilter(choices=POLICY_TYPE_CHOICES, method="filter_policy_type")
    branch = filters.NumberFilter(field_name="policy__branch_id", help_text="Branch id.")
    batch_id = filters.NumberFilter(field_name="batch_id")
    policy_id = filters.NumberFilter(field_name="policy_id")
    customer_id = filters.NumberFilter(field_name="policy__customer_id")
    escalated = filters.BooleanFilter(field_name="escalated_at", lookup_expr="isnull", exclude=True)
    renewal_date_from = filters.DateFilter(field_name="renewal_date", lookup_expr="gte")
    renewal_date_to = filters.DateFilter(field_name="renewal_date", lookup_expr="lte")
    created_from = filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_to = filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    sort_by = filters.ChoiceFilter(
        choices=[
            ("created_at", "created_at"),
            ("renewal_date", "renewal_date"),
            ("priority", "priority"),
        ],
        method="filter_noop",
    )
    sort_order = filters.ChoiceFilter(
        choices=[("asc", "asc"), ("desc", "desc")], method="filter_noop"
    )

    class Meta:
        model = RenewalCase
        fields: list[str] = []

    def filter_noop(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied in filter_queryset so it also covers the default order

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        statuses = lifecycle.statuses_for_filter(value)
        return queryset if statuses is None else queryset.filter(status__in=sorted(statuses))

    def filter_priority(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset if value == "all" else queryset.filter(priority=value)

    def filter_policy_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset if value == "all" else queryset.filter(policy__policy_type=value)

    def filter_assigned_to(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return filter_by_assignee(queryset, value, user_id=self.request.user.pk)

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(case_number__icontains=value) | Q(policy_id__in=matching_policy_ids(value))
        )

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        sort_by = self.form.cleaned_data.get("sort_by") or "created_at"
        desc = (self.form.cleaned_data.get("sort_order") or "desc") == "desc"
        sign = "-" if desc else ""
        if sort_by == "priority":
            # priority_rank is a generated column (low=1 .. urgent=4) with its own index.
            return queryset.order_by(f"{sign}priority_rank", f"{sign}created_at", f"{sign}id")
        return queryset.order_by(f"{sign}{sort_by}", f"{sign}id")


class PolicyFilter(filters.FilterSet):
    policy_type = filters.ChoiceFilter(choices=POLICY_TYPE_CHOICES, method="filter_policy_type")
    status = filters.ChoiceFilter(
        choices=[("all", "All"), *Policy.Status.choices], method="filter_status"
    )
    customer_id = filters.NumberFilter(field_name="customer_id")
    branch = filters.NumberFilter(field_name="branch_id")
    agent_id = filters.NumberFilter(field_name="agent_id")
    renewal_date_from = filters.DateFilter(field_name="renewal_date", lookup_expr="gte")
    renewal_date_to = filters.DateFilter(field_name="renewal_date", lookup_expr="lte")
    search = filters.CharFilter(method="filter_search", help_text="Policy number or customer.")

    class Meta:
        model = Policy
        fields: list[str] = []

    def filter_policy_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset if value == "all" else queryset.filter(policy_type=value)

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset if value == "all" else queryset.filter(status=value)

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        customers = Customer.objects.filter(customer_search_q(value)).values("pk")
        return queryset.filter(Q(policy_number__icontains=value) | Q(customer_id__in=customers))


class CustomerFilter(filters.FilterSet):
    kyc_status = filters.ChoiceFilter(choices=Customer.KycStatus.choices)
    search = filters.CharFilter(
        method="filter_search",
        help_text=(
            "Customer code or name (substring), or the exact email or phone number (encrypted "
            "at rest: whole value only; email case-insensitive, phone normalized to E.164)."
        ),
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(customer_search_q(value) | Q(customer_code__icontains=value))
