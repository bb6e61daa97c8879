from django.apps import AppConfig


class EmailsConfig(AppConfig):
    """Shared mailboxes: synced over IMAP, answered over SMTP, linked to renewal cases."""

    name = "emails"
    verbose_name = "Emails"
