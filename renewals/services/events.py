"""Timeline + audit in one call, and the after-commit side effects every case write shares."""

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from core.services import audit_log
from renewals.models import CaseEvent, RenewalCase
from renewals.services.cache import dashboard_cache_bump

if TYPE_CHECKING:
    from accounts.models import User


def case_event_add(
    *,
    case: RenewalCase,
    kind: str,
    actor: "User | None",
    action: str | None = None,
    details: str = "",
    old_value: Any = None,
    new_value: Any = None,
    audit_changes: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append a timeline entry and the matching audit event in the caller's transaction.

    Also schedules the dashboard cache bump for after commit. `actor=None` means the System.
    """
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        action=action or CaseEvent.Kind(kind).label,
        actor=actor,
        details=details,
        old_value=old_value,
        new_value=new_value,
        created_at=timezone.now(),
    )
    changes = audit_changes if audit_changes is not None else {}
    if old_value is not None or new_value is not None:
        changes = {"old": old_value, "new": new_value, **changes}
    audit_log(action=f"case.{kind}", actor=actor, obj=case, changes=changes)
    # Bump now (so this request's next read misses the cache even inside an outer
    # transaction) and again after commit (so a reader that cached pre-commit figures under
    # the new version in between is superseded).
    dashboard_cache_bump()
    transaction.on_commit(dashboard_cache_bump)
    return event


def notify(
    *,
    user_id: int | None,
    type: str,
    title: str,
    message: str,
    data: dict[str, Any] | None = None,
    priority: str = "medium",
) -> None:
    """Notify one user through the notifications service (in the caller's transaction)."""
    if not user_id:
        return
    from notifications.services import notification_create

    notification_create(
        user=user_id, type=type, title=title, message=message, data=data, priority=priority
    )
