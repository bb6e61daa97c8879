"""POST /ai/query: an answer grounded in the knowledge base and the caller's live figures.

Flow: settings on? → rate limits and team budget → the case in context (404 out of scope)
→ retrieval + figures → cache → provider chain (PII redacted for external providers,
restored in the answer; next provider on timeout/5xx/429/connection error; the settings'
fallback_message with confidence 0 when all fail) → one AIUsage row, whatever happened.
No transaction is open while a provider is called.
"""

import logging
import time
from typing import TYPE_CHECKING, Any

from ai_assistant import answers
from ai_assistant.errors import (
    AIBudgetExhaustedError,
    AIDisabledError,
    AIRateLimitedError,
    ProviderError,
)
from ai_assistant.governance import (
    ai_budget_check,
    ai_rate_limits_check,
    answer_cache_get,
    answer_cache_key,
    answer_cache_set,
    cost_estimate,
)
from ai_assistant.models import DEFAULT_FALLBACK_MESSAGE, AIUsage, Provider
from ai_assistant.providers import provider_for
from ai_assistant.providers.base import AIRequest, Completion, Fact
from ai_assistant.redaction import Redactor
from ai_assistant.retrieval import RetrievedChunk, knowledge_search
from ai_assistant.selectors import ai_settings_current, case_context, renewal_metrics
from ai_assistant.services.settings import provider_chain
from ai_assistant.services.usage import ai_usage_record
from intelipro.api.errors import NotFoundError
from renewals.models import RenewalCase

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

DEFAULT_TOP_K = 4


def _sources(
    chunks: list[RetrievedChunk], facts: list[Fact], case: dict[str, Any] | None
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "type": "document",
            "title": c.title,
            "document_id": c.document_id,
            "chunk_id": c.chunk_id,
            "score": c.score,
        }
        for c in chunks
    ]
    out += [{"type": "metric", "name": f.name} for f in facts]
    if case:
        out.append({"type": "case", "case_id": case["case_id"], "title": case["case_number"]})
    return out


def _usage_payload(completion: Completion | None, latency_ms: int) -> dict[str, Any]:
    if completion is None:
        return {
            "model": "",
            "tokens_in": 0,
            "tokens_out": 0,
            "cost_estimate": 0.0,
            "latency_ms": latency_ms,
        }
    cost = (
        0
        if completion.provider == Provider.LOCAL
        else cost_estimate(
            model=completion.model,
            tokens_in=completion.tokens_in,
            tokens_out=completion.tokens_out,
        )
    )
    return {
        "model": completion.model,
        "tokens_in": completion.tokens_in,
        "tokens_out": completion.tokens_out,
        "cost_estimate": float(cost),
        "latency_ms": latency_ms,
    }


def ai_query(*, user: "User", query: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Answer `query` for `user`: {response, confidence, sources, suggestions, provider,
    cached, usage}."""
    context = context or {}
    started = time.perf_counter()
    ai_settings = ai_settings_current()
    case_id = context.get("case_id")
    email_id = context.get("email_id")
    page = str(context.get("page") or "")

    def record(outcome: str, **fields: Any) -> None:
        ai_usage_record(
            user=user,
            feature=AIUsage.Feature.QUERY,
            outcome=outcome,
            prompt_version=answers.PROMPT_VERSION,
            latency_ms=int((time.perf_counter() - started) * 1000),
            case_id=case_id,
            email_id=email_id,
            **fields,
        )

    if not ai_settings.enabled:
        raise AIDisabledError()
    try:
        ai_rate_limits_check(user=user, ai_settings=ai_settings)
    except AIRateLimitedError as exc:
        record(AIUsage.Outcome.RATE_LIMITED, error_code=exc.code)
        raise
    chain = provider_chain(ai_settings)
    if chain[0].provider != Provider.LOCAL:
        try:
            ai_budget_check(user=user)
        except AIBudgetExhaustedError as exc:
            record(AIUsage.Outcome.BUDGET_EXHAUSTED, error_code=exc.code)
            raise

    case = None
    if case_id is not None:
        try:
            case = case_context(user=user, case_id=int(case_id))
        except (RenewalCase.DoesNotExist, ValueError, TypeError):
            raise NotFoundError("Case not found.") from None

    top_k = int((ai_settings.knowledge_base or {}).get("top_k") or DEFAULT_TOP_K)
    chunks = knowledge_search(query=query, top_k=top_k)
    facts = answers.metric_facts(renewal_metrics(user=user))
    topics = answers.topics_of(query)
    used_facts = answers.relevant_facts(facts, topics)
    messages = answers.build_messages(
        question=query, chunks=chunks, facts=facts, case=case, page=page
    )
    suggestions = answers.suggestions_for(page=page, question=query, topics=topics)
    sources = _sources(chunks, used_facts, case)

    primary = chain[0]
    cache_key = answer_cache_key(
        provider=primary.provider,
        model=primary.model,
        payload={"messages": messages, "prompt": answers.PROMPT_VERSION},
    )
    cached = answer_cache_get(cache_key)
    if cached is not None:
        record(
            AIUsage.Outcome.CACHED,
            provider=cached["provider"],
            model=cached["usage"]["model"],
            cache_hit=True,
        )
        latency_ms = int((time.perf_counter() - started) * 1000)
        return {
            **cached,
            "cached": True,
            "usage": {**cached["usage"], "tokens_in": 0, "tokens_out": 0, "cost_estimate": 0.0}
            | {"latency_ms": latency_ms},
        }

    case_names = []
    if case:
        case_names = [
            case["customer_name"],
            case["customer_first_name"],
            case["customer_last_name"],
        ]
    completion: Completion | None = None
    errors: list[str] = []
    for config in chain:
        provider = provider_for(config)
        redactor = None if config.provider == Provider.LOCAL else Redactor(names=case_names)
        request = AIRequest(
            messages=redactor.redact_messages(messages) if redactor else messages,
            question=query,
            chunks=chunks,
            facts=facts,
            case=case,
            topics=topics,
        )
        try:
            completion = provider.complete(request)
        except ProviderError as exc:
            errors.append(f"{config.provider}:{exc.code}")
            logger.warning("AI provider %s failed: %s", config.provider, exc.code)
            continue
        if redactor is not None:
            completion = Completion(
                text=redactor.restore(completion.text),
                provider=completion.provider,
                model=completion.model,
                tokens_in=completion.tokens_in,
                tokens_out=completion.tokens_out,
                confidence=completion.confidence,
            )
        break
    latency_ms = int((time.perf_counter() - started) * 1000)
    error_code = ",".join(errors)[:100]

    if completion is None:
        # Every provider failed (or the primary did and fallback is off): the settings'
        # fallback message, with confidence 0.
        record(AIUsage.Outcome.FALLBACK_MESSAGE, provider=primary.provider, error_code=error_code)
        return {
            "response": ai_settings.fallback_message or DEFAULT_FALLBACK_MESSAGE,
            "confidence": 0,
            "sources": [],
            "suggestions": suggestions,
            "provider": "",
            "cached": False,
            "usage": _usage_payload(None, latency_ms),
        }

    confidence = (
        completion.confidence
        if completion.confidence is not None
        else answers.retrieval_confidence(chunks, len(used_facts))
    )
    result = {
        "response": completion.text,
        "confidence": confidence,
        "sources": sources,
        "suggestions": suggestions,
        "provider": completion.provider,
        "cached": False,
        "usage": _usage_payload(completion, latency_ms),
    }
    record(
        AIUsage.Outcome.FALLBACK if errors else AIUsage.Outcome.SUCCESS,
        provider=completion.provider,
        model=completion.model,
        tokens_in=completion.tokens_in,
        tokens_out=completion.tokens_out,
        error_code=error_code,
    )
    if not errors:  # a fallback's answer must not stand in for the primary's later
        answer_cache_set(cache_key, result)
    return result
