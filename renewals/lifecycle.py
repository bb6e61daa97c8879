"""The renewal case lifecycle, as data: statuses, priorities and allowed transitions.

    new ──► in_progress ──► pending_payment ──► renewed
     │           │                 │
     └───────────┴────► lost / failed / lapsed ◄┘

- Any open status may go straight to `renewed`: customers sometimes pay before anyone calls
  (the spec's PUT /cases/{id} example).
- `renewed`, `lost` and `lapsed` are closed: they change only through an explicit reopen by a
  manager (POST /cases/{id}/reopen), which moves the case back to `in_progress`.
- `failed` (the renewal attempt failed: payment declined, data error) stays open: an agent
  may retry it.
- `lapsed` is set by the System when the grace period ends without payment; people may not
  lapse a case by hand (they close it as `lost` with a reason instead).
"""

from django.db import models


class Status(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    PENDING_PAYMENT = "pending_payment", "Pending payment"  # customer agreed, money not in yet
    RENEWED = "renewed", "Renewed"
    LAPSED = "lapsed", "Lapsed"  # grace period over without payment (System only)
    LOST = "lost", "Lost"  # customer will not renew; needs a LostReason
    FAILED = "failed", "Failed"  # the renewal attempt failed; may be retried


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class LostReason(models.TextChoices):
    PRICE = "price", "Price"
    SERVICE = "service", "Service"
    COMPETITOR = "competitor", "Went to a competitor"
    COVER_NOT_NEEDED = "cover_not_needed", "Cover no longer needed"
    UNDERWRITING_NON_RENEWAL = "underwriting_non_renewal", "Non-renewal by underwriting"
    OTHER = "other", "Other"


OPEN_STATUSES: frozenset[str] = frozenset(
    {Status.NEW, Status.IN_PROGRESS, Status.PENDING_PAYMENT, Status.FAILED}
)
CLOSED_STATUSES: frozenset[str] = frozenset({Status.RENEWED, Status.LOST, Status.LAPSED})

# Transitions people may make (PUT /cases/{id}, admin). Reopening is separate (REOPEN_TO).
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(
        {Status.IN_PROGRESS, Status.PENDING_PAYMENT, Status.RENEWED, Status.LOST, Status.FAILED}
    ),
    Status.IN_PROGRESS: frozenset(
        {Status.PENDING_PAYMENT, Status.RENEWED, Status.LOST, Status.FAILED}
    ),
    Status.PENDING_PAYMENT: frozenset(
        {Status.IN_PROGRESS, Status.RENEWED, Status.LOST, Status.FAILED}
    ),
    Status.FAILED: frozenset(
        {Status.IN_PROGRESS, Status.PENDING_PAYMENT, Status.RENEWED, Status.LOST}
    ),
    Status.RENEWED: frozenset(),
    Status.LOST: frozenset(),
    Status.LAPSED: frozenset(),
}
# Transitions only the System makes (beat jobs, payment webhook).
SYSTEM_TRANSITIONS: dict[str, frozenset[str]] = {
    status: frozenset({Status.LAPSED}) for status in OPEN_STATUSES
}
REOPEN_FROM: frozenset[str] = CLOSED_STATUSES
REOPEN_TO: str = Status.IN_PROGRESS

# Sort order for `sort_by=priority` (higher number = more urgent).
PRIORITY_RANK: dict[str, int] = {
    Priority.LOW: 1,
    Priority.MEDIUM: 2,
    Priority.HIGH: 3,
    Priority.URGENT: 4,
}

# The spec's filter words that are not statuses themselves.
STATUS_FILTER_ALIASES: dict[str, frozenset[str]] = {
    "open": OPEN_STATUSES,
    "closed": CLOSED_STATUSES,
    # Dashboard `case_status=resolved`: the case reached an outcome.
    "resolved": CLOSED_STATUSES,
    "pending": frozenset({Status.PENDING_PAYMENT}),
}


def can_transition(current: str, target: str, *, system: bool = False) -> bool:
    if target in TRANSITIONS.get(current, frozenset()):
        return True
    return system and target in SYSTEM_TRANSITIONS.get(current, frozenset())


def statuses_for_filter(value: str) -> frozenset[str] | None:
    """Statuses a `status` query value means; None for "all" (no filter)."""
    if value in ("", "all"):
        return None
    if value in STATUS_FILTER_ALIASES:
        return STATUS_FILTER_ALIASES[value]
    return frozenset({value})
