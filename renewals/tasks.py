"""Celery tasks of renewals: thin wrappers that call one service each (STYLE §10).

The three daily jobs are idempotent (unique reminder rows, status re-checks under locks),
so a redelivered or twice-scheduled run changes nothing the first run did.
"""

import smtplib

from celery import shared_task


@shared_task(soft_time_limit=600, time_limit=660)
def case_reminders_run_task() -> int:
    """Daily: schedule the current window's reminder for every open case, then send each."""
    from renewals.services.reminders import case_reminders_run

    return case_reminders_run()


@shared_task(soft_time_limit=60, time_limit=90)
def case_reminder_send_task(*, reminder_id: int) -> str:
    from renewals.services.reminders import case_reminder_send

    return case_reminder_send(reminder_id=reminder_id)


@shared_task(
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def case_reminder_email_task(*, reminder_id: int) -> None:
    """Email one sent reminder to its customer; takes the reminder's id, never the address."""
    from renewals.services.reminders import case_reminder_email_send

    case_reminder_email_send(reminder_id=reminder_id)


@shared_task(soft_time_limit=600, time_limit=660)
def cases_lapse_task() -> int:
    """Daily: lapse open cases past renewal date + grace period without payment."""
    from renewals.services.reminders import cases_lapse

    return cases_lapse()


@shared_task(soft_time_limit=600, time_limit=660)
def cases_auto_escalate_task() -> int:
    """Daily: escalate untouched high/urgent cases to their branch manager."""
    from renewals.services.reminders import cases_auto_escalate

    return cases_auto_escalate()
