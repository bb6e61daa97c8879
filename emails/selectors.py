"""Reads of the email app."""

from django.db.models import QuerySet

from emails.models import EmailAccount


def email_account_list() -> QuerySet[EmailAccount]:
    """Every mailbox (only admins and managers reach this: emails.api.permissions)."""
    return EmailAccount.objects.order_by("name", "id")
