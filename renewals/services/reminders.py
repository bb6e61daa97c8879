"""The renewal timeline automation run by Celery beat: reminders, lapse, auto-escalation.

All three are idempotent: reminders are unique per (case, window, renewal date) and are
claimed with compare-and-set; lapse and escalation only touch rows still in the state they
look for, re-checked under a row lock. Work is done in chunks (CHUNK) so no transaction
holds thousands of row locks.
"""

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone

from intelipro.api.errors import DomainError
from renewals import lifecycle
from renewals.models import CaseEvent, CaseReminder, Policy, RenewalCase
from renewals.services.cases import case_escalate
from renewals.services.events import case_event_add, notify
from renewals.services.transitions import case_transition

logger = logging.getLogger(__name__)

# Rows per transaction in the daily jobs: short lock times, bounded memory.
CHUNK = 500


def reminder_windows() -> list[int]:
    """Days before the renewal date at which reminders go out, largest first."""
    return sorted({int(w) for w in settings.RENEWALS_REMINDER_WINDOWS if int(w) >= 0}, reverse=True)


def case_reminders_schedule(*, today: dt.date | None = None) -> list[int]:
    """Create the reminder row of the current window for every open, unpaid case.

    A case whose renewal date is `d` days away is in window `w` = the smallest configured
    window >= d (so T-30 covers 16..30 days with windows 30/15/7/1). A missed day is caught
    up by the next run without sending stale windows twice. Returns ids of rows scheduled
    (new or still scheduled from an interrupted run).
    """
    today = today or timezone.localdate()
    windows = sorted(reminder_windows())
    lower = -1
    for window in windows:
        cases = (
            RenewalCase.objects.filter(
                status__in=lifecycle.OPEN_STATUSES,
                renewal_date__gt=today + dt.timedelta(days=lower),
                renewal_date__lte=today + dt.timedelta(days=window),
            )
            .exclude(payment_status=RenewalCase.PaymentStatus.COMPLETED)
            .exclude(
                Exists(
                    CaseReminder.objects.filter(
                        case=OuterRef("pk"),
                        window_days=window,
                        renewal_date=OuterRef("renewal_date"),
                    )
                )
            )
            .values_list("pk", "renewal_date")
        )
        batch: list[CaseReminder] = []
        for case_id, renewal_date in cases.iterator(chunk_size=2000):
            batch.append(
                CaseReminder(case_id=case_id, window_days=window, renewal_date=renewal_date)
            )
            if len(batch) >= CHUNK:
                CaseReminder.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        if batch:
            CaseReminder.objects.bulk_create(batch, ignore_conflicts=True)
        lower = window
    return list(
        CaseReminder.objects.filter(status=CaseReminder.Status.SCHEDULED).values_list(
            "pk", flat=True
        )
    )


def case_reminder_send(*, reminder_id: int) -> str:
    """Send one scheduled reminder: timeline entry, in-app notice to the assignee, and an
    email to the customer when they consented to email. Returns the final reminder status.

    Claimed with a lock and a status re-check: a second run (or a run after a payment
    cancelled it) does nothing.
    """
    with transaction.atomic():
        reminder = (
            CaseReminder.objects.select_for_update()
            .select_related("case", "case__policy", "case__policy__customer")
            .filter(pk=reminder_id)
            .first()
        )
        if reminder is None or reminder.status != CaseReminder.Status.SCHEDULED:
            return reminder.status if reminder else "missing"
        case = RenewalCase.objects.select_for_update().get(pk=reminder.case_id)
        if (
            case.status not in lifecycle.OPEN_STATUSES
            or case.payment_status == RenewalCase.PaymentStatus.COMPLETED
            or case.renewal_date != reminder.renewal_date
        ):
            reminder.status = CaseReminder.Status.CANCELLED
            reminder.detail = "case paid, closed or moved to another term"
            reminder.save(update_fields=["status", "detail", "updated_at"])
            return reminder.status
        customer = reminder.case.policy.customer
        channels = []
        if customer.email and customer.consents_to("email"):
            channels.append("email")
        if case.assigned_to_id:
            channels.append("in_app")
        reminder.status = CaseReminder.Status.SENT if channels else CaseReminder.Status.SKIPPED
        reminder.channel = ",".join(channels)
        reminder.sent_at = timezone.now()
        reminder.detail = "" if channels else "no consented channel and no assignee"
        reminder.save(update_fields=["status", "channel", "sent_at", "detail", "updated_at"])
        case_event_add(
            case=case,
            kind=CaseEvent.Kind.REMINDER_SENT,
            actor=None,
            action=f"Renewal reminder (T-{reminder.window_days})"
            + (" sent" if channels else " skipped"),
            details=f"Channels: {reminder.channel}" if channels else reminder.detail,
            new_value={"window_days": reminder.window_days, "channels": channels},
        )
        notify(
            user_id=case.assigned_to_id,
            type="reminder",
            title=f"Renewal due in {reminder.window_days} day(s): {case.case_number}",
            message=f"Policy {reminder.case.policy.policy_number} renews on "
            f"{case.renewal_date.isoformat()}.",
            data={"case_id": case.pk, "window_days": reminder.window_days},
        )
        if "email" in channels:
            from renewals.tasks import case_reminder_email_task

            # The task gets the reminder's id: no personal data travels through the broker.
            transaction.on_commit(partial(case_reminder_email_task.delay, reminder_id=reminder.pk))
    return reminder.status


def case_reminder_email_send(*, reminder_id: int) -> bool:
    """Email the customer the reminder that was sent with the email channel (network I/O:
    runs in a task). Reads the case and customer now; returns False when there is nothing
    to send (reminder gone, not sent, or the email channel no longer applies)."""
    reminder = (
        CaseReminder.objects.select_related("case", "case__policy", "case__policy__customer")
        .filter(pk=reminder_id, status=CaseReminder.Status.SENT)
        .first()
    )
    if reminder is None or "email" not in reminder.channel.split(","):
        return False
    case = reminder.case
    customer = case.policy.customer
    if not customer.email or not customer.consents_to("email"):
        return False
    context = {
        "case_number": case.case_number,
        "policy_number": case.policy.policy_number,
        "customer_name": customer.full_name,
        "renewal_date": reminder.renewal_date.isoformat(),
        "renewal_amount": str(case.renewal_amount or ""),
        "window_days": reminder.window_days,
    }
    subject = f"Your policy {case.policy.policy_number} renews in {reminder.window_days} day(s)"
    body = render_to_string("renewals/email/renewal_reminder.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [customer.email])
    return True


def case_reminders_run(*, today: dt.date | None = None) -> int:
    """The daily reminder job: schedule the current window's reminders, then queue one send
    task per reminder still scheduled (each send re-checks its row, so a second run or a
    redelivered task sends nothing twice). Returns how many were queued."""
    from renewals.tasks import case_reminder_send_task

    ids = case_reminders_schedule(today=today)
    for reminder_id in ids:
        case_reminder_send_task.delay(reminder_id=reminder_id)
    return len(ids)


def cases_lapse(*, today: dt.date | None = None) -> int:
    """Lapse open, unpaid cases past renewal date + the policy's grace period.

    Set-based per distinct grace period (few values), chunked; each case is re-checked under
    its lock. The assignee is notified; the policy becomes `lapsed`.
    """
    today = today or timezone.localdate()
    lapsed = 0
    graces = (
        Policy.objects.filter(
            renewal_cases__status__in=lifecycle.OPEN_STATUSES,
            renewal_cases__renewal_date__lt=today,
        )
        .values_list("grace_period_days", flat=True)
        .distinct()
    )
    for grace in sorted(set(graces)):
        cutoff = today - dt.timedelta(days=grace)
        due = (
            RenewalCase.objects.filter(
                status__in=lifecycle.OPEN_STATUSES,
                renewal_date__lt=cutoff,
                policy__grace_period_days=grace,
            )
            .exclude(payment_status=RenewalCase.PaymentStatus.COMPLETED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        ids = list(due)
        for start in range(0, len(ids), CHUNK):
            lapsed += _lapse_chunk(ids[start : start + CHUNK], grace=grace)
    return lapsed


def _lapse_chunk(ids: list[int], *, grace: int) -> int:
    count = 0
    with transaction.atomic():
        cases = list(
            RenewalCase.objects.select_for_update()
            .filter(pk__in=ids, status__in=lifecycle.OPEN_STATUSES)
            .exclude(payment_status=RenewalCase.PaymentStatus.COMPLETED)
            .order_by("pk")
        )
        for case in cases:
            fields = case_transition(
                case=case,
                target=lifecycle.Status.LAPSED,
                actor=None,
                system=True,
                details=f"No payment within the {grace}-day grace period",
            )
            case.save(update_fields=[*fields, "updated_at"])
            notify(
                user_id=case.assigned_to_id,
                type="update",
                title=f"Case {case.case_number} lapsed",
                message=f"The grace period ended on "
                f"{(case.renewal_date + dt.timedelta(days=grace)).isoformat()} without payment.",
                data={"case_id": case.pk, "case_number": case.case_number},
                priority="high",
            )
            count += 1
        Policy.objects.filter(
            pk__in=[c.policy_id for c in cases], status__in=["active", "expired"]
        ).update(status=Policy.Status.LAPSED, updated_at=timezone.now())
    return count


def cases_auto_escalate(*, now: dt.datetime | None = None) -> int:
    """Escalate untouched high/urgent open cases to their branch manager.

    "Untouched" = no human activity (or creation) for RENEWALS_ESCALATION_STALE_DAYS days and
    never escalated. Cases whose branch has no manager are left alone (logged).
    """
    now = now or timezone.now()
    stale_before = now - dt.timedelta(days=settings.RENEWALS_ESCALATION_STALE_DAYS)
    rows = list(
        RenewalCase.objects.annotate(touched=Coalesce("last_activity_at", "created_at"))
        .filter(
            Q(priority__in=settings.RENEWALS_ESCALATION_PRIORITIES),
            status__in=lifecycle.OPEN_STATUSES,
            escalated_at__isnull=True,
            touched__lt=stale_before,
            policy__branch__manager__isnull=False,
        )
        .order_by("pk")
        .values_list("pk", "policy__branch__manager_id")[: settings.RENEWALS_ESCALATION_MAX_PER_RUN]
    )
    escalated = 0
    days = settings.RENEWALS_ESCALATION_STALE_DAYS
    for case_id, manager_id in rows:
        with transaction.atomic():
            still = RenewalCase.objects.select_for_update().filter(
                pk=case_id, escalated_at__isnull=True, status__in=lifecycle.OPEN_STATUSES
            )
            if not still.exists():
                continue
            try:
                case_escalate(
                    case_id=case_id,
                    actor=None,
                    escalated_to_id=manager_id,
                    reason=f"Auto-escalated: no activity for {days} days",
                )
            except DomainError:  # e.g. the manager is inactive: skip, keep the job going
                logger.warning("auto-escalation of case %s skipped", case_id, exc_info=True)
                continue
        escalated += 1
    return escalated
