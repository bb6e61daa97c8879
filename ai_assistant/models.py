"""The AI assistant's tables: its settings (the spec's `ai_settings`), the knowledge base
(documents and their indexed chunks) and the usage log every call writes."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.fields import EncryptedTextField
from intelipro.models import TimeStampedModel


class Provider(models.TextChoices):
    LOCAL = "local", "Local (offline, no key)"
    OPENAI = "openai", "OpenAI"
    AZURE_OPENAI = "azure_openai", "Azure OpenAI"
    OPENAI_COMPATIBLE = "openai_compatible", "OpenAI-compatible (Ollama, vLLM, LM Studio)"


# The spec's feature keys plus classify, draftReply and summarize (issue 14).
DEFAULT_FEATURES = {
    "renewalInsights": True,
    "processOptimization": True,
    "customerRetention": True,
    "predictiveAnalytics": False,
    "classify": True,
    "draftReply": True,
    "summarize": True,
}
FEATURE_KEYS = tuple(DEFAULT_FEATURES)
DEFAULT_FALLBACK_MESSAGE = (
    "The AI assistant cannot answer right now. Please try again in a few minutes, or ask "
    "your manager."
)
MAX_TOKENS_LIMIT = 16000  # the largest completion we let one call ask for


class AISettings(TimeStampedModel):
    """How the organisation's AI assistant answers: which provider and model, its limits, the
    features turned on and what to do when the provider fails. One row (pk 1); until the first
    PUT /ai/settings the values come from the environment (AI_PROVIDER, AI_MODEL, ...).

    `fallback_chain` is an ordered list of further providers, each a dict with the same
    fields as the primary (provider, model, base_url, azure_endpoint, azure_deployment,
    api_version; an `api_key` is stored encrypted like the primary's). `local` is always the
    last resort when `fallback_enabled` is on.
    """

    SINGLETON_PK = 1

    enabled = models.BooleanField(default=True)
    provider = models.CharField(max_length=50, choices=Provider.choices, default=Provider.LOCAL)
    # Write-only through the API (shown as api_key_set + last 4 characters); "" = no key.
    api_key_encrypted = EncryptedTextField(blank=True, default="")
    model = models.CharField(max_length=100, blank=True)
    temperature = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.70"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("2"))],
    )
    max_tokens = models.PositiveIntegerField(
        default=1000, validators=[MinValueValidator(1), MaxValueValidator(MAX_TOKENS_LIMIT)]
    )
    response_timeout = models.PositiveIntegerField(default=30, help_text="Seconds per call.")
    rate_limit_per_minute = models.PositiveIntegerField(default=60, help_text="Per user.")
    rate_limit_per_hour = models.PositiveIntegerField(default=1000, help_text="Per user.")
    features = models.JSONField(default=dict, blank=True)
    # The spec's column: retrieval options ({"top_k": 4}).
    knowledge_base = models.JSONField(default=dict, blank=True)
    fallback_enabled = models.BooleanField(default=True)
    fallback_message = models.TextField(blank=True)
    base_url = models.CharField(max_length=500, blank=True)
    azure_endpoint = models.CharField(max_length=500, blank=True)
    azure_deployment = models.CharField(max_length=200, blank=True)
    api_version = models.CharField(max_length=40, blank=True)
    fallback_chain = models.JSONField(default=list, blank=True)
    # The keys of the fallback chain's providers, a JSON list in chain order, encrypted.
    fallback_api_keys_encrypted = EncryptedTextField(blank=True, default="")

    class Meta:
        db_table = "ai_settings"
        verbose_name = "AI settings"
        verbose_name_plural = "AI settings"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="ai_settings_singleton"),
            models.CheckConstraint(
                condition=Q(temperature__gte=0) & Q(temperature__lte=2),
                name="ai_settings_temperature_range",
            ),
            models.CheckConstraint(
                condition=Q(provider__in=[p.value for p in Provider]),
                name="ai_settings_provider_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"AI settings ({self.provider})"

    def feature_on(self, key: str) -> bool:
        return bool({**DEFAULT_FEATURES, **(self.features or {})}.get(key, False))


class KnowledgeDocument(TimeStampedModel):
    """A document of the team's knowledge base (a playbook, a product note, a regulation
    summary) that the assistant retrieves passages from. `content` is the text (extracted
    from the PDF for PDFs); it is chunked and indexed by a task after every save."""

    class DocType(models.TextChoices):
        MARKDOWN = "markdown", "Markdown"
        TEXT = "text", "Plain text"
        PDF = "pdf", "PDF"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be indexed"
        INDEXED = "indexed", "Indexed"
        FAILED = "failed", "Indexing failed"

    title = models.CharField(max_length=200)
    # Stable name of a shipped document (seed loads by slug); "" for documents users add.
    slug = models.SlugField(max_length=100, blank=True)
    doc_type = models.CharField(max_length=20, choices=DocType.choices)
    content = models.TextField()
    file_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.PositiveIntegerField(default=0)
    tags = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # sha256 of `content`: the indexer skips a document whose chunks already match.
    content_hash = models.CharField(max_length=64)
    indexed_hash = models.CharField(max_length=64, blank=True)
    chunk_count = models.PositiveIntegerField(default=0)
    indexed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"], condition=~Q(slug=""), name="knowledge_documents_slug_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class KnowledgeChunk(models.Model):
    """One passage of a knowledge document, with its tokens for BM25 ranking."""

    document = models.ForeignKey(KnowledgeDocument, on_delete=models.CASCADE, related_name="chunks")
    position = models.PositiveIntegerField()
    heading = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    tokens = models.JSONField(default=list)

    class Meta:
        ordering = ["document_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "position"], name="knowledge_chunks_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.position}"

    @property
    def chunk_id(self) -> str:
        return f"{self.document_id}:{self.position}"


class AIUsage(models.Model):
    """One call to the assistant (answered, cached, fallen back, refused): who asked what kind
    of thing, which provider answered, tokens, estimated cost and latency. The governance log
    behind budgets, the admin's totals and cost reports."""

    class Feature(models.TextChoices):
        QUERY = "query", "Query"
        CLASSIFY = "classify", "Classify"
        SETTINGS_TEST = "settings_test", "Settings test call"

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Answered by the primary provider"
        FALLBACK = "fallback", "Answered by a fallback provider"
        FALLBACK_MESSAGE = "fallback_message", "Every provider failed: fallback message"
        CACHED = "cached", "Served from the cache"
        ERROR = "error", "Failed"
        RATE_LIMITED = "rate_limited", "Refused: rate limit"
        BUDGET_EXHAUSTED = "budget_exhausted", "Refused: monthly token budget"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The user's team (branch) when asked; budgets are per team. Null: no branch.
    branch = models.ForeignKey(
        "accounts.Branch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    feature = models.CharField(max_length=30, choices=Feature.choices)
    provider = models.CharField(max_length=50, blank=True)
    model = models.CharField(max_length=100, blank=True)
    prompt_version = models.CharField(max_length=40, blank=True)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    cost_estimate = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))
    latency_ms = models.PositiveIntegerField(default=0)
    cache_hit = models.BooleanField(default=False)
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    error_code = models.CharField(max_length=100, blank=True)
    case_id = models.BigIntegerField(null=True, blank=True)
    email_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "AI usage"
        verbose_name_plural = "AI usage"
        indexes = [
            models.Index(fields=["branch", "created_at"], name="idx_ai_usage_branch_created"),
            models.Index(fields=["user", "created_at"], name="idx_ai_usage_user_created"),
        ]

    def __str__(self) -> str:
        return f"{self.feature} {self.provider} {self.outcome}"
