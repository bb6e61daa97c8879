"""Domain errors of the AI assistant; codes are API contracts (never rename one)."""

from intelipro.api.errors import DomainError


class AIDisabledError(DomainError):
    code = "ai_disabled"
    status_code = 409
    message = "The AI assistant is turned off in the AI settings."


class AIFeatureDisabledError(DomainError):
    code = "ai_feature_disabled"
    status_code = 409
    message = "This AI feature is turned off in the AI settings."


class AIRateLimitedError(DomainError):
    code = "throttled"
    status_code = 429
    message = "Too many AI requests; try again later."

    def __init__(self, *, retry_after: int, limit: str) -> None:
        super().__init__(details={"retry_after": retry_after, "limit": limit})
        self.retry_after = retry_after


class AIBudgetExhaustedError(DomainError):
    code = "ai_budget_exhausted"
    status_code = 429
    message = "Your team has used its AI token budget for this month."

    def __init__(self, *, retry_after: int, used: int, budget: int) -> None:
        super().__init__(details={"used_tokens": used, "monthly_budget": budget})
        self.retry_after = retry_after


class KnowledgeDocumentInvalidError(DomainError):
    code = "knowledge_document_invalid"
    status_code = 400
    message = "The document cannot be read."


class KnowledgeDocumentTooLargeError(DomainError):
    code = "knowledge_document_too_large"
    status_code = 413
    message = "The document is too large."


class ProviderError(Exception):
    """A provider call failed. `fallback` says whether the next provider should be tried
    (timeout, 5xx, 429, connection error); `code` is the provider's error code, safe to show
    (never the key or the request)."""

    def __init__(self, code: str, *, fallback: bool = True, status: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.fallback = fallback
        self.status = status
