"""Which conversation (thread) and which renewal case a new email belongs to.

In order, for each new message:
1. its `In-Reply-To` / `References` name a stored message: same thread, same case;
2. a case number (settings.EMAIL_CASE_NUMBER_PATTERNS) in the subject (confidence 0.95) or
   body (0.80), else a policy number (EMAIL_POLICY_NUMBER_PATTERNS) in the subject (0.70)
   or body (0.60) whose policy has a case (the newest): that case, and its thread if the
   case already has one;
3. the same normalized subject ("Re:", "Fwd:" stripped) with the same outside party within
   EMAIL_THREAD_WINDOW_DAYS: that thread;
4. else a new thread, named after the message's own Message-ID.
Reads only; the caller stores the rows. A constant number of queries per batch.
"""

import datetime
import hashlib
import re
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings

from emails.models import Email
from renewals.models import Customer, RenewalCase

_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|tr|rv)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_MSGID = re.compile(r"<[^<>\s]+>")


def normalized_subject(subject: str) -> str:
    return " ".join(_PREFIX.sub("", subject or "").lower().split())


def subject_key_for(subject: str, party: str) -> str:
    text = f"{normalized_subject(subject)}|{(party or '').lower()}"
    return hashlib.sha256(text.encode()).hexdigest()


def _outside_party(row: Email) -> str:
    if row.direction == Email.Direction.OUTBOUND:
        return (row.to_email.split(",")[0] if row.to_email else "").strip().lower()
    return row.from_email.lower()


def referenced_ids(row: Email) -> list[str]:
    return _MSGID.findall(f"{row.in_reply_to} {row.references}")


def _patterns(names: Iterable[str]) -> list[re.Pattern]:
    return [re.compile(p) for p in names]


def _numbers(patterns: list[re.Pattern], text: str) -> list[str]:
    found: list[str] = []
    for pattern in patterns:
        found += pattern.findall(text or "")
    return found


def thread_rows(rows: list[Email]) -> None:
    """Set thread_id, case, case_confidence, customer, subject_key and (from the case)
    assigned_to on unsaved rows."""
    if not rows:
        return
    case_patterns = _patterns(settings.EMAIL_CASE_NUMBER_PATTERNS)
    policy_patterns = _patterns(settings.EMAIL_POLICY_NUMBER_PATTERNS)
    for row in rows:
        row.subject_key = subject_key_for(row.subject, _outside_party(row))

    # 1. Headers: one query for every referenced message of the batch.
    refs = {ref for row in rows for ref in referenced_ids(row)}
    known: dict[str, tuple[str, int | None, int | None]] = {
        mid: (thread, case_id, customer_id)
        for mid, thread, case_id, customer_id in Email.objects.filter(
            message_id__in=refs
        ).values_list("message_id", "thread_id", "case_id", "customer_id")
    }
    # 2. Numbers: one query for cases, one for policies' newest cases.
    wanted_cases: set[str] = set()
    wanted_policies: set[str] = set()
    for row in rows:
        wanted_cases.update(_numbers(case_patterns, f"{row.subject}\n{row.body_text}"))
        wanted_policies.update(_numbers(policy_patterns, f"{row.subject}\n{row.body_text}"))
    cases = {
        c.case_number: c
        for c in RenewalCase.objects.filter(case_number__in=wanted_cases).select_related("policy")
    }
    policy_cases: dict[str, RenewalCase] = {}
    for c in (
        RenewalCase.objects.filter(policy__policy_number__in=wanted_policies)
        .select_related("policy")
        .order_by("policy_id", "-created_at", "-id")
    ):
        policy_cases.setdefault(c.policy.policy_number, c)
    matched_case_ids = {c.pk for c in [*cases.values(), *policy_cases.values()]}
    case_threads = (
        dict(
            Email.objects.filter(case_id__in=matched_case_ids)
            .exclude(thread_id="")
            .order_by("case_id", "received_at", "id")
            .values_list("case_id", "thread_id")
            .distinct()
        )
        if matched_case_ids
        else {}
    )
    # 3. Subject + party: one query over the window.
    oldest = min(r.received_at for r in rows) - datetime.timedelta(
        days=settings.EMAIL_THREAD_WINDOW_DAYS
    )
    by_subject = {
        key: (thread, case_id, customer_id)
        for key, thread, case_id, customer_id in Email.objects.filter(
            subject_key__in={r.subject_key for r in rows}, received_at__gte=oldest
        )
        .exclude(thread_id="")
        .order_by("received_at", "id")
        .values_list("subject_key", "thread_id", "case_id", "customer_id")
    }
    # Customers by the outside party's address (exact match through the keyed hash).
    hash_field = Customer._meta.get_field("email_hash")
    hashes = {hash_field.hash_of(_outside_party(r)): _outside_party(r) for r in rows}  # type: ignore[attr-defined]
    customers = {
        hashes[h]: pk
        for pk, h in Customer.objects.filter(email_hash__in=list(hashes)).values_list(
            "pk", "email_hash"
        )
    }

    for row in sorted(rows, key=lambda r: (r.received_at, r.message_id)):
        thread, case_id, customer_id, confidence = "", None, None, None
        for ref in referenced_ids(row):
            if ref in known:
                thread, case_id, customer_id = known[ref]
                confidence = Decimal("1.00") if case_id else None
                break
        if not case_id:
            match = _number_match(row, case_patterns, policy_patterns, cases, policy_cases)
            if match is not None:
                case, confidence = match
                case_id, customer_id = case.pk, case.policy.customer_id
                thread = thread or case_threads.get(case.pk, "")
        if not thread and row.subject_key in by_subject:
            thread, s_case, s_customer = by_subject[row.subject_key]
            if not case_id and s_case:
                case_id, customer_id, confidence = s_case, s_customer, Decimal("1.00")
        thread = thread or row.message_id[:255]
        row.thread_id = thread
        row.case_id = case_id
        row.case_confidence = confidence
        row.customer_id = customer_id or customers.get(_outside_party(row))
        # Later rows of the same batch see this one.
        known[row.message_id] = (thread, case_id, row.customer_id)
        by_subject.setdefault(row.subject_key, (thread, case_id, row.customer_id))
        if case_id:
            case_threads.setdefault(case_id, thread)
    # The case's assignee works its emails (one query).
    assignees = dict(
        RenewalCase.objects.filter(pk__in={r.case_id for r in rows if r.case_id}).values_list(
            "pk", "assigned_to_id"
        )
    )
    for row in rows:
        if row.case_id and row.assigned_to_id is None:
            row.assigned_to_id = assignees.get(row.case_id)


def _number_match(
    row: Email,
    case_patterns: list[re.Pattern],
    policy_patterns: list[re.Pattern],
    cases: dict[str, RenewalCase],
    policy_cases: dict[str, RenewalCase],
) -> tuple[RenewalCase, Decimal] | None:
    for text, case_conf, policy_conf in (
        (row.subject, Decimal("0.95"), Decimal("0.70")),
        (row.body_text, Decimal("0.80"), Decimal("0.60")),
    ):
        for number in _numbers(case_patterns, text):
            if number in cases:
                return cases[number], case_conf
        for number in _numbers(policy_patterns, text):
            if number in policy_cases:
                return policy_cases[number], policy_conf
    return None
