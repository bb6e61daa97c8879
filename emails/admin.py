"""The operations console for mailboxes and emails.

Mailboxes are changed through the API (the password is write-only there); here staff see
them, their last sync and errors, and run "test connection" and "sync now", which call the
same services as the API. Emails are read-only here (filters, thread id, case link).
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from emails import services
from emails.models import Email, EmailAccount


@admin.register(EmailAccount)
class EmailAccountAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "email",
        "provider",
        "status",
        "auto_sync",
        "sync_interval",
        "last_sync",
    ]
    list_filter = ["status", "auto_sync", "provider"]
    search_fields = ["name", "email"]
    exclude = ["password_encrypted"]
    readonly_fields = [f.name for f in EmailAccount._meta.fields if f.name != "password_encrypted"]
    actions = ["test_connection", "sync_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # through POST /email-accounts (password handling, validation, audit)

    def has_change_permission(self, request: HttpRequest, obj: EmailAccount | None = None) -> bool:
        return False

    @admin.action(description="Test the IMAP and SMTP logins")
    def test_connection(self, request: HttpRequest, queryset: QuerySet[EmailAccount]) -> None:
        for account in queryset:
            result = services.email_account_test(account_id=account.pk)
            level = messages.SUCCESS if result["ok"] else messages.WARNING
            self.message_user(
                request,
                f"{account.email}: IMAP {result['imap']['code'] or 'ok'}, "
                f"SMTP {result['smtp']['code'] or 'ok'}",
                level,
            )

    @admin.action(description="Sync now")
    def sync_now(self, request: HttpRequest, queryset: QuerySet[EmailAccount]) -> None:
        for account in queryset:
            result = services.email_account_sync(account_id=account.pk)
            self.message_user(
                request,
                f"{account.email}: {result.created} new of {result.fetched} fetched"
                + (f" ({result.error_code})" if result.error_code else ""),
                messages.WARNING if result.error_code else messages.SUCCESS,
            )


@admin.register(Email)
class EmailAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "from_email",
        "account",
        "status",
        "category",
        "priority",
        "assigned_to",
        "case",
        "received_at",
    ]
    list_filter = ["status", "category", "priority", "direction", "read_status", "account"]
    search_fields = ["subject", "from_email", "message_id", "thread_id"]
    list_select_related = ["account", "assigned_to", "case"]
    date_hierarchy = "received_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Email | None = None) -> list[str]:
        return [f.name for f in Email._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Email | None = None) -> bool:
        return False
