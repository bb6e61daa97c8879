"""The AI settings: updating them (admins), the provider chain they define, and the test call."""

import json
import logging
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ai_assistant.errors import ProviderError
from ai_assistant.models import AISettings, AIUsage, Provider
from ai_assistant.providers import provider_for
from ai_assistant.providers.base import AIRequest, ProviderConfig
from ai_assistant.selectors import ai_settings_current, ai_settings_from_env, ai_settings_keys
from ai_assistant.services.usage import ai_usage_record
from core.services import audit_log

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

SETTINGS_FIELDS = (
    "enabled",
    "provider",
    "model",
    "temperature",
    "max_tokens",
    "response_timeout",
    "rate_limit_per_minute",
    "rate_limit_per_hour",
    "features",
    "knowledge_base",
    "fallback_enabled",
    "fallback_message",
    "base_url",
    "azure_endpoint",
    "azure_deployment",
    "api_version",
    "fallback_chain",
)
CHAIN_FIELDS = (
    "provider",
    "model",
    "base_url",
    "azure_endpoint",
    "azure_deployment",
    "api_version",
)
SECRET_MASK = "***"  # noqa: S105 - the mask shown instead of a key


def _check_provider_fields(values: dict[str, Any], prefix: str = "") -> dict[str, str]:
    errors = {}
    if values.get("provider") == Provider.OPENAI_COMPATIBLE and not values.get("base_url"):
        errors[f"{prefix}base_url"] = "Required for the openai_compatible provider."
    if values.get("provider") == Provider.AZURE_OPENAI:
        for name in ("azure_endpoint", "azure_deployment"):
            if not values.get(name):
                errors[f"{prefix}{name}"] = "Required for the azure_openai provider."
    return errors


def ai_settings_validate(values: dict[str, Any]) -> dict[str, str]:
    """Rules across fields: the primary's and each fallback provider's required fields.
    Returns {field: message}, empty when valid."""
    errors = _check_provider_fields({name: values.get(name) for name in CHAIN_FIELDS})
    for i, entry in enumerate(values.get("fallback_chain") or []):
        if not isinstance(entry, dict) or entry.get("provider") not in Provider.values:
            errors[f"fallback_chain[{i}].provider"] = "A known provider is required."
            continue
        errors.update(_check_provider_fields(entry, prefix=f"fallback_chain[{i}]."))
    return errors


def ai_settings_update(
    *, actor: "User | None", data: dict[str, Any], api_key: str | None = None
) -> AISettings:
    """Change the AI settings (validated shapes from the API or admin). `api_key`: None keeps
    the stored key, "" removes it, anything else replaces it. Each fallback_chain entry may
    carry its own `api_key` the same way. Audited, with keys masked."""
    unknown = set(data) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    with transaction.atomic():
        existing = AISettings.objects.select_for_update().filter(pk=AISettings.SINGLETON_PK).first()
        created = existing is None
        row = existing if existing is not None else ai_settings_from_env()
        primary_key, chain_keys = ai_settings_keys(row)
        before = {name: getattr(row, name) for name in SETTINGS_FIELDS}
        data = dict(data)
        if "features" in data:
            data["features"] = {**(row.features or {}), **data["features"]}
        if "fallback_chain" in data:
            entries, new_keys = [], []
            for i, entry in enumerate(data["fallback_chain"]):
                entry = dict(entry)
                key = entry.pop("api_key", None)
                new_keys.append(
                    key if key is not None else (chain_keys[i] if i < len(chain_keys) else "")
                )
                entries.append({name: entry.get(name, "") for name in CHAIN_FIELDS})
            data["fallback_chain"] = entries
            chain_keys = new_keys
        for name, value in data.items():
            setattr(row, name, value)
        errors = ai_settings_validate({name: getattr(row, name) for name in SETTINGS_FIELDS})
        if errors:
            raise ValidationError(errors)
        key_changed = False
        if api_key is not None and api_key != primary_key:
            primary_key, key_changed = api_key, True
        row.api_key_encrypted = primary_key
        row.fallback_api_keys_encrypted = json.dumps(chain_keys) if any(chain_keys) else ""
        changes = {
            name: [_plain(before[name]), _plain(getattr(row, name))]
            for name in SETTINGS_FIELDS
            if before[name] != getattr(row, name)
        }
        if key_changed:
            changes["api_key"] = [SECRET_MASK, SECRET_MASK]  # that it changed, never the value
        if not changes and not created:
            return row
        row.full_clean(exclude=["fallback_chain"])
        row.save()
        audit_log(action="ai_settings.updated", actor=actor, obj=row, changes=changes)
    return row


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def provider_chain(ai_settings: AISettings) -> list[ProviderConfig]:
    """The providers to try, in order: the primary, the fallback chain, then `local` as the
    last resort when fallback is on. Without fallback, the primary only."""
    primary_key, chain_keys = ai_settings_keys(ai_settings)
    temperature = float(ai_settings.temperature)
    max_tokens = ai_settings.max_tokens
    timeout = float(ai_settings.response_timeout)
    chain = [
        ProviderConfig(
            provider=ai_settings.provider,
            model=ai_settings.model,
            api_key=primary_key,
            base_url=ai_settings.base_url,
            azure_endpoint=ai_settings.azure_endpoint,
            azure_deployment=ai_settings.azure_deployment,
            api_version=ai_settings.api_version,
            temperature=temperature,
            max_tokens=max_tokens,
            timeout=timeout,
        )
    ]
    if not ai_settings.fallback_enabled:
        return chain
    for i, entry in enumerate(ai_settings.fallback_chain or []):
        chain.append(
            ProviderConfig(
                provider=str(entry.get("provider") or ""),
                model=str(entry.get("model") or ""),
                api_key=chain_keys[i] if i < len(chain_keys) else "",
                base_url=str(entry.get("base_url") or ""),
                azure_endpoint=str(entry.get("azure_endpoint") or ""),
                azure_deployment=str(entry.get("azure_deployment") or ""),
                api_version=str(entry.get("api_version") or ""),
                temperature=temperature,
                max_tokens=max_tokens,
                timeout=timeout,
            )
        )
    if not any(c.provider == Provider.LOCAL for c in chain):
        chain.append(
            ProviderConfig(
                provider=Provider.LOCAL,
                model="",
                temperature=temperature,
                max_tokens=max_tokens,
                timeout=timeout,
            )
        )
    return chain


TEST_MESSAGES = [
    {"role": "system", "content": "You are a connectivity check. Reply with the word OK."},
    {"role": "user", "content": "Reply with OK."},
]


def ai_settings_test(*, actor: "User") -> dict[str, Any]:
    """One real call to the primary provider: {ok, provider, model, error_code, latency_ms}.
    Never raises for a provider failure; the error code (not the key, not the request) is
    reported and logged."""
    config = provider_chain(ai_settings_current())[0]
    provider = provider_for(config)
    started = time.perf_counter()
    error_code, completion = "", None
    try:
        completion = provider.complete(AIRequest(messages=TEST_MESSAGES, question="OK"))
    except ProviderError as exc:
        error_code = exc.code
        logger.warning("AI settings test call to %s failed: %s", config.provider, exc.code)
    latency_ms = int((time.perf_counter() - started) * 1000)
    ai_usage_record(
        user=actor,
        feature=AIUsage.Feature.SETTINGS_TEST,
        outcome=AIUsage.Outcome.SUCCESS if completion else AIUsage.Outcome.ERROR,
        provider=config.provider,
        model=completion.model if completion else getattr(provider, "model", config.model),
        prompt_version="settings-test-v1",
        tokens_in=completion.tokens_in if completion else 0,
        tokens_out=completion.tokens_out if completion else 0,
        latency_ms=latency_ms,
        error_code=error_code,
    )
    return {
        "ok": completion is not None,
        "provider": config.provider,
        "model": completion.model if completion else getattr(provider, "model", config.model),
        "error_code": error_code,
        "latency_ms": latency_ms,
    }
