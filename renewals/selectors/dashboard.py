"""Dashboard selectors: GET /dashboard/stats, /trends and /batch-status.

Computed with database aggregates (one query for stats, two for trends, two for batches),
scoped to what the caller may see, and cached per scope + parameters. Every write to cases,
payments or batches bumps a version number that is part of the cache key
(renewals.services.cache), so nobody sees figures older than their own last change.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.utils import timezone

from core.formats import iso_datetime
from renewals import lifecycle
from renewals.models import RenewalCase
from renewals.selectors.cases import case_list, sees_everything
from renewals.services.cache import dashboard_cache_version

if TYPE_CHECKING:
    from accounts.models import User

S = lifecycle.Status
ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))


@dataclass(frozen=True)
class DashboardParams:
    start: dt.date | None  # inclusive, on created_at (local dates)
    end: dt.date | None  # inclusive
    policy_type: str  # "" = all
    case_status: str  # "" or "all" = all; a status or an alias (resolved, open, closed)
    date_range: str

    def key(self) -> str:
        raw = json.dumps(
            [str(self.start), str(self.end), self.policy_type, self.case_status, self.date_range]
        )
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


def dashboard_params(
    *,
    date_range: str = "",
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    policy_type: str = "all",
    case_status: str = "all",
    default_range: str = "",
) -> DashboardParams:
    """Resolve the spec's query parameters to an inclusive date window (local dates).

    week = the last 7 days including today, month = the last 30 days, custom = start..end,
    none = all time (stats) or `default_range` (trends).
    """
    today = timezone.localdate()
    date_range = date_range or default_range
    start = end = None
    if date_range == "week":
        start, end = today - dt.timedelta(days=6), today
    elif date_range == "month":
        start, end = today - dt.timedelta(days=29), today
    elif date_range == "custom":
        start, end = start_date, end_date
    return DashboardParams(
        start=start,
        end=end,
        policy_type="" if policy_type in ("", "all") else policy_type.lower(),
        case_status="" if case_status in ("", "all") else case_status,
        date_range=date_range,
    )


def _scope_key(user: "User") -> str:
    if sees_everything(user):
        return "all"
    if user.role_name == "manager" and user.branch_id:
        return f"branch:{user.branch_id}"
    return f"user:{user.pk}"


def _cached[T](kind: str, user: "User", params: DashboardParams, compute: Callable[[], T]) -> T:
    key = f"renewals:dash:v{dashboard_cache_version()}:{kind}:{_scope_key(user)}:{params.key()}"
    cached: T | None = cache.get(key)
    if cached is not None:
        return cached
    value = compute()
    cache.set(key, value, timeout=settings.RENEWALS_DASHBOARD_CACHE_SECONDS)
    return value


def _base(user: "User", params: DashboardParams, *, dated: bool = True) -> QuerySet[RenewalCase]:
    qs = case_list(user=user).select_related(None)
    if params.policy_type:
        qs = qs.filter(policy__policy_type=params.policy_type)
    statuses = lifecycle.statuses_for_filter(params.case_status)
    if statuses is not None:
        qs = qs.filter(status__in=statuses)
    if dated:
        qs = _dated(qs, "created_at", params)
    return qs


def _dated(qs: QuerySet[RenewalCase], field: str, params: DashboardParams) -> QuerySet[RenewalCase]:
    tz = timezone.get_current_timezone()
    if params.start:
        start = dt.datetime.combine(params.start, dt.time.min, tzinfo=tz)
        qs = qs.filter(**{f"{field}__gte": start})
    if params.end:
        end = dt.datetime.combine(params.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        qs = qs.filter(**{f"{field}__lt": end})
    return qs


def _money(value: Decimal | None) -> float | int:
    value = value or Decimal("0")
    return int(value) if value == value.to_integral_value() else float(value)


def dashboard_stats(*, user: "User", params: DashboardParams) -> dict[str, Any]:
    """The spec's stats, plus `lapsed`, `lost`, `pendingPayment` and `escalated`.

    inProgress = in_progress; pendingAction = new + pending_payment (waiting on an agent or
    on the customer's money); errors = failed.
    """

    def compute() -> dict[str, Any]:
        outstanding = Greatest(Coalesce(F("renewal_amount"), ZERO) - F("amount_paid"), ZERO)
        row = _base(user, params).aggregate(
            totalCases=Count("id"),
            new=Count("id", filter=Q(status=S.NEW)),
            inProgress=Count("id", filter=Q(status=S.IN_PROGRESS)),
            pendingPayment=Count("id", filter=Q(status=S.PENDING_PAYMENT)),
            renewed=Count("id", filter=Q(status=S.RENEWED)),
            errors=Count("id", filter=Q(status=S.FAILED)),
            lapsed=Count("id", filter=Q(status=S.LAPSED)),
            lost=Count("id", filter=Q(status=S.LOST)),
            escalated=Count(
                "id", filter=Q(escalated_at__isnull=False, status__in=lifecycle.OPEN_STATUSES)
            ),
            paymentCollected=Sum("amount_paid"),
            paymentPending=Sum(outstanding, filter=Q(status__in=lifecycle.OPEN_STATUSES)),
        )
        return {
            "totalCases": row["totalCases"],
            "inProgress": row["inProgress"],
            "renewed": row["renewed"],
            "pendingAction": row["new"] + row["pendingPayment"],
            "errors": row["errors"],
            "paymentCollected": _money(row["paymentCollected"]),
            "paymentPending": _money(row["paymentPending"]),
            "new": row["new"],
            "pendingPayment": row["pendingPayment"],
            "lapsed": row["lapsed"],
            "lost": row["lost"],
            "escalated": row["escalated"],
        }

    return _cached("stats", user, params, compute)


def _buckets(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date, str]]:
    """Daily buckets up to 62 days, else monthly. (first day, last day, name)."""
    days = (end - start).days + 1
    if days <= 62:
        fmt = "%a" if days <= 7 else "%b %d"
        return [
            (d, d, d.strftime(fmt)) for d in (start + dt.timedelta(days=i) for i in range(days))
        ]
    out = []
    cur = start.replace(day=1)
    while cur <= end:
        nxt = (cur.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        out.append((max(cur, start), min(nxt - dt.timedelta(days=1), end), cur.strftime("%b %Y")))
        cur = nxt
    return out


def dashboard_trends(*, user: "User", params: DashboardParams) -> list[dict[str, Any]]:
    """Per period: newCases (created), renewals (renewed in the period) and successRate =
    renewals / cases closed in the period (renewed, lost, lapsed); 0 when none closed."""

    def compute() -> list[dict[str, Any]]:
        today = timezone.localdate()
        start = params.start or today - dt.timedelta(days=6)
        end = params.end or today
        window = DashboardParams(start, end, "", "", "")
        created = dict(
            _dated(_base(user, params, dated=False), "created_at", window)
            .annotate(day=TruncDate("created_at"))
            .values("day")
            .annotate(n=Count("id"))
            .values_list("day", "n")
        )
        closed_qs = _dated(_base(user, params, dated=False), "closed_at", window).filter(
            status__in=lifecycle.CLOSED_STATUSES
        )
        closed: dict[dt.date, dict[str, int]] = {}
        for day, status, n in (
            closed_qs.annotate(day=TruncDate("closed_at"))
            .values("day", "status")
            .annotate(n=Count("id"))
            .values_list("day", "status", "n")
        ):
            closed.setdefault(day, {})[status] = n
        rows = []
        for first, last, name in _buckets(start, end):
            span = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
            new_cases = sum(created.get(d, 0) for d in span)
            renewals = sum(closed.get(d, {}).get(S.RENEWED, 0) for d in span)
            total_closed = sum(sum(closed.get(d, {}).values()) for d in span)
            rows.append(
                {
                    "name": name,
                    "date": first.isoformat(),
                    "newCases": new_cases,
                    "renewals": renewals,
                    "successRate": round(renewals / total_closed, 4) if total_closed else 0.0,
                }
            )
        return rows

    return _cached("trends", user, params, compute)


BATCH_STATUS_GROUPS = {
    "renewed": [S.RENEWED],
    "inProgress": [S.IN_PROGRESS, S.PENDING_PAYMENT],
    "pending": [S.NEW],
    "failed": [S.FAILED, S.LAPSED, S.LOST],
}


def dashboard_batch_status(
    *, user: "User", params: DashboardParams, limit: int = 10
) -> list[dict[str, Any]]:
    """Latest upload batches with their cases' outcome counts and money (scoped)."""
    from uploads.selectors import upload_batch_latest

    def compute() -> list[dict[str, Any]]:
        cases = _base(user, params, dated=False).filter(batch__isnull=False)
        among = None if sees_everything(user) else cases.values("batch_id")
        batches = upload_batch_latest(limit=limit, among=among)
        ids = [b["id"] for b in batches]
        outstanding = Greatest(Coalesce(F("renewal_amount"), ZERO) - F("amount_paid"), ZERO)
        aggregates: dict[int, dict[str, Any]] = {
            row["batch_id"]: dict(row)
            for row in cases.filter(batch_id__in=ids)
            .values("batch_id")
            .annotate(
                **{
                    key: Count("id", filter=Q(status__in=statuses))
                    for key, statuses in BATCH_STATUS_GROUPS.items()
                },
                received=Sum("amount_paid"),
                pending_money=Sum(outstanding, filter=Q(status__in=lifecycle.OPEN_STATUSES)),
                total=Count("id"),
            )
        }
        out = []
        for batch in batches:
            agg = aggregates.get(batch["id"], {})
            out.append(
                {
                    "id": batch["id"],
                    "fileName": batch["file_name"],
                    "status": {key: agg.get(key, 0) for key in BATCH_STATUS_GROUPS},
                    "payment": {
                        "received": _money(agg.get("received")),
                        "pending": _money(agg.get("pending_money")),
                    },
                    "batchStatus": batch["status"],
                    "totalRecords": batch["total_records"],
                    "totalCases": agg.get("total", 0),
                    "uploadedAt": iso_datetime(batch["created_at"]),
                }
            )
        return out

    return _cached(f"batches:{limit}", user, params, compute)
