"""Every write and side effect of the email app, split by sub-domain."""

from emails.services.accounts import (
    email_account_create,
    email_account_delete,
    email_account_test,
    email_account_update,
    mail_server_for,
)
from emails.services.emails import email_mark_read, email_update
from emails.services.sync import SyncResult, email_account_sync
from emails.services.triage import email_triage

__all__ = [
    "SyncResult",
    "email_account_create",
    "email_account_delete",
    "email_account_sync",
    "email_account_test",
    "email_account_update",
    "email_mark_read",
    "email_triage",
    "email_update",
    "mail_server_for",
]
