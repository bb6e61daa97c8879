"""Customers and policies written by staff in the operations console.

Every change is audited. Customer fields are personal data, so their audit entries name the
fields that changed, never the values; policy entries keep old and new values.
"""

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from core.services import audit_log
from renewals.models import Customer, Policy
from renewals.services.cache import dashboard_cache_bump

if TYPE_CHECKING:
    from accounts.models import User

AUDIT_SKIP = frozenset({"id", "created_at", "updated_at"})


def _editable(model: type[models.Model]) -> frozenset[str]:
    return frozenset(
        f.name
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in AUDIT_SKIP
    )


CUSTOMER_EDITABLE_FIELDS = _editable(Customer)
POLICY_EDITABLE_FIELDS = _editable(Policy)


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value for the audit log (ids for related rows)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _apply(
    obj: models.Model, data: dict[str, Any], editable: frozenset[str]
) -> dict[str, tuple[Any, Any]]:
    unknown = sorted(set(data) - editable)
    if unknown:
        raise ValueError(f"not editable: {', '.join(unknown)}")
    changed = {}
    for name, value in data.items():
        old = getattr(obj, name)
        if old != value:
            setattr(obj, name, value)
            changed[name] = (old, value)
    return changed


def customer_create(*, actor: "User | None", data: dict[str, Any]) -> Customer:
    """A new customer (operations console); audited with the names of the fields set."""
    customer = Customer(**{k: v for k, v in data.items() if k in CUSTOMER_EDITABLE_FIELDS})
    customer.full_clean()
    with transaction.atomic():
        customer.save()
        audit_log(
            action="customer.created",
            actor=actor,
            obj=customer,
            changes={"fields": sorted(k for k in data if k in CUSTOMER_EDITABLE_FIELDS)},
        )
    return customer


def customer_update(*, actor: "User | None", customer_id: int, data: dict[str, Any]) -> Customer:
    """Change a customer's details under a row lock; audited with the changed field names
    only (personal data stays out of the audit log)."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        changed = _apply(customer, data, CUSTOMER_EDITABLE_FIELDS)
        if not changed:
            return customer
        customer.full_clean()
        customer.save()  # every column: derived columns (e.g. lookup hashes) stay in step
        audit_log(
            action="customer.updated",
            actor=actor,
            obj=customer,
            changes={"fields": sorted(changed)},
        )
        transaction.on_commit(dashboard_cache_bump)
    return customer


def policy_create(*, actor: "User | None", data: dict[str, Any]) -> Policy:
    """A new policy (operations console); audited with its values."""
    policy = Policy(**{k: v for k, v in data.items() if k in POLICY_EDITABLE_FIELDS})
    policy.full_clean()
    with transaction.atomic():
        policy.save()
        audit_log(
            action="policy.created",
            actor=actor,
            obj=policy,
            changes={k: _plain(getattr(policy, k)) for k in data if k in POLICY_EDITABLE_FIELDS},
        )
    return policy


def policy_update(*, actor: "User | None", policy_id: int, data: dict[str, Any]) -> Policy:
    """Change a policy under a row lock; audited with old and new values."""
    with transaction.atomic():
        policy = Policy.objects.select_for_update().get(pk=policy_id)
        changed = _apply(policy, data, POLICY_EDITABLE_FIELDS)
        if not changed:
            return policy
        policy.full_clean()
        policy.save(update_fields=[*sorted(changed), "updated_at"])
        audit_log(
            action="policy.updated",
            actor=actor,
            obj=policy,
            changes={
                name: {"old": _plain(old), "new": _plain(new)}
                for name, (old, new) in changed.items()
            },
        )
        transaction.on_commit(dashboard_cache_bump)
    return policy


def customer_communication_preferences_update(
    *, actor: "User | None", customer_id: int, preferences: dict[str, Any]
) -> Customer:
    """Set keys of a customer's `communication_preferences` (consent, consent evidence,
    preferred channel, time zone, quiet hours), under a row lock.

    `preferences` is already validated (communications' input serializer); keys it does not
    name keep their value. Audited with the keys that changed and their old and new values:
    consent flags, time zones and quiet hours are not personal data, the evidence's source may
    name a form or a call, never the customer's details.
    """
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        current = dict(customer.communication_preferences or {})
        changed = {
            key: {"old": current.get(key), "new": value}
            for key, value in preferences.items()
            if current.get(key) != value
        }
        if not changed:
            return customer
        current.update(preferences)
        customer.communication_preferences = current
        customer.save(update_fields=["communication_preferences", "updated_at"])
        audit_log(
            action="customer.communication_preferences_updated",
            actor=actor,
            obj=customer,
            changes=changed,
        )
    return customer
