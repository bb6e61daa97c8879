from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """In-app, live (websocket), email and web-push notifications."""

    name = "notifications"
