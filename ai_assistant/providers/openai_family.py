"""`openai`, `azure_openai` and `openai_compatible` (Ollama, vLLM, LM Studio, any base URL),
all through the official `openai` SDK's chat-completions API.

The SDK's own retries are off (max_retries=0): on a timeout, 5xx, 429 or connection error
the next provider of the fallback chain answers within the same request instead. Errors are
reduced to a code (`timeout`, `rate_limited`, `http_503`, ...) so no key, header or request
body ever reaches a log line, a response or an audit event.
"""

import json
import logging
from typing import Any

import openai

from ai_assistant.errors import ProviderError
from ai_assistant.providers.base import AIRequest, Completion, ProviderConfig, estimate_tokens

logger = logging.getLogger(__name__)

DEFAULT_MODELS = {
    "openai": "gpt-4o-mini",
    "azure_openai": "gpt-4o-mini",
    "openai_compatible": "llama3.1",
}
# Ollama and friends take any key; the SDK insists on one.
NO_KEY = "not-needed"


class OpenAIFamilyProvider:
    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.name = config.provider
        self.model = config.model or DEFAULT_MODELS.get(config.provider, "gpt-4o-mini")

    def _client(self) -> openai.OpenAI:
        c = self.config
        if c.provider == "azure_openai":
            return openai.AzureOpenAI(
                api_key=c.api_key or NO_KEY,
                azure_endpoint=c.azure_endpoint,
                azure_deployment=c.azure_deployment or None,
                api_version=c.api_version or "2024-10-21",
                timeout=c.timeout,
                max_retries=0,
            )
        return openai.OpenAI(
            api_key=c.api_key or NO_KEY,
            base_url=(c.base_url or None) if c.provider == "openai_compatible" else None,
            timeout=c.timeout,
            max_retries=0,
        )

    def complete(self, request: AIRequest) -> Completion:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
        }
        if request.json_schema is not None:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "result", "schema": request.json_schema, "strict": True},
            }
        try:
            response = self._client().chat.completions.create(**kwargs)
        except openai.APITimeoutError as exc:
            raise ProviderError("timeout") from exc
        except openai.APIConnectionError as exc:
            raise ProviderError("connection_error") from exc
        except openai.RateLimitError as exc:
            raise ProviderError("rate_limited", status=429) from exc
        except openai.APIStatusError as exc:
            status = exc.status_code
            # 5xx: the provider's trouble, try the next one. 4xx (bad key, unknown model,
            # invalid request) would fail again the same way, but the user still deserves an
            # answer, so the chain goes on; the code tells the admin what to fix.
            raise ProviderError(f"http_{status}", status=status) from exc
        except openai.OpenAIError as exc:
            raise ProviderError("provider_error") from exc
        choice = response.choices[0] if response.choices else None
        text = (choice.message.content or "") if choice else ""
        if not text.strip():
            raise ProviderError("empty_response")
        usage = response.usage
        prompt = json.dumps(request.messages)
        return Completion(
            text=text.strip(),
            provider=self.name,
            model=getattr(response, "model", None) or self.model,
            tokens_in=usage.prompt_tokens if usage else estimate_tokens(prompt),
            tokens_out=usage.completion_tokens if usage else estimate_tokens(text),
        )
