from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    """Users, roles, branches, sign-in and the permission matrix."""

    default = True  # this module also holds InteliproAdminConfig
    name = "accounts"
    verbose_name = "Accounts and access"

    def ready(self) -> None:
        # Registers the OpenAPI extension of our authentication class.
        from accounts import authentication  # noqa: F401


class InteliproAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with our site (OTP for staff who own a device) as admin.site."""

    default = False  # named explicitly in INSTALLED_APPS
    default_site = "accounts.admin_site.InteliproAdminSite"
