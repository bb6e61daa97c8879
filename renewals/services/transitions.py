"""The one public status transition of a renewal case, used by cases, payments and reminders.

Every status change (PUT /cases/{id}, contact attempts, payments covering the amount, the
lapse job) goes through `case_transition`, so the lifecycle rules, the timeline entry and the
cancelling of reminders happen the same way whoever moves the case. Modules that move a
case import this one; it imports none of them (no cycle).
"""

from typing import TYPE_CHECKING

from django.utils import timezone

from renewals import lifecycle
from renewals.errors import CaseInvalidTransitionError, CaseLostReasonRequiredError
from renewals.models import CaseEvent, CaseReminder, RenewalCase
from renewals.services.events import case_event_add

if TYPE_CHECKING:
    from accounts.models import User

Status = lifecycle.Status


def case_reminders_cancel(*, case: RenewalCase) -> int:
    """Cancel reminders still scheduled for a case (paid or closed). Caller's transaction."""
    return CaseReminder.objects.filter(case=case, status=CaseReminder.Status.SCHEDULED).update(
        status=CaseReminder.Status.CANCELLED,
        detail="case paid or closed",
        updated_at=timezone.now(),
    )


def case_transition(
    *,
    case: RenewalCase,
    target: str,
    actor: "User | None",
    system: bool = False,
    details: str = "",
    lost_reason: str = "",
    lost_reason_detail: str = "",
) -> list[str]:
    """Move a case the caller has locked (select_for_update, in its transaction) to `target`.

    The one place a case changes status: checks the lifecycle (people: TRANSITIONS; the
    System may also lapse), requires a reason to close as lost, stamps closed_at, appends
    the timeline/audit event and cancels scheduled reminders when the case closes.
    Returns the changed field names; the caller saves the case.
    """
    current = case.status
    if target == current:
        return []
    if current in lifecycle.CLOSED_STATUSES:
        raise CaseInvalidTransitionError(
            "The case is closed; a manager must reopen it first.",
            details={"from": current, "to": target, "reopen_required": True},
        )
    if not lifecycle.can_transition(current, target, system=system):
        raise CaseInvalidTransitionError(
            details={
                "from": current,
                "to": target,
                "allowed": sorted(lifecycle.TRANSITIONS.get(current, ())),
            }
        )
    fields = ["status"]
    if target == Status.LOST:
        if not lost_reason or (
            lost_reason == lifecycle.LostReason.OTHER and not lost_reason_detail
        ):
            raise CaseLostReasonRequiredError(
                details={"reasons": list(lifecycle.LostReason.values)}
            )
        case.lost_reason = lost_reason
        case.lost_reason_detail = lost_reason_detail
        fields += ["lost_reason", "lost_reason_detail"]
    case.status = target
    if target in lifecycle.CLOSED_STATUSES:
        case.closed_at = timezone.now()
        fields.append("closed_at")
    label_from = Status(current).label
    label_to = Status(target).label
    extra = f": {lifecycle.LostReason(lost_reason).label}" if target == Status.LOST else ""
    case_event_add(
        case=case,
        kind=CaseEvent.Kind.STATUS_CHANGED,
        actor=actor,
        action=f"Status changed from {label_from} to {label_to}",
        details=details
        or (lost_reason_detail if target == Status.LOST else "")
        or extra.strip(": "),
        old_value={"status": current},
        new_value={"status": target, **({"lost_reason": lost_reason} if lost_reason else {})},
    )
    if target in lifecycle.CLOSED_STATUSES:
        case_reminders_cancel(case=case)
    return fields
