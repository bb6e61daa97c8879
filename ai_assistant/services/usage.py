"""The usage log: one AIUsage row per call, answered or refused."""

from typing import TYPE_CHECKING

from ai_assistant.governance import cost_estimate
from ai_assistant.models import AIUsage

if TYPE_CHECKING:
    from accounts.models import User


def ai_usage_record(
    *,
    user: "User | None",
    feature: str,
    outcome: str,
    provider: str = "",
    model: str = "",
    prompt_version: str = "",
    tokens_in: int = 0,
    tokens_out: int = 0,
    latency_ms: int = 0,
    cache_hit: bool = False,
    error_code: str = "",
    case_id: int | None = None,
    email_id: int | None = None,
) -> AIUsage:
    """Write one usage row (its own autocommit insert: never inside a provider call's
    transaction, and kept even when the request then fails)."""
    actor = user if user is not None and user.is_authenticated else None
    return AIUsage.objects.create(
        user=actor,
        branch_id=actor.branch_id if actor is not None else None,
        feature=feature,
        outcome=outcome,
        provider=provider,
        model=model,
        prompt_version=prompt_version,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost_estimate=cost_estimate(model=model, tokens_in=tokens_in, tokens_out=tokens_out)
        if provider not in ("", "local")
        else 0,
        latency_ms=latency_ms,
        cache_hit=cache_hit,
        error_code=error_code[:100],
        case_id=case_id,
        email_id=email_id,
    )
