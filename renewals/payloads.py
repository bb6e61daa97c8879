"""Plain payload builders shared by the API, the dashboard selectors and anything else that
formats renewals data as the spec writes it (money as JSON numbers, UTC datetimes with `Z`).

Nothing here imports the API layer, so services and selectors may use it too.
"""

from decimal import Decimal
from typing import Any

from core.formats import iso_datetime
from renewals.models import CaseEvent, Policy


def money(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def user_ref(user: Any, *, email: bool = False) -> dict[str, Any] | None:
    if user is None:
        return None
    out = {"id": user.pk, "name": user.full_name or user.email}
    if email:
        out["email"] = user.email
    return out


def policy_type_label(value: str) -> str:
    try:
        return Policy.PolicyType(value).label
    except ValueError:
        return value


def branch_ref(branch: Any) -> dict[str, Any] | None:
    return None if branch is None else {"id": branch.pk, "code": branch.code, "name": branch.name}


def case_list_item(row: dict[str, Any]) -> dict[str, Any]:
    """One list row from a `selectors.CASE_LIST_FIELDS` values() dict (no model instances:
    a page of them cost more than the query)."""
    assignee = None
    if row["assigned_to_id"] is not None:
        name = f"{row['assigned_to__first_name']} {row['assigned_to__last_name']}".strip()
        assignee = {"id": row["assigned_to_id"], "name": name or row["assigned_to__email"]}
    customer = f"{row['policy__customer__first_name']} {row['policy__customer__last_name']}"
    return {
        "id": row["id"],
        "case_number": row["case_number"],
        "policy": {
            "id": row["policy_id"],
            "policy_number": row["policy__policy_number"],
            "customer_name": customer.strip(),
            "policy_type": policy_type_label(row["policy__policy_type"]),
        },
        "status": row["status"],
        "priority": row["priority"],
        "renewal_amount": money(row["renewal_amount"]),
        "payment_status": row["payment_status"],
        "assigned_to": assignee,
        "renewal_date": row["renewal_date"].isoformat(),
        "created_at": iso_datetime(row["created_at"]),
    }


def timeline_entry(event: CaseEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "date": iso_datetime(event.created_at),
        "action": event.action,
        "user": (event.actor.full_name or event.actor.email) if event.actor else "System",
        "details": event.details,
        "type": event.kind,
        "old_value": event.old_value,
        "new_value": event.new_value,
    }
