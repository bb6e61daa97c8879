"""Knowledge retrieval: chunking documents into passages and ranking them with BM25 (bm25s).

Chunks are tokenized once when a document is indexed (tokens stored on the chunk row); a
query builds (or reuses) the BM25 index over every active chunk. The index is kept per
process and rebuilt when the knowledge base changes (its version is a cheap aggregate).
Knowledge bases here are hundreds of passages, so building takes milliseconds.
"""

import re
import threading
from dataclasses import dataclass

import bm25s
import numpy as np
from django.db.models import Count, Max

from ai_assistant.models import KnowledgeChunk, KnowledgeDocument

CHUNK_TARGET_CHARS = 900  # ~150 words: one idea per passage, several passages fit a prompt
CHUNK_MAX_CHARS = 1500

_TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")
_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")
# bm25s ships the English stopword list; questions add a few words of their own.
_STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN) | {"can", "how", "what", "why", "which"}


def _stem(token: str) -> str:
    """A light English suffix strip so 'renewals'/'renewal', 'rates'/'rate' and
    'improving'/'improve' meet (no stemmer library is needed for a few hundred passages)."""
    if len(token) > 4 and token.endswith("ies"):
        token = token[:-3] + "y"
    elif len(token) > 5 and token.endswith("ing"):
        token = token[:-3]
    elif len(token) > 4 and token.endswith("ed") and not token.endswith("eed"):
        token = token[:-2]
    elif len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        token = token[:-1]
    if len(token) > 4 and token.endswith("e"):
        token = token[:-1]
    return token


def tokenize(text: str) -> list[str]:
    return [_stem(t) for t in _TOKEN_RE.findall(text.lower()) if t not in _STOPWORDS]


@dataclass(frozen=True)
class Passage:
    heading: str
    text: str


def chunk_text(content: str) -> list[Passage]:
    """Split a document into passages: by markdown heading, then by paragraph up to
    CHUNK_TARGET_CHARS (a paragraph longer than CHUNK_MAX_CHARS is cut at sentences)."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    for line in content.splitlines():
        match = _HEADING_RE.match(line.strip())
        if match:
            sections.append((match.group(2).strip(), []))
        else:
            sections[-1][1].append(line)
    passages: list[Passage] = []
    for heading, lines in sections:
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", "\n".join(lines)) if p.strip()]
        pieces: list[str] = []
        for paragraph in paragraphs:
            pieces.extend(_split_long(" ".join(paragraph.split())))
        buffer = ""
        for piece in pieces:
            if buffer and len(buffer) + len(piece) + 1 > CHUNK_TARGET_CHARS:
                passages.append(Passage(heading=heading[:300], text=buffer))
                buffer = piece
            else:
                buffer = f"{buffer}\n{piece}" if buffer else piece
        if buffer:
            passages.append(Passage(heading=heading[:300], text=buffer))
    return passages


def _split_long(paragraph: str) -> list[str]:
    if len(paragraph) <= CHUNK_MAX_CHARS:
        return [paragraph]
    out, buffer = [], ""
    for sentence in re.split(r"(?<=[.!?])\s+", paragraph):
        if buffer and len(buffer) + len(sentence) + 1 > CHUNK_TARGET_CHARS:
            out.append(buffer)
            buffer = sentence
        else:
            buffer = f"{buffer} {sentence}" if buffer else sentence
        while len(buffer) > CHUNK_MAX_CHARS:  # one endless sentence
            out.append(buffer[:CHUNK_MAX_CHARS])
            buffer = buffer[CHUNK_MAX_CHARS:]
    if buffer:
        out.append(buffer)
    return out


@dataclass(frozen=True)
class RetrievedChunk:
    chunk_pk: int
    chunk_id: str  # "<document id>:<position>", as cited in sources
    document_id: int
    title: str
    heading: str
    text: str
    score: float


@dataclass
class _Index:
    version: tuple
    retriever: bm25s.BM25 | None
    rows: list[dict]


_index_lock = threading.Lock()
_index: _Index | None = None


def _active_chunks():
    return KnowledgeChunk.objects.filter(
        document__is_active=True, document__status=KnowledgeDocument.Status.INDEXED
    )


def _version() -> tuple:
    agg = KnowledgeDocument.objects.filter(
        is_active=True, status=KnowledgeDocument.Status.INDEXED
    ).aggregate(n=Count("id"), last=Max("indexed_at"), top=Max("id"))
    return (agg["n"], agg["last"], agg["top"])


def _get_index() -> _Index:
    global _index
    version = _version()
    with _index_lock:
        if _index is not None and _index.version == version:
            return _index
        rows = list(
            _active_chunks()
            .order_by("document_id", "position")
            .values("id", "document_id", "position", "heading", "text", "tokens", "document__title")
        )
        corpus = [row["tokens"] or [""] for row in rows]
        retriever = None
        if rows:
            retriever = bm25s.BM25()
            retriever.index(corpus, show_progress=False)
        _index = _Index(version=version, retriever=retriever, rows=rows)
        return _index


def knowledge_search(*, query: str, top_k: int = 4) -> list[RetrievedChunk]:
    """The top_k passages for `query` by BM25 score (only those scoring above zero)."""
    index = _get_index()
    if index.retriever is None:
        return []
    vocab = index.retriever.vocab_dict
    tokens = [t for t in tokenize(query) if t in vocab and t]
    if not tokens:
        return []
    scores = np.asarray(index.retriever.get_scores(tokens))
    order = np.argsort(-scores)[:top_k]
    out = []
    for i in order:
        score = float(scores[i])
        if score <= 0:
            break
        row = index.rows[int(i)]
        out.append(
            RetrievedChunk(
                chunk_pk=row["id"],
                chunk_id=f"{row['document_id']}:{row['position']}",
                document_id=row["document_id"],
                title=row["document__title"],
                heading=row["heading"],
                text=row["text"],
                score=round(score, 4),
            )
        )
    return out
