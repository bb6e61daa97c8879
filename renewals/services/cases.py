"""Case work: create, update/transition, assign, escalate, notes, contact attempts, reopen.

Every function owns its transaction, locks the case row (select_for_update) and re-checks
its state after the lock is held, and appends a CaseEvent plus an audit event.
"""

import datetime as dt
import itertools
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import modules
from renewals import lifecycle
from renewals.errors import (
    CaseAssigneeInvalidError,
    CaseAssignForbiddenError,
    CaseClosedError,
    CaseCreateAssigneeForbiddenError,
    CaseDuplicateOpenError,
    CaseEscalationTargetInvalidError,
    CaseInvalidTransitionError,
    CaseReopenForbiddenError,
    PolicyNotFoundError,
)
from renewals.models import CaseEvent, Policy, RenewalCase
from renewals.services.events import case_event_add, notify
from renewals.services.numbering import case_numbers_allocate
from renewals.services.payments import payment_record_locked
from renewals.services.transitions import case_reminders_cancel, case_transition

if TYPE_CHECKING:
    from accounts.models import User

Status = lifecycle.Status
# Bulk assignment locks at most this many cases per transaction (keeps lock time short).
BULK_ASSIGN_CHUNK = 500


def _user_label(user: "User | None") -> str:
    return (user.full_name or user.email) if user else "nobody"


def _is_manager(user: "User | None") -> bool:
    return bool(
        user
        and user.is_authenticated
        and (user.is_superuser or user.role_name in (modules.ADMIN, modules.MANAGER))
    )


def _is_agent(user: "User | None") -> bool:
    return bool(user and user.is_authenticated and user.role_name == modules.AGENT)


def _assignable_user(user_id: int, error: type) -> "User":
    """An active user whose role may work cases (not read-only)."""
    from accounts.models import User

    user = User.objects.select_related("role").filter(pk=user_id).first()
    if (
        user is None
        or not user.is_active
        or not user.has_module(modules.CASES)
        or user.is_read_only
    ):
        raise error(details={"user_id": user_id})
    return user


def _json_value(value: Any) -> Any:
    """Datetimes as ISO text in the event's JSON columns."""
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _lock(case_id: int) -> RenewalCase:
    return RenewalCase.objects.select_for_update().select_related("policy").get(pk=case_id)


def _lock_open(case_id: int) -> RenewalCase:
    """Lock the case and re-check, under the lock, that it is still open."""
    case = _lock(case_id)
    if case.status in lifecycle.CLOSED_STATUSES:
        raise CaseClosedError(details={"status": case.status})
    return case


def case_create(
    *,
    policy_id: int,
    actor: "User | None",
    priority: str = lifecycle.Priority.MEDIUM,
    assigned_to_id: int | None = None,
    renewal_amount: Decimal | None = None,
    renewal_date: dt.date | None = None,
    notes: str = "",
) -> RenewalCase:
    """Open a renewal case for an existing policy's current term (manual creation).

    An agent's new case is theirs: without `assigned_to_id` it is assigned to them, and
    assigning it to anybody else raises CaseCreateAssigneeForbiddenError (403 `forbidden`).
    Raises CaseDuplicateOpenError when the term already has an open case.
    """
    if _is_agent(actor):
        if assigned_to_id is None:
            assigned_to_id = actor.pk  # an agent's own case stays visible to them
        elif assigned_to_id != actor.pk:
            raise CaseCreateAssigneeForbiddenError(details={"assigned_to": assigned_to_id})
    policy = Policy.objects.filter(pk=policy_id).first()
    if policy is None:
        raise PolicyNotFoundError(details={"policy_id": policy_id})
    assignee = (
        _assignable_user(assigned_to_id, CaseAssigneeInvalidError) if assigned_to_id else None
    )
    now = timezone.now()
    term = renewal_date or policy.effective_renewal_date
    try:
        with transaction.atomic():
            number = case_numbers_allocate(count=1, year=timezone.localdate().year)[0]
            case = RenewalCase.objects.create(
                case_number=number,
                policy=policy,
                priority=priority,
                assigned_to=assignee,
                renewal_date=term,
                renewal_amount=policy.premium_amount if renewal_amount is None else renewal_amount,
                notes=notes,
                last_activity_at=now if actor else None,
            )
            case_event_add(
                case=case,
                kind=CaseEvent.Kind.CREATED,
                actor=actor,
                details=f"Case created manually for policy {policy.policy_number}",
                new_value={"status": case.status, "priority": case.priority},
            )
            if assignee and assignee != actor:
                _notify_assignment(case=case, assignee=assignee, actor=actor)
    except IntegrityError as exc:  # the only unique rule a new row can break: one open per term
        raise CaseDuplicateOpenError(
            details={"policy_id": policy_id, "renewal_date": str(term)}
        ) from exc
    return case


def _notify_assignment(*, case: RenewalCase, assignee: "User", actor: "User | None") -> None:
    notify(
        user_id=assignee.pk,
        type="assignment",
        title=f"Case {case.case_number} assigned to you",
        message=f"{_user_label(actor) if actor else 'System'} assigned renewal case "
        f"{case.case_number} to you.",
        data={"case_id": case.pk, "case_number": case.case_number},
        priority="high" if case.priority in ("high", "urgent") else "medium",
    )


def case_update(*, case_id: int, actor: "User", data: dict[str, Any]) -> RenewalCase:
    """PUT /cases/{id}: status, priority, payment fields, renewal amount, notes.

    `status: renewed` works from any open status (customers may pay before anyone calls);
    with `payment_status: completed` the outstanding amount is recorded as a Payment so
    money figures stay consistent. Closed cases accept only notes (reopen first).
    """
    with transaction.atomic():
        case = _lock(case_id)
        fields: list[str] = []
        closed = case.status in lifecycle.CLOSED_STATUSES
        target = data.get("status")
        if closed:
            changing = {
                k
                for k, v in data.items()
                if k not in ("notes", "status") and v is not None and getattr(case, k, None) != v
            }
            if target and target != case.status:
                case_transition(case=case, target=target, actor=actor)  # raises
            if changing:
                raise CaseClosedError(details={"status": case.status, "fields": sorted(changing)})

        if data.get("priority") and data["priority"] != case.priority:
            old = case.priority
            case.priority = data["priority"]
            fields.append("priority")
            case_event_add(
                case=case,
                kind=CaseEvent.Kind.UPDATED,
                actor=actor,
                action=f"Priority changed to {lifecycle.Priority(case.priority).label}",
                old_value={"priority": old},
                new_value={"priority": case.priority},
            )
        if data.get("renewal_amount") is not None and data["renewal_amount"] != case.renewal_amount:
            old_amount = case.renewal_amount
            case.renewal_amount = data["renewal_amount"]
            fields.append("renewal_amount")
            case_event_add(
                case=case,
                kind=CaseEvent.Kind.UPDATED,
                actor=actor,
                action="Renewal amount changed",
                # Money as strings in the JSON columns (as payment events do): exact, and a
                # Decimal is not JSON.
                old_value={"renewal_amount": None if old_amount is None else str(old_amount)},
                new_value={"renewal_amount": str(case.renewal_amount)},
            )
        old_payment = {"payment_method": case.payment_method, "payment_date": case.payment_date}
        if data.get("payment_method") and data["payment_method"] != case.payment_method:
            case.payment_method = data["payment_method"]
            fields.append("payment_method")
        if data.get("payment_date") and data["payment_date"] != case.payment_date:
            case.payment_date = data["payment_date"]
            fields.append("payment_date")
        payment_changed = [f for f in ("payment_method", "payment_date") if f in fields]
        if payment_changed:
            case_event_add(
                case=case,
                kind=CaseEvent.Kind.UPDATED,
                actor=actor,
                action="Payment details changed",
                old_value={f: _json_value(old_payment[f]) for f in payment_changed},
                new_value={f: _json_value(getattr(case, f)) for f in payment_changed},
            )

        payment_status = data.get("payment_status")
        if payment_status and payment_status != case.payment_status:
            outstanding = (case.renewal_amount or Decimal("0")) - case.amount_paid
            if payment_status == RenewalCase.PaymentStatus.COMPLETED and outstanding > 0:
                # The agent reports the customer paid: record the money so figures add up.
                payment_record_locked(
                    case=case,
                    amount=outstanding,
                    method=data.get("payment_method") or case.payment_method,
                    reference="",
                    paid_at=data.get("payment_date") or timezone.now(),
                    source="manual",
                    actor=actor,
                    auto_renew=False,
                )
                fields += ["amount_paid", "payment_date", "payment_method"]
            old_ps = case.payment_status
            case.payment_status = payment_status
            fields.append("payment_status")
            case_event_add(
                case=case,
                kind=CaseEvent.Kind.UPDATED,
                actor=actor,
                action=f"Payment status changed to {payment_status}",
                old_value={"payment_status": old_ps},
                new_value={"payment_status": payment_status},
            )
            if payment_status == RenewalCase.PaymentStatus.COMPLETED:
                case_reminders_cancel(case=case)

        if target and target != case.status:
            fields += case_transition(
                case=case,
                target=target,
                actor=actor,
                lost_reason=data.get("lost_reason") or "",
                lost_reason_detail=data.get("lost_reason_detail") or "",
            )
        notes = data.get("notes")
        if notes:
            case.notes = notes
            fields.append("notes")
            case_event_add(case=case, kind=CaseEvent.Kind.NOTE_ADDED, actor=actor, details=notes)
        if fields:
            case.last_activity_at = timezone.now()
            case.save(update_fields=sorted({*fields, "last_activity_at", "updated_at"}))
    return case


def case_assign(
    *, case_id: int, actor: "User", assigned_to_id: int, notes: str = ""
) -> RenewalCase:
    """Give the case to another person and notify them. Re-assigning to the same user is a
    no-op (no event, no notification). Agents may not reassign (they escalate)."""
    if _is_agent(actor):
        raise CaseAssignForbiddenError()
    assignee = _assignable_user(assigned_to_id, CaseAssigneeInvalidError)
    with transaction.atomic():
        case = _lock_open(case_id)
        if case.assigned_to_id == assignee.pk:
            return case
        old = case.assigned_to_id
        case.assigned_to = assignee
        case.last_activity_at = timezone.now()
        fields = ["assigned_to", "last_activity_at", "updated_at"]
        if notes:
            case.notes = notes
            fields.append("notes")
        case.save(update_fields=fields)
        case_event_add(
            case=case,
            kind=CaseEvent.Kind.ASSIGNED,
            actor=actor,
            action=f"Assigned to {_user_label(assignee)}",
            details=notes,
            old_value={"assigned_to": old},
            new_value={"assigned_to": assignee.pk},
        )
        if assignee != actor:
            _notify_assignment(case=case, assignee=assignee, actor=actor)
    return case


def case_escalate(
    *,
    case_id: int,
    actor: "User | None",
    escalated_to_id: int,
    reason: str,
    priority: str | None = None,
) -> RenewalCase:
    """Escalate to a person (usually a manager): sets escalated_to/at/reason, optionally
    raises the priority, and notifies the target."""
    target = _assignable_user(escalated_to_id, CaseEscalationTargetInvalidError)
    with transaction.atomic():
        case = _lock_open(case_id)
        old = {
            "escalated_to": case.escalated_to_id,
            "priority": case.priority,
        }
        case.escalated_to = target
        case.escalation_reason = reason
        case.escalated_at = timezone.now()
        fields = ["escalated_to", "escalation_reason", "escalated_at", "updated_at"]
        if priority and priority != case.priority:
            case.priority = priority
            fields.append("priority")
        if actor is not None:
            case.last_activity_at = case.escalated_at
            fields.append("last_activity_at")
        case.save(update_fields=fields)
        case_event_add(
            case=case,
            kind=CaseEvent.Kind.ESCALATED,
            actor=actor,
            action=f"Escalated to {_user_label(target)}",
            details=reason,
            old_value=old,
            new_value={"escalated_to": target.pk, "priority": case.priority},
        )
        notify(
            user_id=target.pk,
            type="escalation",
            title=f"Case {case.case_number} escalated to you",
            message=reason,
            data={"case_id": case.pk, "case_number": case.case_number},
            priority="urgent" if case.priority == "urgent" else "high",
        )
    return case


def case_note_add(*, case_id: int, actor: "User", note: str) -> CaseEvent:
    """Add a note to the timeline; the case's `notes` shows the latest one."""
    with transaction.atomic():
        case = _lock(case_id)
        case.notes = note
        case.last_activity_at = timezone.now()
        case.save(update_fields=["notes", "last_activity_at", "updated_at"])
        return case_event_add(case=case, kind=CaseEvent.Kind.NOTE_ADDED, actor=actor, details=note)


CONTACT_CHANNELS = ["phone", "email", "sms", "whatsapp", "in_person", "other"]
CONTACT_OUTCOMES = [
    "reached",
    "no_answer",
    "voicemail",
    "busy",
    "wrong_number",
    "callback_requested",
    "promised_to_pay",
    "declined",
    "other",
]


def case_contact_attempt_record(
    *,
    case_id: int,
    actor: "User",
    channel: str,
    outcome: str,
    notes: str = "",
    contacted_at: dt.datetime | None = None,
) -> RenewalCase:
    """Count a contact attempt and set last_contact_date. A `new` case becomes
    `in_progress`: someone is working on it."""
    when = contacted_at or timezone.now()
    with transaction.atomic():
        case = _lock_open(case_id)
        case.communication_attempts += 1
        if case.last_contact_date is None or when > case.last_contact_date:
            case.last_contact_date = when
        case.last_activity_at = timezone.now()
        fields = ["communication_attempts", "last_contact_date", "last_activity_at", "updated_at"]
        case_event_add(
            case=case,
            kind=CaseEvent.Kind.CONTACT_ATTEMPT,
            actor=actor,
            action=f"Contact attempt by {channel.replace('_', ' ')}: {outcome.replace('_', ' ')}",
            details=notes,
            new_value={"channel": channel, "outcome": outcome, "at": when.isoformat()},
        )
        if case.status == Status.NEW:
            fields += case_transition(case=case, target=Status.IN_PROGRESS, actor=actor)
        case.save(update_fields=fields)
    return case


def case_reopen(*, case_id: int, actor: "User", reason: str) -> RenewalCase:
    """A manager reopens a closed case (renewed, lost, lapsed) back to in_progress."""
    if not _is_manager(actor):
        raise CaseReopenForbiddenError()
    try:
        with transaction.atomic():
            case = _lock(case_id)
            if case.status not in lifecycle.REOPEN_FROM:
                raise CaseInvalidTransitionError(
                    "Only closed cases can be reopened.",
                    details={"from": case.status, "to": lifecycle.REOPEN_TO},
                )
            old = case.status
            case.status = lifecycle.REOPEN_TO
            case.closed_at = None
            case.lost_reason = ""
            case.lost_reason_detail = ""
            case.last_activity_at = timezone.now()
            case.save(
                update_fields=[
                    "status",
                    "closed_at",
                    "lost_reason",
                    "lost_reason_detail",
                    "last_activity_at",
                    "updated_at",
                ]
            )
            case_event_add(
                case=case,
                kind=CaseEvent.Kind.REOPENED,
                actor=actor,
                action=f"Case reopened (was {Status(old).label})",
                details=reason,
                old_value={"status": old},
                new_value={"status": case.status},
            )
    except IntegrityError as exc:
        raise CaseDuplicateOpenError(details={"case_id": case_id}) from exc
    return case


def case_bulk_assign(
    *,
    actor: "User",
    case_ids: list[int],
    assigned_to_id: int | None = None,
    agent_ids: list[int] | None = None,
) -> dict[str, Any]:
    """Assign many cases to one user, or round-robin over `agent_ids` (in the given order).

    `case_ids` must already be scoped to what the actor may see. Closed cases and cases
    already with their target are skipped. Locks in pk order, in chunks. Agents may not
    reassign (CaseAssignForbiddenError).
    """
    if _is_agent(actor):
        raise CaseAssignForbiddenError("Agents cannot reassign cases.")
    error = CaseAssigneeInvalidError
    targets = (
        [_assignable_user(assigned_to_id, error)]
        if assigned_to_id
        else [_assignable_user(uid, error) for uid in (agent_ids or [])]
    )
    if not targets:
        raise error("Give assigned_to or agent_ids.")
    cycle = itertools.cycle(targets)
    assigned: dict[int, int] = {}
    skipped: list[int] = []
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), BULK_ASSIGN_CHUNK):
        chunk = ids[start : start + BULK_ASSIGN_CHUNK]
        with transaction.atomic():
            cases = list(
                RenewalCase.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
            )
            per_user: dict[int, list[RenewalCase]] = {}
            for case in cases:
                if case.status in lifecycle.CLOSED_STATUSES:
                    skipped.append(case.pk)
                    continue
                target = next(cycle)
                if case.assigned_to_id == target.pk:
                    skipped.append(case.pk)
                    continue
                old = case.assigned_to_id
                case.assigned_to = target
                case.last_activity_at = case.updated_at = timezone.now()
                assigned[case.pk] = target.pk
                per_user.setdefault(target.pk, []).append(case)
                case_event_add(
                    case=case,
                    kind=CaseEvent.Kind.ASSIGNED,
                    actor=actor,
                    action=f"Assigned to {_user_label(target)} (bulk)",
                    old_value={"assigned_to": old},
                    new_value={"assigned_to": target.pk},
                )
            RenewalCase.objects.bulk_update(
                [c for group in per_user.values() for c in group],
                fields=["assigned_to", "last_activity_at", "updated_at"],
            )
            for user_id, group in per_user.items():
                if user_id == actor.pk:
                    continue
                notify(
                    user_id=user_id,
                    type="assignment",
                    title=f"{len(group)} case(s) assigned to you",
                    message=f"{_user_label(actor)} assigned {len(group)} renewal case(s) to you.",
                    data={"case_ids": [c.pk for c in group][:100], "count": len(group)},
                )
    return {"assigned": len(assigned), "skipped": len(skipped), "assignments": assigned}
