"""AI providers behind one interface (base.AIProvider): `local` (offline) and the OpenAI
family (`openai`, `azure_openai`, `openai_compatible`) through the official SDK."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ai_assistant.providers.base import AIProvider, ProviderConfig


def provider_for(config: "ProviderConfig") -> "AIProvider":
    # Imported here: local composes with ai_assistant.answers, which imports providers.base.
    if config.provider == "local":
        from ai_assistant.providers.local import LocalProvider

        return LocalProvider()
    from ai_assistant.providers.openai_family import OpenAIFamilyProvider

    return OpenAIFamilyProvider(config)
