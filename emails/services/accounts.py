"""Mailboxes: create, change, delete, and test their IMAP and SMTP logins."""

from typing import TYPE_CHECKING, Any

from django.db import transaction

from core.services import audit_log
from emails.models import EmailAccount
from emails.transport import MailConnectionError, MailServer, imap_connect, smtp_connect

if TYPE_CHECKING:
    from accounts.models import User

# Fields an admin or manager may set (password separately: it is never echoed or audited).
EDITABLE_FIELDS = (
    "name",
    "email",
    "provider",
    "imap_server",
    "imap_port",
    "smtp_server",
    "smtp_port",
    "username",
    "use_ssl",
    "auto_sync",
    "sync_interval",
    "status",
    "folders",
    "sent_folder",
)


def email_account_create(*, actor: "User", data: dict[str, Any], password: str) -> EmailAccount:
    with transaction.atomic():
        account = EmailAccount(
            **{k: v for k, v in data.items() if k in EDITABLE_FIELDS}, password_encrypted=password
        )
        account.save()
        audit_log(
            action="email_account.created",
            actor=actor,
            obj=account,
            changes={k: data[k] for k in EDITABLE_FIELDS if k in data},
        )
    return account


def email_account_update(
    *, actor: "User", account_id: int, data: dict[str, Any], password: str | None = None
) -> EmailAccount:
    """Change what is sent; a new password is stored encrypted and audited as "changed"."""
    with transaction.atomic():
        account = EmailAccount.objects.select_for_update().get(pk=account_id)
        changes: dict[str, Any] = {}
        for field in EDITABLE_FIELDS:
            if field in data and getattr(account, field) != data[field]:
                changes[field] = {"from": getattr(account, field), "to": data[field]}
                setattr(account, field, data[field])
        if password:
            account.password_encrypted = password
            changes["password"] = "changed"  # noqa: S105 - a marker, never the secret
        if changes:
            fields = [f for f in changes if f != "password"]
            if password:
                fields.append("password_encrypted")
            account.save(update_fields=[*fields, "updated_at"])
            audit_log(action="email_account.updated", actor=actor, obj=account, changes=changes)
    return account


def email_account_delete(*, actor: "User", account_id: int) -> None:
    with transaction.atomic():
        account = EmailAccount.objects.select_for_update().get(pk=account_id)
        audit_log(
            action="email_account.deleted",
            actor=actor,
            obj=account,
            changes={"email": account.email, "name": account.name},
        )
        account.delete()


def mail_server_for(account: EmailAccount) -> MailServer:
    return MailServer(
        imap_server=account.imap_server,
        imap_port=account.imap_port,
        smtp_server=account.smtp_server,
        smtp_port=account.smtp_port,
        username=account.username,
        password=account.password_encrypted,
        use_ssl=account.use_ssl,
    )


def email_account_test(*, account_id: int) -> dict[str, Any]:
    """Log in to IMAP and to SMTP with the stored settings and report each result.

    Changes nothing (a read of the servers): `{"ok", "imap": {ok, code, message},
    "smtp": {...}}` with codes imap_auth_failed, imap_unreachable, smtp_auth_failed,
    smtp_unreachable. No transaction is open while the servers are called.
    """
    server = mail_server_for(EmailAccount.objects.get(pk=account_id))
    results: dict[str, Any] = {}
    try:
        client = imap_connect(server)
    except MailConnectionError as exc:
        results["imap"] = {"ok": False, "code": exc.code, "message": exc.message}
    else:
        with client:
            results["imap"] = {"ok": True, "code": None, "message": "IMAP login succeeded."}
    try:
        smtp = smtp_connect(server)
    except MailConnectionError as exc:
        results["smtp"] = {"ok": False, "code": exc.code, "message": exc.message}
    else:
        with smtp:
            results["smtp"] = {"ok": True, "code": None, "message": "SMTP login succeeded."}
    results["ok"] = results["imap"]["ok"] and results["smtp"]["ok"]
    return results
