from django.apps import AppConfig


class UploadsConfig(AppConfig):
    """Insurers' Excel/CSV renewal files turned into customers, policies and cases."""

    name = "uploads"
