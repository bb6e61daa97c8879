"""The provider interface: every provider answers an AIRequest with a Completion or raises
ProviderError (with `fallback=True` when the next provider should be tried)."""

from dataclasses import dataclass, field
from typing import Any, Protocol

from ai_assistant.retrieval import RetrievedChunk


@dataclass(frozen=True)
class Fact:
    """One live figure, as a sentence the local provider can say and a prompt can quote."""

    name: str  # e.g. "renewal_rate_by_branch": named in `sources`
    sentence: str


@dataclass
class AIRequest:
    """What a provider gets: chat messages for LLMs, and the same grounding as data for the
    local provider (which composes its answer without a language model)."""

    messages: list[dict[str, str]]
    question: str = ""
    chunks: list[RetrievedChunk] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    case: dict[str, Any] | None = None
    topics: frozenset[str] = frozenset()
    # When set, LLM providers must answer JSON matching this schema (classify).
    json_schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class Completion:
    text: str
    provider: str
    model: str
    tokens_in: int
    tokens_out: int
    confidence: float | None = None  # the local provider knows its retrieval confidence


@dataclass(frozen=True)
class ProviderConfig:
    """One provider of the chain, with its key in clear (never logged, never returned)."""

    provider: str
    model: str
    api_key: str = field(default="", repr=False)
    base_url: str = ""
    azure_endpoint: str = ""
    azure_deployment: str = ""
    api_version: str = ""
    temperature: float = 0.7
    max_tokens: int = 1000
    timeout: float = 30.0


class AIProvider(Protocol):
    name: str

    def complete(self, request: AIRequest) -> Completion: ...


def estimate_tokens(text: str) -> int:
    """~4 characters per token (OpenAI's rule of thumb) for providers that report none."""
    return max(1, len(text) // 4) if text else 0
