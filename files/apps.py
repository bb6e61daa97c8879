from django.apps import AppConfig


class FilesConfig(AppConfig):
    """Documents attached to cases, policies, customers, claims and emails."""

    name = "files"
