from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    """Customers, policies and renewal cases: the work agents do every day."""

    name = "renewals"
