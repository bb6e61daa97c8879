"""Celery tasks of the AI assistant: thin wrappers over one service each (STYLE §10)."""

from celery import shared_task


@shared_task(soft_time_limit=120, time_limit=150)
def knowledge_document_index_task(*, document_id: int) -> None:
    """Chunk and index one knowledge document (idempotent: a current index is left alone)."""
    from ai_assistant.services.knowledge import knowledge_document_index

    knowledge_document_index(document_id=document_id)
