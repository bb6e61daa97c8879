"""Turning grounding into words: live figures as sentences (facts), the topics of a question,
follow-up suggestions per page, and the prompt LLM providers get. The local provider's
answer is composed here too, from the same facts and passages."""

import math
import re
from typing import Any

from ai_assistant.providers.base import Fact
from ai_assistant.retrieval import RetrievedChunk
from ai_assistant.selectors import RenewalMetrics
from renewals import lifecycle

PROMPT_VERSION = "query-v1"

# Words that point a question at a kind of figure.
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "rate": ("rate", "rates", "improve", "increase", "retention", "retain", "renewal", "trend"),
    "branch": ("branch", "branches", "behind", "region", "office", "team", "worst", "best"),
    "backlog": ("overdue", "late", "backlog", "unassigned", "due", "pending", "workload", "queue"),
    "churn": ("why", "leave", "leaving", "lost", "lapse", "lapsed", "churn", "reason", "cancel"),
    "batch": ("batch", "batches", "import", "upload", "uploads", "file", "errors"),
    "type": ("type", "types", "product", "health", "motor", "auto", "life", "home", "travel"),
}

SUGGESTIONS_BY_PAGE: dict[str, list[str]] = {
    "dashboard": [
        "How can I improve renewal rates?",
        "Which branch is behind on renewals?",
        "What is overdue right now?",
        "Why are customers not renewing?",
    ],
    "cases": [
        "What is overdue right now?",
        "Which cases are due in the next 30 days?",
        "How should I handle a price objection?",
        "What should I do when a customer does not answer?",
    ],
    "case_detail": [
        "Summarise this case.",
        "What should I say to this customer?",
        "How do I handle a payment that failed?",
        "When does this policy lapse?",
    ],
    "upload": [
        "What are the batch import error rates?",
        "What are the most common import errors?",
        "How do I prepare an insurer file for upload?",
    ],
    "emails": [
        "How do I reply to a complaint?",
        "What tone works best for renewal reminders?",
        "How should I answer a refund request?",
    ],
}
DEFAULT_PAGE = "dashboard"


def _pct(renewed: int, decided: int) -> str:
    return f"{round(100 * renewed / decided)}%" if decided else "n/a"


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize() if key else "No branch"


def metric_facts(metrics: RenewalMetrics | None) -> list[Fact]:
    """Every live figure as one sentence."""
    if metrics is None:
        return []
    facts: list[Fact] = []
    r = metrics.rate_30d
    by_type = ", ".join(
        f"{_label(row['key'])} {_pct(row['renewed'], row['decided'])}" for row in metrics.by_type
    )
    facts.append(
        Fact(
            "renewal_rate_30d",
            f"Renewal rate in the last 30 days: {_pct(r.get('renewed', 0), r.get('decided', 0))} "
            f"({r.get('renewed', 0)} of {r.get('decided', 0)} decided cases"
            + (f"; {by_type}" if by_type else "")
            + ").",
        )
    )
    if metrics.by_branch:
        ranked = sorted(
            metrics.by_branch, key=lambda row: (row["renewed"] / row["decided"], -row["decided"])
        )
        parts = ", ".join(
            f"{row['key'] or 'No branch'} {_pct(row['renewed'], row['decided'])}" for row in ranked
        )
        facts.append(
            Fact(
                "renewal_rate_by_branch",
                f"Renewal rate by branch (last 30 days, lowest first): {parts}. "
                f"{ranked[0]['key'] or 'Cases without a branch'} is behind.",
            )
        )
    if metrics.by_month:
        parts = ", ".join(
            f"{row['key']} {_pct(row['renewed'], row['decided'])}" for row in metrics.by_month
        )
        facts.append(Fact("renewal_rate_by_month", f"Renewal rate by month: {parts}."))
    c = metrics.counts
    facts.append(
        Fact(
            "case_backlog",
            f"Open cases: {c.get('open', 0)}; overdue (renewal date passed): "
            f"{c.get('overdue', 0)}; unassigned: {c.get('unassigned', 0)}; due in the next "
            f"30 days: {c.get('due_30d', 0)}.",
        )
    )
    reasons = ", ".join(
        f"{lifecycle.LostReason(row['reason']).label.lower()} ({row['count']})"
        if row["reason"] in lifecycle.LostReason.values
        else f"{row['reason']} ({row['count']})"
        for row in metrics.lost_reasons
    )
    facts.append(
        Fact(
            "lapse_and_loss",
            f"In the last 90 days {c.get('lost_90d', 0)} cases were lost and "
            f"{c.get('lapsed_90d', 0)} lapsed"
            + (f"; top lost reasons: {reasons}." if reasons else "."),
        )
    )
    if metrics.batches is not None:
        b = metrics.batches
        rows, failed = b.get("rows") or 0, b.get("failed") or 0
        rate = f"{100 * failed / rows:.1f}%" if rows else "n/a"
        facts.append(
            Fact(
                "batch_error_rate",
                f"Batch imports in the last 90 days: {b.get('batches', 0)} files, {rows} rows, "
                f"{failed} rejected (error rate {rate}).",
            )
        )
    return facts


# Which facts answer which topic.
TOPIC_FACTS: dict[str, tuple[str, ...]] = {
    "rate": ("renewal_rate_30d", "renewal_rate_by_month"),
    "type": ("renewal_rate_30d",),
    "branch": ("renewal_rate_by_branch",),
    "backlog": ("case_backlog",),
    "churn": ("lapse_and_loss",),
    "batch": ("batch_error_rate",),
}


def topics_of(question: str) -> frozenset[str]:
    words = set(re.findall(r"[a-z]+", question.lower()))
    return frozenset(topic for topic, hints in TOPIC_WORDS.items() if words & set(hints))


def relevant_facts(facts: list[Fact], topics: frozenset[str]) -> list[Fact]:
    wanted = {name for topic in topics for name in TOPIC_FACTS.get(topic, ())}
    if not wanted:
        wanted = {"renewal_rate_30d", "case_backlog"}  # the headline when nothing matched
    return [fact for fact in facts if fact.name in wanted]


def suggestions_for(*, page: str, question: str, topics: frozenset[str]) -> list[str]:
    pool = list(SUGGESTIONS_BY_PAGE.get(page) or SUGGESTIONS_BY_PAGE[DEFAULT_PAGE])
    follow_ups = {
        "rate": "Which branch is behind on renewals?",
        "branch": "How can I improve renewal rates?",
        "backlog": "Which branch is behind on renewals?",
        "churn": "How should I handle a price objection?",
        "batch": "How do I prepare an insurer file for upload?",
    }
    pool += [follow_ups[t] for t in sorted(topics) if t in follow_ups]
    asked = question.strip().lower().rstrip("?")
    out: list[str] = []
    for suggestion in pool:
        if suggestion.lower().rstrip("?") != asked and suggestion not in out:
            out.append(suggestion)
    return out[:3]


def _best_sentences(text: str, query_words: set[str], limit: int = 2) -> str:
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]
    if len(sentences) <= limit:
        return " ".join(sentences)
    scored = sorted(
        range(len(sentences)),
        key=lambda i: -len(query_words & set(re.findall(r"[a-z]+", sentences[i].lower()))),
    )
    keep = sorted(scored[:limit])
    return " ".join(sentences[i] for i in keep)


def retrieval_confidence(chunks: list[RetrievedChunk], facts_used: int) -> float:
    """0.2 with nothing to go on, rising with the best BM25 score (saturating), plus a little
    when live figures back the answer; at most 0.95."""
    top = chunks[0].score if chunks else 0.0
    confidence = 0.2 + 0.6 * (1 - math.exp(-top / 2)) + (0.15 if facts_used else 0.0)
    return round(min(confidence, 0.95), 2)


def compose_local_answer(
    *,
    question: str,
    chunks: list[RetrievedChunk],
    facts: list[Fact],
    case: dict[str, Any] | None,
    topics: frozenset[str],
) -> tuple[str, float, list[Fact]]:
    """The offline answer: the case (if any), the figures that fit the question, then the
    best-matching passages, cited [1], [2]... Returns (text, confidence, facts used)."""
    used = relevant_facts(facts, topics)
    parts: list[str] = []
    if case:
        parts.append(
            f"Case {case['case_number']} ({case['policy_type']} policy {case['policy_number']}, "
            f"{case['customer_name']}) is {case['status'].replace('_', ' ')}, priority "
            f"{case['priority']}, renewal date {case['renewal_date']}, amount "
            f"{case['renewal_amount'] or 'not set'} with {case['amount_paid']} paid; "
            f"{case['communication_attempts']} contact attempts so far."
        )
    if used:
        parts.append("From your live data: " + " ".join(fact.sentence for fact in used))
    query_words = set(re.findall(r"[a-z]+", question.lower()))
    if chunks:
        cited = [
            f"[{n}] {chunk.title}"
            + (f" — {chunk.heading}" if chunk.heading else "")
            + f": {_best_sentences(chunk.text, query_words)}"
            for n, chunk in enumerate(chunks[:3], start=1)
        ]
        parts.append("From the knowledge base:\n" + "\n".join(cited))
    if not chunks and not used and not case:
        parts.append(
            "I found nothing in the knowledge base or your data that answers this. Try "
            "asking about renewal rates, branches, overdue cases, lost reasons or imports."
        )
    return "\n\n".join(parts), retrieval_confidence(chunks, len(used)), used


SYSTEM_PROMPT = (
    "You are Intelipro's renewal assistant for insurance renewal teams. Answer the question "
    "using only the knowledge passages, live figures and case details given. Cite passages as "
    "[1], [2]. Quote figures exactly. If the context does not answer the question, say so. "
    "Be concise and practical. Placeholders like <EMAIL_1> stand for private data: keep them "
    "as they are."
)


def build_messages(
    *,
    question: str,
    chunks: list[RetrievedChunk],
    facts: list[Fact],
    case: dict[str, Any] | None,
    page: str,
) -> list[dict[str, str]]:
    sections = [f"Page the user is on: {page or DEFAULT_PAGE}"]
    if chunks:
        sections.append(
            "Knowledge passages:\n"
            + "\n".join(
                f"[{n}] {c.title}{' — ' + c.heading if c.heading else ''}: {c.text}"
                for n, c in enumerate(chunks, start=1)
            )
        )
    if facts:
        sections.append("Live figures:\n" + "\n".join(f"- {f.sentence}" for f in facts))
    if case:
        shown = {k: v for k, v in case.items() if k not in ("case_id",)}
        sections.append("Case:\n" + "\n".join(f"- {k}: {v}" for k, v in shown.items()))
    sections.append(f"Question: {question}")
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "\n\n".join(sections)},
    ]
