"""Reads of the email app."""

import datetime
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts import modules
from emails.models import Email, EmailAccount

if TYPE_CHECKING:
    from accounts.models import User


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


def email_list(*, user: "User") -> QuerySet[Email]:
    """Emails `user` may see (docs/emails.md "Scope"):
    - admins (and managers without a branch): every email;
    - managers with a branch: emails of their branch's cases or assigned to their branch's
      people;
    - everyone else: emails assigned to them or linked to a case assigned to them.
    """
    qs = Email.objects.all()
    if not (user and user.is_authenticated):
        return qs.none()
    if user.is_superuser or user.role_name == modules.ADMIN:
        return qs
    if user.role_name == modules.MANAGER:
        if not user.branch_id:
            return qs
        return qs.filter(
            Q(case__policy__branch_id=user.branch_id) | Q(assigned_to__branch_id=user.branch_id)
        )
    return qs.filter(Q(assigned_to=user) | Q(case__assigned_to=user))


def email_thread(*, email: Email, user: "User") -> list[Email]:
    """The other messages of `email`'s thread that `user` may see, oldest first."""
    if not email.thread_id:
        return []
    return list(
        email_list(user=user)
        .filter(thread_id=email.thread_id)
        .exclude(pk=email.pk)
        .order_by("received_at", "id")
        .only(
            "id",
            "message_id",
            "direction",
            "from_email",
            "to_email",
            "subject",
            "received_at",
            "read_status",
            "body_text",
        )
    )
