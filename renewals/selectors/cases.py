"""Reads of cases, policies and customers: who may see which, and what lists fetch.

Scope (accounts.permissions.scope_queryset): admins see everything; managers everything,
or their branch's when they have one; agents and viewers see the cases assigned (or
escalated) to them, and the policies and customers of those cases (plus policies whose
agent they are). Out-of-scope rows are simply absent, so they answer 404.
"""

from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse

from accounts import modules
from accounts.permissions import scope_queryset
from core.fields import KeyedHashField
from core.formats import iso_datetime
from renewals.errors import PolicyNotFoundError
from renewals.models import CaseEvent, Customer, Payment, Policy, RenewalCase

if TYPE_CHECKING:
    from accounts.models import Branch, User


def sees_everything(user: "User | None") -> bool:
    """Admins, superusers and managers without a branch see every case, policy and customer."""
    if not (user and user.is_authenticated):
        return False
    if user.is_superuser or user.role_name == modules.ADMIN:
        return True
    return user.role_name == modules.MANAGER and not user.branch_id


def case_list(*, user: "User") -> QuerySet[RenewalCase]:
    """Cases `user` may see, with what a list row shows (policy, customer, assignee)."""
    # priority_rank is only sorted on in SQL; selecting it made Django rebuild and hash its
    # generated expression on every query (~5 ms of a 20 ms list request at 1M cases).
    qs = RenewalCase.objects.select_related("policy", "policy__customer", "assigned_to").defer(
        "priority_rank"
    )
    return scope_queryset(qs, user, assignee_field="assigned_to", branch_field="policy__branch")


# What a list row shows (serializers.case_list_item): fetched with .values(), no models.
CASE_LIST_FIELDS = (
    "id",
    "case_number",
    "policy_id",
    "policy__policy_number",
    "policy__policy_type",
    "policy__customer__first_name",
    "policy__customer__last_name",
    "status",
    "priority",
    "renewal_amount",
    "payment_status",
    "assigned_to_id",
    "assigned_to__first_name",
    "assigned_to__last_name",
    "assigned_to__email",
    "renewal_date",
    "created_at",
)


def case_list_rows(queryset: QuerySet[RenewalCase]) -> QuerySet[RenewalCase, dict[str, Any]]:
    """`case_list` (filtered, ordered) as the dicts a list page shows."""
    rows: QuerySet[RenewalCase, dict[str, Any]] = queryset.values(*CASE_LIST_FIELDS)
    return rows


def _with_detail(qs: QuerySet[RenewalCase]) -> QuerySet[RenewalCase]:
    return qs.select_related("escalated_to", "policy__branch", "batch").prefetch_related(
        Prefetch(
            "events",
            queryset=CaseEvent.objects.select_related("actor").order_by("created_at", "id"),
        ),
        Prefetch("payments", queryset=Payment.objects.order_by("-paid_at", "-id")),
    )


def case_get(*, user: "User", case_id: int) -> RenewalCase:
    """One case `user` may see, with everything its detail page shows; raises
    RenewalCase.DoesNotExist."""
    return _with_detail(case_list(user=user)).get(pk=case_id)


def case_detail_get(*, case_id: int) -> RenewalCase:
    """One case with everything its detail page shows, whoever asks.

    For the answer to a write the caller was allowed to make (a created case may be
    assigned to someone else and so be outside the creator's scope): never a visibility
    check by itself.
    """
    qs = RenewalCase.objects.select_related("policy", "policy__customer", "assigned_to")
    return _with_detail(qs.defer("priority_rank")).get(pk=case_id)


def case_list_item_get(*, case_id: int) -> RenewalCase:
    """One case with what a list row shows (policy, customer, assignee), whoever asks; the
    answer to a write the caller was allowed to make."""
    return (
        RenewalCase.objects.select_related("policy", "policy__customer", "assigned_to")
        .defer("priority_rank")
        .get(pk=case_id)
    )


# Bulk assignment by filter stops at this many cases: one request's worth of row locks
# (chunked in the service) and of ids held in memory.
BULK_ASSIGN_MAX_CASES = 50_000


def case_ids_for_bulk_assign(*, queryset: QuerySet[RenewalCase]) -> list[int]:
    """The ids of a (scoped, filtered) case queryset that one bulk assignment may touch."""
    return list(queryset.order_by().values_list("pk", flat=True)[:BULK_ASSIGN_MAX_CASES])


def policy_list(*, user: "User") -> QuerySet[Policy]:
    qs = Policy.objects.select_related("customer", "agent", "branch")
    if sees_everything(user):
        return qs
    own_cases = RenewalCase.objects.filter(assigned_to=user.pk, policy=OuterRef("pk"))
    return scope_queryset(
        qs, user, assignee_field="agent", branch_field="branch", extra_own=Q(Exists(own_cases))
    )


def customer_list(*, user: "User") -> QuerySet[Customer]:
    qs = Customer.objects.all()
    if sees_everything(user):
        return qs
    if not (user and user.is_authenticated):
        return qs.none()
    visible = policy_list(user=user).filter(customer=OuterRef("pk"))
    return qs.filter(Exists(visible))


def case_documents(*, case_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The files attached to each case, as the spec's case `documents[]` entries.

    The download URL is the files app's named route (`GET /files/{id}/download`).
    """
    from files.selectors import file_list_for_entity

    out: dict[int, list[dict[str, Any]]] = {}
    for f in file_list_for_entity(entity_type="case", entity_ids=case_ids):
        out.setdefault(f.entity_id, []).append(
            {
                "id": f.pk,
                "name": f.original_name,
                "url": reverse("api:files:file-download", kwargs={"pk": f.pk}),
                "uploaded_at": iso_datetime(f.created_at),
            }
        )
    return out


def policy_find(
    *, user: "User", policy_id: int | None = None, policy_number: str | None = None
) -> Policy:
    """A policy `user` may see, by id or else by number; PolicyNotFoundError otherwise."""
    policies = policy_list(user=user)
    if policy_id:
        policy = policies.filter(pk=policy_id).first()
    elif policy_number:
        policy = policies.filter(policy_number=policy_number).first()
    else:
        policy = None
    if policy is None:
        raise PolicyNotFoundError(details={"policy_id": policy_id, "policy_number": policy_number})
    return policy


def policy_detail_get(*, user: "User", policy_id: int) -> tuple[Policy, list[RenewalCase]]:
    """A policy `user` may see and its cases they may see (newest term first).
    Raises Policy.DoesNotExist."""
    policy = policy_list(user=user).get(pk=policy_id)
    cases = list(case_list(user=user).filter(policy=policy).order_by("-renewal_date", "-id"))
    return policy, cases


def customer_detail_get(*, user: "User", customer_id: int) -> Customer:
    """A customer `user` may see, with `visible_policies` and `visible_cases` set to the
    policies and cases of theirs `user` may see. Raises Customer.DoesNotExist."""
    customer = customer_list(user=user).get(pk=customer_id)
    # Attributes of this answer only, read by the detail serializer (source="visible_...").
    customer.visible_policies = list(  # type: ignore[attr-defined]
        policy_list(user=user).filter(customer=customer).order_by("id")
    )
    customer.visible_cases = list(  # type: ignore[attr-defined]
        case_list(user=user).filter(policy__customer=customer).order_by("-renewal_date", "-id")
    )
    return customer


def branch_list() -> "QuerySet[Branch]":
    """Every branch with its manager (GET /branches: branches are not scoped)."""
    from accounts.models import Branch

    return Branch.objects.select_related("manager").order_by("code")


def _words(value: str) -> list[str]:
    return [w for w in value.split() if w][:5]


def customer_search_q(value: str, prefix: str = "") -> Q:
    """Customers a search term finds.

    - Name: every word must be a substring of the first or last name (as before).
    - Email and phone are encrypted at rest, so they match exactly, never by substring: the
      whole term, normalized (email lowercased; phone read as a number in
      PHONE_DEFAULT_REGION and written E.164), is compared through the keyed-hash columns.
      "+91 98123 45678", "098123-45678" and "9812345678" all find +919812345678.
    """
    q = Q()
    for word in _words(value):
        q &= Q(**{f"{prefix}first_name__icontains": word}) | Q(
            **{f"{prefix}last_name__icontains": word}
        )
    term = value.strip()
    if "@" in term:
        q |= Q(**{f"{prefix}email_hash": _hash_field("email_hash").hash_of(term)})
    phone_hash = _hash_field("phone_hash").hash_of(term)
    if phone_hash:
        q |= Q(**{f"{prefix}phone_hash": phone_hash})
    return q


def _hash_field(name: str) -> "KeyedHashField[Any, Any]":
    return Customer._meta.get_field(name)  # type: ignore[return-value]
