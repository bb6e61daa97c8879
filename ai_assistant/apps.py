from django.apps import AppConfig


class AiAssistantConfig(AppConfig):
    """The AI assistant: answers grounded in the knowledge base and live renewal figures,
    on any provider (or none: the offline `local` one), governed, cached and measured."""

    name = "ai_assistant"
    verbose_name = "AI assistant"
