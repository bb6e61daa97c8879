"""Shapes of the AI endpoints: input validation and output."""

from typing import Any

from django.conf import settings
from rest_framework import serializers

from ai_assistant.classify import CATEGORIES
from ai_assistant.models import (
    DEFAULT_FEATURES,
    FEATURE_KEYS,
    MAX_TOKENS_LIMIT,
    AISettings,
    KnowledgeDocument,
    Provider,
)
from ai_assistant.selectors import ai_settings_keys
from intelipro.api.fields import StrictBooleanField, StrictCharField
from renewals.lifecycle import Priority


def _key_view(key: str) -> dict[str, Any]:
    """What anyone may know about a key: whether it is set, and its last 4 characters."""
    return {"api_key_set": bool(key), "api_key_last4": key[-4:] if len(key) >= 8 else ""}


def ai_settings_data(row: AISettings) -> dict[str, Any]:
    primary_key, chain_keys = ai_settings_keys(row)
    chain = []
    for i, entry in enumerate(row.fallback_chain or []):
        key = chain_keys[i] if i < len(chain_keys) else ""
        chain.append({**entry, **_key_view(key)})
    return {
        "enabled": row.enabled,
        "provider": row.provider,
        "model": row.model,
        "temperature": float(row.temperature),
        "max_tokens": row.max_tokens,
        "response_timeout": row.response_timeout,
        "rate_limit_per_minute": row.rate_limit_per_minute,
        "rate_limit_per_hour": row.rate_limit_per_hour,
        "features": {**DEFAULT_FEATURES, **(row.features or {})},
        "knowledge_base": row.knowledge_base or {},
        "fallback_enabled": row.fallback_enabled,
        "fallback_message": row.fallback_message,
        "base_url": row.base_url,
        "azure_endpoint": row.azure_endpoint,
        "azure_deployment": row.azure_deployment,
        "api_version": row.api_version,
        "fallback_chain": chain,
        **_key_view(primary_key),
        "monthly_token_budget": settings.AI_MONTHLY_TOKEN_BUDGET,
    }


class FallbackProviderSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=Provider.choices)
    model = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    base_url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    azure_endpoint = serializers.URLField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    azure_deployment = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    api_version = StrictCharField(max_length=40, required=False, allow_blank=True, default="")
    api_key = StrictCharField(
        max_length=500, required=False, allow_blank=True, write_only=True, trim_whitespace=True
    )
    api_key_set = serializers.BooleanField(read_only=True)
    api_key_last4 = StrictCharField(read_only=True)


class AISettingsSerializer(serializers.Serializer):
    """GET /ai/settings (output) and PUT /ai/settings (input: send only what changes)."""

    enabled = StrictBooleanField(required=False)
    provider = serializers.ChoiceField(choices=Provider.choices, required=False)
    model = StrictCharField(max_length=100, required=False, allow_blank=True)
    temperature = serializers.DecimalField(
        max_digits=3, decimal_places=2, min_value=0, max_value=2, required=False,
        coerce_to_string=False,
    )  # fmt: skip
    max_tokens = serializers.IntegerField(min_value=1, max_value=MAX_TOKENS_LIMIT, required=False)
    response_timeout = serializers.IntegerField(min_value=1, max_value=300, required=False)
    rate_limit_per_minute = serializers.IntegerField(min_value=1, max_value=10000, required=False)
    rate_limit_per_hour = serializers.IntegerField(min_value=1, max_value=100000, required=False)
    features = serializers.DictField(child=StrictBooleanField(), required=False)
    knowledge_base = serializers.DictField(required=False)
    fallback_enabled = StrictBooleanField(required=False)
    fallback_message = StrictCharField(max_length=2000, required=False, allow_blank=True)
    base_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    azure_endpoint = serializers.URLField(max_length=500, required=False, allow_blank=True)
    azure_deployment = StrictCharField(max_length=200, required=False, allow_blank=True)
    api_version = StrictCharField(max_length=40, required=False, allow_blank=True)
    fallback_chain = FallbackProviderSerializer(many=True, required=False)
    api_key = StrictCharField(
        max_length=500,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Write-only. Stored encrypted; an empty string removes it.",
    )
    api_key_set = serializers.BooleanField(read_only=True)
    api_key_last4 = StrictCharField(read_only=True)
    monthly_token_budget = serializers.IntegerField(read_only=True)

    def validate_features(self, value: dict[str, bool]) -> dict[str, bool]:
        unknown = sorted(set(value) - set(FEATURE_KEYS))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown feature(s): {', '.join(unknown)}. Known: {', '.join(FEATURE_KEYS)}."
            )
        return value

    def validate_knowledge_base(self, value: dict[str, Any]) -> dict[str, Any]:
        top_k = value.get("top_k", 4)
        if set(value) - {"top_k"} or not isinstance(top_k, int) or not 1 <= top_k <= 10:
            raise serializers.ValidationError("Only `top_k` (1-10) is supported.")
        return value

    def validate_fallback_chain(self, value: list[dict]) -> list[dict]:
        if len(value) > 3:
            raise serializers.ValidationError("At most 3 fallback providers.")
        return value


class AISettingsTestSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    provider = StrictCharField()
    model = StrictCharField()
    error_code = StrictCharField()
    latency_ms = serializers.IntegerField()


class AISettingsWithTestSerializer(AISettingsSerializer):
    test = AISettingsTestSerializer(required=False, help_text="Only with ?test=true.")


class QueryContextSerializer(serializers.Serializer):
    page = StrictCharField(max_length=50, required=False, allow_blank=True)
    user_role = StrictCharField(max_length=50, required=False, allow_blank=True)
    case_id = serializers.IntegerField(min_value=1, required=False)
    email_id = serializers.IntegerField(min_value=1, required=False)


class AIQueryInputSerializer(serializers.Serializer):
    query = StrictCharField(max_length=2000)
    context = QueryContextSerializer(required=False)


class AISourceSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["document", "metric", "case"])
    title = StrictCharField(required=False)
    document_id = serializers.IntegerField(required=False)
    chunk_id = StrictCharField(required=False, help_text="<document id>:<position>")
    score = serializers.FloatField(required=False)
    name = StrictCharField(required=False, help_text="Metric name.")
    case_id = serializers.IntegerField(required=False)


class AIUsageSummarySerializer(serializers.Serializer):
    model = StrictCharField()
    tokens_in = serializers.IntegerField()
    tokens_out = serializers.IntegerField()
    cost_estimate = serializers.FloatField(help_text="USD, from the price table in settings.")
    latency_ms = serializers.IntegerField()


class AIQueryResponseSerializer(serializers.Serializer):
    response = StrictCharField()
    confidence = serializers.FloatField()
    sources = AISourceSerializer(many=True)
    suggestions = serializers.ListField(child=StrictCharField())
    provider = StrictCharField(help_text="Which provider answered; '' for the fallback.")
    cached = serializers.BooleanField()
    usage = AIUsageSummarySerializer()


class KnowledgeDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = KnowledgeDocument
        fields = [
            "id",
            "title",
            "slug",
            "doc_type",
            "file_name",
            "size_bytes",
            "tags",
            "is_active",
            "status",
            "chunk_count",
            "indexed_at",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class KnowledgeDocumentDetailSerializer(KnowledgeDocumentSerializer):
    class Meta(KnowledgeDocumentSerializer.Meta):
        fields = [*KnowledgeDocumentSerializer.Meta.fields, "content"]
        read_only_fields = fields


class KnowledgeDocumentCreateInputSerializer(serializers.Serializer):
    """JSON with `content`, or multipart with `file` (.md, .txt, .pdf)."""

    title = StrictCharField(max_length=200, required=False)
    content = StrictCharField(required=False, trim_whitespace=True)
    doc_type = serializers.ChoiceField(
        choices=[KnowledgeDocument.DocType.MARKDOWN, KnowledgeDocument.DocType.TEXT],
        required=False,
        default=KnowledgeDocument.DocType.MARKDOWN,
    )
    file = serializers.FileField(required=False)
    tags = serializers.ListField(
        child=StrictCharField(max_length=50), required=False, max_length=20
    )
    is_active = serializers.BooleanField(required=False, default=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("file")) == bool(attrs.get("content")):
            raise serializers.ValidationError(
                {"content": "Send either `content` or a `file` (.md, .txt, .pdf)."}
            )
        if attrs.get("content") and not attrs.get("title"):
            raise serializers.ValidationError({"title": "This field is required."})
        return attrs


class KnowledgeDocumentUpdateInputSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200, required=False)
    content = StrictCharField(required=False)
    tags = serializers.ListField(
        child=StrictCharField(max_length=50), required=False, max_length=20
    )
    is_active = serializers.BooleanField(required=False)


class AIClassifyInputSerializer(serializers.Serializer):
    text = StrictCharField(max_length=20000)
    subject = StrictCharField(max_length=500, required=False, allow_blank=True)


class AISentimentSerializer(serializers.Serializer):
    score = serializers.FloatField(help_text="-1 (very negative) .. 1 (very positive)")
    label = serializers.ChoiceField(choices=["positive", "neutral", "negative"])


class AIIntentSerializer(serializers.Serializer):
    name = StrictCharField()
    confidence = serializers.FloatField()


class AIClassifyResponseSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=list(CATEGORIES))
    category_confidence = serializers.FloatField()
    sentiment = AISentimentSerializer()
    intent = AIIntentSerializer()
    # The same values as a case's priority (renewals.lifecycle.Priority).
    priority = serializers.ChoiceField(choices=Priority.choices)
    provider = StrictCharField()
    model = StrictCharField()
