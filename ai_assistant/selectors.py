"""Reads of the AI assistant: its settings, its knowledge base, and the live renewal figures
a caller may see (computed with the renewals and uploads apps' public, scoped selectors)."""

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts import modules
from ai_assistant.models import DEFAULT_FALLBACK_MESSAGE, AISettings, AIUsage, KnowledgeDocument
from renewals import lifecycle
from renewals.models import RenewalCase
from renewals.selectors import case_get, case_list
from uploads.selectors import upload_batch_list

if TYPE_CHECKING:
    from accounts.models import User

S = lifecycle.Status
DECIDED = [S.RENEWED, S.LOST, S.LAPSED]  # cases with an outcome: the renewal rate's base
RATE_WINDOW_DAYS = 30  # headline renewal rate: cases due in the last 30 days
TREND_MONTHS = 6
OUTCOME_WINDOW_DAYS = 90  # lapse/lost counts and batch error rates


def ai_settings_current() -> AISettings:
    """The settings row, or (before the first PUT) an unsaved one from the environment."""
    row = AISettings.objects.filter(pk=AISettings.SINGLETON_PK).first()
    return row if row is not None else ai_settings_from_env()


def ai_settings_from_env() -> AISettings:
    return AISettings(
        pk=AISettings.SINGLETON_PK,
        provider=settings.AI_PROVIDER,
        api_key_encrypted=settings.OPENAI_API_KEY,
        model=settings.AI_MODEL,
        base_url=settings.AI_BASE_URL,
        azure_endpoint=settings.AI_AZURE_ENDPOINT,
        azure_deployment=settings.AI_AZURE_DEPLOYMENT,
        api_version=settings.AI_AZURE_API_VERSION,
        features={},
        knowledge_base={"top_k": 4},
        fallback_chain=[],
        fallback_message=DEFAULT_FALLBACK_MESSAGE,
    )


def ai_settings_keys(row: AISettings) -> tuple[str, list[str]]:
    """(primary key, fallback chain keys) in clear."""
    primary = row.api_key_encrypted or ""
    raw = row.fallback_api_keys_encrypted or ""
    try:
        chain = json.loads(raw) if raw else []
    except ValueError:
        chain = []
    return primary, [str(k or "") for k in chain]


def knowledge_document_list() -> QuerySet[KnowledgeDocument]:
    """Every document (everyone with the `ai` module reads the whole knowledge base); the
    list does not carry the text."""
    return KnowledgeDocument.objects.select_related("created_by").defer("content")


def ai_usage_tokens_this_month(*, branch_id: int | None) -> int:
    """Tokens (in + out) external providers used for a team this calendar month."""
    start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    team = Q(branch__isnull=True) if branch_id is None else Q(branch_id=branch_id)
    agg = (
        AIUsage.objects.filter(team, created_at__gte=start)
        .exclude(provider__in=["", "local"])
        .aggregate(total=Sum(F("tokens_in") + F("tokens_out")))
    )
    return int(agg["total"] or 0)


@dataclass
class RenewalMetrics:
    """Live figures under the caller's scope (agents: their own cases)."""

    today: dt.date
    rate_30d: dict[str, int] = field(default_factory=dict)  # {"renewed", "decided"}
    by_type: list[dict[str, Any]] = field(default_factory=list)
    by_branch: list[dict[str, Any]] = field(default_factory=list)
    by_month: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    lost_reasons: list[dict[str, Any]] = field(default_factory=list)
    batches: dict[str, int] | None = None  # None: the caller has no upload module


def _rate_rows(qs: QuerySet[RenewalCase], key: str) -> list[dict[str, Any]]:
    rows = (
        qs.values(key)
        .annotate(renewed=Count("id", filter=Q(status=S.RENEWED)), decided=Count("id"))
        .order_by(key)
    )
    return [
        {"key": row[key] or "", "renewed": row["renewed"], "decided": row["decided"]}
        for row in rows
    ]


def renewal_metrics(*, user: "User") -> RenewalMetrics | None:
    """Renewal rate (last 30 days, by policy type, branch and month), overdue, unassigned and
    due-soon cases, lapse/lost counts with top lost reasons and batch error rates: about eight
    aggregate queries whatever the book's size. None when the caller may not see cases."""
    if not user.has_module(modules.CASES):
        return None
    today = timezone.localdate()
    cases = case_list(user=user).order_by()
    decided = cases.filter(status__in=DECIDED)
    window = decided.filter(
        renewal_date__gte=today - dt.timedelta(days=RATE_WINDOW_DAYS), renewal_date__lte=today
    )
    metrics = RenewalMetrics(today=today)
    metrics.rate_30d = window.aggregate(
        renewed=Count("id", filter=Q(status=S.RENEWED)), decided=Count("id")
    )
    metrics.by_type = _rate_rows(window, "policy__policy_type")
    metrics.by_branch = _rate_rows(window, "policy__branch__name")
    first_month = (today.replace(day=1) - dt.timedelta(days=31 * (TREND_MONTHS - 1))).replace(day=1)
    months = (
        decided.filter(renewal_date__gte=first_month, renewal_date__lte=today)
        .annotate(month=TruncMonth("renewal_date"))
        .values("month")
        .annotate(renewed=Count("id", filter=Q(status=S.RENEWED)), decided=Count("id"))
        .order_by("month")
    )
    metrics.by_month = [
        {
            "key": row["month"].strftime("%Y-%m"),
            "renewed": row["renewed"],
            "decided": row["decided"],
        }
        for row in months
    ]
    open_q = Q(status__in=lifecycle.OPEN_STATUSES)
    since = today - dt.timedelta(days=OUTCOME_WINDOW_DAYS)
    metrics.counts = cases.aggregate(
        open=Count("id", filter=open_q),
        overdue=Count("id", filter=open_q & Q(renewal_date__lt=today)),
        unassigned=Count("id", filter=open_q & Q(assigned_to__isnull=True)),
        due_30d=Count(
            "id",
            filter=open_q
            & Q(renewal_date__gte=today, renewal_date__lte=today + dt.timedelta(days=30)),
        ),
        lapsed_90d=Count("id", filter=Q(status=S.LAPSED, renewal_date__gte=since)),
        lost_90d=Count("id", filter=Q(status=S.LOST, renewal_date__gte=since)),
    )
    metrics.lost_reasons = [
        {"reason": row["lost_reason"], "count": row["n"]}
        for row in cases.filter(status=S.LOST, renewal_date__gte=since)
        .exclude(lost_reason="")
        .values("lost_reason")
        .annotate(n=Count("id"))
        .order_by("-n", "lost_reason")[:3]
    ]
    if user.has_module(modules.UPLOAD):
        metrics.batches = (
            upload_batch_list(user=user)
            .order_by()
            .filter(created_at__date__gte=since, dry_run=False)
            .aggregate(
                batches=Count("id"),
                rows=Sum("total_records", default=0),
                failed=Sum("failed_records", default=0),
            )
        )
    return metrics


def case_context(*, user: "User", case_id: int) -> dict[str, Any]:
    """What the assistant may know about one case; raises RenewalCase.DoesNotExist when the
    case is not in the caller's scope (the API answers 404, never a hint)."""
    case = case_get(user=user, case_id=case_id)
    policy, customer = case.policy, case.policy.customer
    events = list(case.events.all())[-5:]
    return {
        "case_id": case.pk,
        "case_number": case.case_number,
        "status": case.status,
        "priority": case.priority,
        "renewal_date": case.renewal_date.isoformat(),
        "renewal_amount": str(case.renewal_amount or ""),
        "amount_paid": str(case.amount_paid),
        "payment_status": case.payment_status,
        "communication_attempts": case.communication_attempts,
        "lost_reason": case.lost_reason,
        "policy_number": policy.policy_number,
        "policy_type": policy.policy_type,
        "customer_name": customer.full_name,
        "customer_first_name": customer.first_name,
        "customer_last_name": customer.last_name,
        "customer_email": customer.email,
        "customer_phone": customer.phone,
        "recent_events": [f"{e.created_at.date().isoformat()} {e.action}" for e in events],
    }
