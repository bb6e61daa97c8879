from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, roles, branches, sign-in and the permission matrix."""

    name = "accounts"
    verbose_name = "Accounts and access"
