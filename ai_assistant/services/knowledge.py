"""The knowledge base: adding, changing and removing documents, and indexing them.

A save stores the text and schedules `knowledge_document_index_task` on commit; the
indexer replaces the document's chunks under a row lock and skips a document whose chunks
already match its text, so a redelivered task changes nothing.
"""

import hashlib
import io
import logging
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from ai_assistant.errors import KnowledgeDocumentInvalidError, KnowledgeDocumentTooLargeError
from ai_assistant.models import KnowledgeChunk, KnowledgeDocument
from ai_assistant.retrieval import chunk_text, tokenize
from core.services import audit_log

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

DocType = KnowledgeDocument.DocType
EXTENSIONS = {
    ".md": DocType.MARKDOWN,
    ".markdown": DocType.MARKDOWN,
    ".txt": DocType.TEXT,
    ".pdf": DocType.PDF,
}
STARTER_DIR = Path(__file__).resolve().parent.parent / "knowledge"
CHUNK_BATCH = 500  # chunks per bulk insert


def knowledge_text_extract(*, file_name: str, data: bytes) -> tuple[str, str]:
    """(doc_type, text) of an uploaded file: markdown and text as UTF-8, PDFs through pypdf."""
    if len(data) > settings.AI_KNOWLEDGE_MAX_BYTES:
        raise KnowledgeDocumentTooLargeError(
            details={"max_bytes": settings.AI_KNOWLEDGE_MAX_BYTES, "size": len(data)}
        )
    doc_type = EXTENSIONS.get(Path(file_name).suffix.lower())
    if doc_type is None:
        raise KnowledgeDocumentInvalidError(
            "Upload a .md, .txt or .pdf file.", details={"file_name": file_name}
        )
    if doc_type == DocType.PDF:
        if not data.startswith(b"%PDF"):
            raise KnowledgeDocumentInvalidError("The file is not a PDF.")
        try:
            reader = PdfReader(io.BytesIO(data))
            text = "\n\n".join((page.extract_text() or "") for page in reader.pages)
        except (PdfReadError, ValueError, KeyError, TypeError) as exc:
            raise KnowledgeDocumentInvalidError("The PDF cannot be read.") from exc
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise KnowledgeDocumentInvalidError("The file is not UTF-8 text.") from exc
    text = text.replace("\x00", "").strip()
    if not text:
        raise KnowledgeDocumentInvalidError("The document has no text.")
    return doc_type, text


def _hash(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def _schedule_index(document_id: int) -> None:
    from ai_assistant.tasks import knowledge_document_index_task

    transaction.on_commit(partial(knowledge_document_index_task.delay, document_id=document_id))


def knowledge_document_create(
    *,
    actor: "User | None",
    title: str,
    content: str,
    doc_type: str = DocType.MARKDOWN,
    file_name: str = "",
    tags: list[str] | None = None,
    is_active: bool = True,
    slug: str = "",
) -> KnowledgeDocument:
    size = len(content.encode())
    if size > settings.AI_KNOWLEDGE_MAX_BYTES:
        raise KnowledgeDocumentTooLargeError(
            details={"max_bytes": settings.AI_KNOWLEDGE_MAX_BYTES, "size": size}
        )
    with transaction.atomic():
        document = KnowledgeDocument.objects.create(
            title=title,
            slug=slug,
            doc_type=doc_type,
            content=content,
            file_name=file_name,
            size_bytes=size,
            tags=tags or [],
            is_active=is_active,
            content_hash=_hash(content),
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audit_log(
            action="ai_knowledge.created",
            actor=actor,
            obj=document,
            changes={"title": title, "doc_type": doc_type, "size_bytes": size},
        )
        _schedule_index(document.pk)
    return document


def knowledge_document_update(
    *, actor: "User | None", document_id: int, data: dict[str, Any]
) -> KnowledgeDocument:
    """Change title, tags, active flag or text (a new text is re-indexed)."""
    editable = {"title", "tags", "is_active", "content", "doc_type", "file_name"}
    unknown = set(data) - editable
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    with transaction.atomic():
        document = KnowledgeDocument.objects.select_for_update().get(pk=document_id)
        changes = {
            name: [getattr(document, name), value]
            for name, value in data.items()
            if getattr(document, name) != value
        }
        if not changes:
            return document
        for name, value in data.items():
            setattr(document, name, value)
        fields = [*changes]
        if "content" in changes:
            document.size_bytes = len(document.content.encode())
            if document.size_bytes > settings.AI_KNOWLEDGE_MAX_BYTES:
                raise KnowledgeDocumentTooLargeError(
                    details={"max_bytes": settings.AI_KNOWLEDGE_MAX_BYTES}
                )
            document.content_hash = _hash(document.content)
            document.status = KnowledgeDocument.Status.PENDING
            fields += ["size_bytes", "content_hash", "status"]
            changes["content"] = ["(previous text)", f"({document.size_bytes} bytes)"]
        document.save(update_fields=[*fields, "updated_at"])
        audit_log(action="ai_knowledge.updated", actor=actor, obj=document, changes=changes)
        if "content" in changes:
            _schedule_index(document.pk)
    return document


def knowledge_document_delete(*, actor: "User | None", document_id: int) -> None:
    with transaction.atomic():
        document = KnowledgeDocument.objects.select_for_update().get(pk=document_id)
        audit_log(
            action="ai_knowledge.deleted",
            actor=actor,
            obj=document,
            changes={"title": document.title},
        )
        document.delete()


def knowledge_document_index(*, document_id: int, force: bool = False) -> KnowledgeDocument | None:
    """Chunk and tokenize a document, replacing its chunks. Idempotent: a document whose
    chunks match its text (indexed_hash == content_hash) is left alone unless `force`."""
    with transaction.atomic():
        document = KnowledgeDocument.objects.select_for_update().filter(pk=document_id).first()
        if document is None:  # deleted before the task ran
            return None
        if (
            not force
            and document.status == KnowledgeDocument.Status.INDEXED
            and document.indexed_hash == document.content_hash
        ):
            return document
        passages = chunk_text(document.content)
        KnowledgeChunk.objects.filter(document=document).delete()
        KnowledgeChunk.objects.bulk_create(
            [
                KnowledgeChunk(
                    document=document,
                    position=i,
                    heading=p.heading,
                    text=p.text,
                    tokens=tokenize(f"{document.title} {p.heading} {p.text}"),
                )
                for i, p in enumerate(passages)
            ],
            batch_size=CHUNK_BATCH,
        )
        document.status = KnowledgeDocument.Status.INDEXED
        document.indexed_hash = document.content_hash
        document.chunk_count = len(passages)
        document.indexed_at = timezone.now()
        document.save(
            update_fields=["status", "indexed_hash", "chunk_count", "indexed_at", "updated_at"]
        )
    return document


def knowledge_document_reindex(*, actor: "User | None", document_id: int) -> KnowledgeDocument:
    """Re-index now (admin action): rebuilds the chunks even when they look current."""
    document = knowledge_document_index(document_id=document_id, force=True)
    if document is None:
        raise KnowledgeDocument.DoesNotExist
    audit_log(action="ai_knowledge.reindexed", actor=actor, obj=document)
    return document


def knowledge_seed(*, actor: "User | None" = None) -> tuple[int, int]:
    """Load the shipped starter documents (ai_assistant/knowledge/*.md) by slug: new ones are
    created, changed ones updated, unchanged ones left alone. Returns (created, updated)."""
    created = updated = 0
    for path in sorted(STARTER_DIR.glob("*.md")):
        content = path.read_text(encoding="utf-8").strip()
        first = content.splitlines()[0] if content else path.stem
        title = first.lstrip("# ").strip() or path.stem
        slug = slugify(path.stem)[:100]
        existing = KnowledgeDocument.objects.filter(slug=slug).first()
        if existing is None:
            knowledge_document_create(
                actor=actor,
                title=title,
                content=content,
                doc_type=DocType.MARKDOWN,
                file_name=path.name,
                tags=["starter", "best-practice"],
                slug=slug,
            )
            created += 1
        elif existing.content_hash != _hash(content):
            knowledge_document_update(
                actor=actor, document_id=existing.pk, data={"title": title, "content": content}
            )
            updated += 1
    return created, updated
