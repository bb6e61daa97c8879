"""`ai_classify`: category, sentiment, intent and a priority suggestion for a customer's
message. The stable interface the emails app calls for triage:

    ai_classify(text=..., subject=None, user=None, email_id=None) -> {
        "category": one of classify.CATEGORIES,
        "category_confidence": 0..1,
        "sentiment": {"score": -1..1, "label": "positive" | "neutral" | "negative"},
        "intent": {"name": str, "confidence": 0..1},
        "priority": "low" | "medium" | "high" | "urgent",
        "provider": "local" | "openai" | ...,
        "model": str,
    }

With an LLM provider configured (and the `classify` feature on), the provider is asked for
JSON matching classify.CLASSIFY_SCHEMA (PII redacted); any failure or invalid output falls
back to the local model. Every call writes an AIUsage row.
"""

import logging
import time
from typing import TYPE_CHECKING, Any

from ai_assistant import classify
from ai_assistant.errors import (
    AIBudgetExhaustedError,
    AIFeatureDisabledError,
    AIRateLimitedError,
    ProviderError,
)
from ai_assistant.governance import ai_budget_check, ai_rate_limits_check
from ai_assistant.models import AIUsage, Provider
from ai_assistant.providers import provider_for
from ai_assistant.providers.base import AIRequest
from ai_assistant.redaction import Redactor
from ai_assistant.selectors import ai_settings_current
from ai_assistant.services.settings import provider_chain
from ai_assistant.services.usage import ai_usage_record

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

PROMPT_VERSION = "classify-v1"
MAX_CHARS = 8000  # what we read of a message: enough for triage, bounded cost
SYSTEM_PROMPT = (
    "You triage emails sent to an insurance company's renewal team. Classify the message: "
    "category, sentiment_score (-1 very negative .. 1 very positive), the sender's intent "
    "with your confidence (0..1), and a priority for the team. Answer only the JSON object."
)


def ai_classify(
    *,
    text: str,
    subject: str | None = None,
    user: "User | None" = None,
    email_id: int | None = None,
) -> dict[str, Any]:
    """Classify one message (see the module docstring for the result)."""
    started = time.perf_counter()
    ai_settings = ai_settings_current()
    if not ai_settings.enabled or not ai_settings.feature_on("classify"):
        raise AIFeatureDisabledError(details={"feature": "classify"})
    chain = provider_chain(ai_settings)
    if user is not None:  # people are rate-limited and budgeted; system triage is not
        try:
            ai_rate_limits_check(user=user, ai_settings=ai_settings)
            if chain[0].provider != Provider.LOCAL:
                ai_budget_check(user=user)
        except (AIRateLimitedError, AIBudgetExhaustedError) as exc:
            ai_usage_record(
                user=user,
                feature=AIUsage.Feature.CLASSIFY,
                outcome=AIUsage.Outcome.RATE_LIMITED
                if isinstance(exc, AIRateLimitedError)
                else AIUsage.Outcome.BUDGET_EXHAUSTED,
                prompt_version=PROMPT_VERSION,
                error_code=exc.code,
                email_id=email_id,
            )
            raise
    full = f"{subject.strip()}\n\n{text}" if subject else text
    full = full[:MAX_CHARS]
    result: dict[str, Any] | None = None
    errors: list[str] = []
    used_tokens = (0, 0)
    for config in chain:
        if config.provider == Provider.LOCAL:
            break
        redactor = Redactor()
        request = AIRequest(
            messages=[
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": redactor.redact(full)},
            ],
            json_schema=classify.CLASSIFY_SCHEMA,
        )
        try:
            completion = provider_for(config).complete(request)
        except ProviderError as exc:
            errors.append(f"{config.provider}:{exc.code}")
            logger.warning("AI classify via %s failed: %s", config.provider, exc.code)
            continue
        parsed = classify.parse_llm_classification(completion.text)
        if parsed is None:
            errors.append(f"{config.provider}:invalid_output")
            logger.warning("AI classify via %s: output not valid for the schema", config.provider)
            continue
        result = {**parsed, "provider": completion.provider, "model": completion.model}
        used_tokens = (completion.tokens_in, completion.tokens_out)
        break
    if result is None:
        result = {**classify.classify_local(text=full), "provider": Provider.LOCAL}
    outcome = AIUsage.Outcome.FALLBACK if errors else AIUsage.Outcome.SUCCESS
    ai_usage_record(
        user=user,
        feature=AIUsage.Feature.CLASSIFY,
        outcome=outcome,
        provider=result["provider"],
        model=result["model"],
        prompt_version=PROMPT_VERSION,
        tokens_in=used_tokens[0],
        tokens_out=used_tokens[1],
        latency_ms=int((time.perf_counter() - started) * 1000),
        error_code=",".join(errors),
        email_id=email_id,
    )
    return result
