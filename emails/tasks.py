"""Background work of the email app: mailbox sync (beat every minute, and on demand)."""

from celery import shared_task


@shared_task(soft_time_limit=600, time_limit=660)
def email_account_sync_task(*, account_id: int) -> dict:
    from emails.services import email_account_sync

    return email_account_sync(account_id=account_id).as_dict()


@shared_task(soft_time_limit=60, time_limit=90)
def email_accounts_sync_due_task() -> int:
    """Beat: enqueue a sync for every mailbox whose `sync_interval` has passed."""
    from emails.selectors import email_accounts_due_for_sync

    due = email_accounts_due_for_sync()
    for account_id in due:
        email_account_sync_task.delay(account_id=account_id)
    return len(due)


@shared_task(soft_time_limit=120, time_limit=150)
def email_triage_task(*, email_id: int) -> bool:
    """After an inbound email is committed: classify it (safe to run twice)."""
    from emails.services.triage import email_triage

    return email_triage(email_id=email_id)
