"""What people do to an email: read it, change its status, category, assignee, priority."""

from typing import TYPE_CHECKING, Any

from django.db import transaction

from core.services import audit_log
from emails.models import Email

if TYPE_CHECKING:
    from accounts.models import User

UPDATABLE_FIELDS = ("status", "category", "assigned_to", "priority")


def email_mark_read(*, email_id: int, actor: "User") -> bool:
    """Mark read (compare-and-set: a second call changes and audits nothing)."""
    with transaction.atomic():
        changed = Email.objects.filter(pk=email_id, read_status=False).update(read_status=True)
        if changed:
            audit_log(
                action="email.read",
                actor=actor,
                object_type="emails.email",
                object_id=email_id,
                changes={"read_status": {"from": False, "to": True}},
            )
    return bool(changed)


def email_update(*, email_id: int, actor: "User", data: dict[str, Any]) -> Email:
    """PUT /emails/{id}: status, category, assigned_to (a user or None), priority."""
    with transaction.atomic():
        email = Email.objects.select_for_update().get(pk=email_id)
        changes: dict[str, Any] = {}
        for field in UPDATABLE_FIELDS:
            if field not in data:
                continue
            attname = "assigned_to_id" if field == "assigned_to" else field
            new = data[field].pk if field == "assigned_to" and data[field] else data[field]
            old = getattr(email, attname)
            if old != new:
                changes[field] = {"from": old, "to": new}
                setattr(email, attname, new)
        if changes:
            email.save(update_fields=[*changes, "updated_at"])
            audit_log(action="email.updated", actor=actor, obj=email, changes=changes)
    return email
