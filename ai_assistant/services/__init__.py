"""Every write and side effect of the AI assistant, split by sub-domain."""

from ai_assistant.services.classify import ai_classify
from ai_assistant.services.knowledge import (
    knowledge_document_create,
    knowledge_document_delete,
    knowledge_document_index,
    knowledge_document_reindex,
    knowledge_document_update,
    knowledge_seed,
)
from ai_assistant.services.query import ai_query
from ai_assistant.services.settings import ai_settings_test, ai_settings_update, provider_chain
from ai_assistant.services.usage import ai_usage_record

__all__ = [
    "ai_classify",
    "ai_query",
    "ai_settings_test",
    "ai_settings_update",
    "ai_usage_record",
    "knowledge_document_create",
    "knowledge_document_delete",
    "knowledge_document_index",
    "knowledge_document_reindex",
    "knowledge_document_update",
    "knowledge_seed",
    "provider_chain",
]
