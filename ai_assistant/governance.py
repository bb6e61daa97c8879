"""Governance of AI calls: rate limits, the monthly token budget per team, the response
cache and the cost estimate. Usage rows are written by services (services/usage.py)."""

import calendar
import hashlib
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from ai_assistant.errors import AIBudgetExhaustedError, AIRateLimitedError
from ai_assistant.models import AISettings
from ai_assistant.selectors import ai_usage_tokens_this_month
from intelipro.api.throttling import rate_hit

if TYPE_CHECKING:
    from accounts.models import User

CACHE_PREFIX = "ai:answer:"


def ai_rate_limits_check(*, user: "User", ai_settings: AISettings) -> None:
    """Count one AI call for `user` against the spec's 100/hour (THROTTLE_RATES
    ["ai_queries"]) and the settings' per-minute and per-hour limits; raise the first that
    is exceeded (429 with Retry-After). Counters are atomic INCRs (fixed windows)."""
    ident = f"user:{user.pk}"
    limits = [
        ("ai_queries", settings.THROTTLE_RATES["ai_queries"]),
        ("ai_minute", f"{ai_settings.rate_limit_per_minute}/m"),
        ("ai_hour", f"{ai_settings.rate_limit_per_hour}/h"),
    ]
    for scope, rate in limits:
        window = rate_hit(scope=scope, ident=ident, rate=rate)
        if window.exceeded:
            raise AIRateLimitedError(retry_after=window.retry_after, limit=rate)


def ai_budget_check(*, user: "User") -> None:
    """Refuse (429 ai_budget_exhausted) when the caller's team (branch; users without one
    share the organisation's budget) has used its monthly token budget on external providers."""
    budget = settings.AI_MONTHLY_TOKEN_BUDGET
    if not budget:
        return
    used = ai_usage_tokens_this_month(branch_id=user.branch_id)
    if used >= budget:
        now = timezone.localtime()
        days = calendar.monthrange(now.year, now.month)[1]
        month_end = now.replace(day=days, hour=23, minute=59, second=59)
        raise AIBudgetExhaustedError(
            retry_after=int((month_end - now).total_seconds()) + 1, used=used, budget=budget
        )


def cost_estimate(*, model: str, tokens_in: int, tokens_out: int) -> Decimal:
    """USD from settings.AI_PRICES_PER_MILLION (longest matching model prefix); 0 if unknown."""
    prices = settings.AI_PRICES_PER_MILLION
    match = max((name for name in prices if model.startswith(name)), key=len, default=None)
    if match is None:
        return Decimal("0")
    price_in, price_out = prices[match]
    total = (Decimal(str(price_in)) * tokens_in + Decimal(str(price_out)) * tokens_out) / 10**6
    return total.quantize(Decimal("0.000001"))


def answer_cache_key(*, provider: str, model: str, payload: dict[str, Any]) -> str:
    """Same provider, model and context (question, passages, figures, case) → same key."""
    raw = json.dumps([provider, model, payload], sort_keys=True, default=str)
    return CACHE_PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def answer_cache_get(key: str) -> dict[str, Any] | None:
    return cache.get(key)


def answer_cache_set(key: str, value: dict[str, Any]) -> None:
    if settings.AI_CACHE_TTL > 0:
        cache.set(key, value, timeout=settings.AI_CACHE_TTL)
