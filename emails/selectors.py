"""Reads of the email app."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from emails.models import EmailAccount


def email_account_list() -> QuerySet[EmailAccount]:
    """Every mailbox (only admins and managers reach this: emails.api.permissions)."""
    return EmailAccount.objects.order_by("name", "id")


def email_accounts_due_for_sync(*, now: datetime.datetime | None = None) -> list[int]:
    """Mailboxes with `auto_sync` on, not inactive, whose `sync_interval` (minutes) has
    passed since `last_sync` (or that never synced)."""
    now = now or timezone.now()
    rows = (
        EmailAccount.objects.filter(auto_sync=True)
        .exclude(status=EmailAccount.Status.INACTIVE)
        .values_list("pk", "last_sync", "sync_interval")
    )
    return [
        pk
        for pk, last_sync, interval in rows
        if last_sync is None or last_sync <= now - datetime.timedelta(minutes=interval)
    ]
