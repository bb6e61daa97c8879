from django.apps import AppConfig


class CommunicationsConfig(AppConfig):
    """Messages to customers by email, SMS and WhatsApp, all through one compliant send gate
    (consent, suppression list, quiet hours, daily cap), and the customers' preferences."""

    name = "communications"
    verbose_name = "Communications"
