"""Failed sign-in attempts and wrong MFA codes: limits that fail closed.

Sign-in: 5 failures per 15 minutes per account (settings.THROTTLE_RATES["login"]) and per
client IP (["login_ip"], the same by default).
Each attempt is counted *before* the password is checked (one atomic INCR per counter), so
no burst of concurrent requests can try more than the limit; an attempt that turns out to be
right is then taken back. Only wrong guesses therefore use up the allowance. The 6th failed
attempt in a window answers 429 with Retry-After, whatever the password.

The counters live in the cache (Redis). When the cache does not answer, these limits do not
fail open like the general API limit: they count in the database instead (AuthRateCounter,
same fixed windows), so guessing passwords or MFA codes stays bounded while Redis is down.
"""

import logging
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.exceptions import Throttled

from accounts.models import AuthRateCounter, User
from core.services import audit_log
from intelipro.api import throttling
from intelipro.api.throttling import RateWindow, parse_rate

logger = logging.getLogger(__name__)

SCOPE = "login"  # per account
IP_SCOPE = "login_ip"  # per client IP (THROTTLE_LOGIN_IP, by default the same rate)
# Database windows older than this are deleted by sessions_prune (daily).
DB_WINDOW_RETENTION = timedelta(days=1)


def _db_window(scope: str) -> tuple[datetime, int, int]:
    """(window start, limit, seconds left) of the current fixed window, as the cache's."""
    limit, period = parse_rate(settings.THROTTLE_RATES[scope])
    now = int(time.time())
    start = now - (now % period)
    return datetime.fromtimestamp(start, tz=UTC), limit, max(start + period - now, 1)


def _db_hit(*, scope: str, ident: str) -> RateWindow:
    start, limit, remaining = _db_window(scope)
    with transaction.atomic():
        row, _created = AuthRateCounter.objects.get_or_create(
            scope=scope, ident=ident[:300], window_start=start
        )
        AuthRateCounter.objects.filter(pk=row.pk).update(count=F("count") + 1)
        count = AuthRateCounter.objects.filter(pk=row.pk).values_list("count", flat=True).get()
    return RateWindow(count=count, limit=limit, retry_after=remaining)


def limit_hit(*, scope: str, ident: str) -> RateWindow:
    """Count one event in the cache, or in the database when the cache is down."""
    state = throttling.rate_hit(scope=scope, ident=ident)
    if state.available:
        return state
    logger.warning("cache unreachable: %s limit counted in the database", scope)
    return _db_hit(scope=scope, ident=ident)


def limit_peek(*, scope: str, ident: str) -> RateWindow:
    state = throttling.rate_peek(scope=scope, ident=ident)
    if state.available:
        return state
    start, limit, remaining = _db_window(scope)
    row = AuthRateCounter.objects.filter(scope=scope, ident=ident[:300], window_start=start)
    count = row.values_list("count", flat=True).first() or 0
    return RateWindow(count=count, limit=limit, retry_after=remaining)


def limit_undo(*, scope: str, ident: str) -> None:
    """Take back one count (from the cache, and from a database window if one exists)."""
    throttling.rate_undo(scope=scope, ident=ident)
    start, _limit, _remaining = _db_window(scope)
    AuthRateCounter.objects.filter(
        scope=scope, ident=ident[:300], window_start=start, count__gt=0
    ).update(count=F("count") - 1)


def limit_reset(*, scope: str, ident: str) -> None:
    throttling.rate_reset(scope=scope, ident=ident)
    start, _limit, _remaining = _db_window(scope)
    AuthRateCounter.objects.filter(scope=scope, ident=ident[:300], window_start=start).delete()


def limit_windows_prune() -> int:
    """Delete database windows that ended long ago (daily, with the session prune)."""
    cutoff = timezone.now() - DB_WINDOW_RETENTION
    return AuthRateCounter.objects.filter(window_start__lt=cutoff).delete()[0]


def _idents(*, email: str, ip: str | None) -> dict[str, tuple[str, str]]:
    """kind -> (scope, ident): the account's counter and the client IP's counter."""
    return {
        "account": (SCOPE, f"account:{email.strip().lower()}"),
        "ip": (IP_SCOPE, f"ip:{ip or 'unknown'}"),
    }


def login_attempt_reserve(*, email: str, ip: str | None) -> None:
    """Count one attempt for the account and the client IP; 429 when either is over its limit.

    The IP is the real client's (client_ip behind the trusted proxy), so failures from one
    address never block an account's sign-in from another address.
    """
    states = {
        kind: limit_hit(scope=scope, ident=ident)
        for kind, (scope, ident) in _idents(email=email, ip=ip).items()
    }
    exceeded = {kind: state for kind, state in states.items() if state.exceeded}
    if not exceeded:
        return
    for kind, state in exceeded.items():
        if state.count == state.limit + 1:  # the first refused attempt of this window
            user = User.objects.filter(email__iexact=email.strip()).first()
            audit_log(
                action="auth.lockout",
                actor=None,
                obj=user,
                object_type="" if user else "accounts.user",
                actor_label=email.strip().lower()[:255],
                changes={"scope": kind, "email": email.strip().lower(), "ip": ip},
            )
    raise Throttled(
        wait=max(state.retry_after for state in exceeded.values()),
        detail="Too many failed sign-in attempts. Try again later.",
    )


def login_attempt_succeeded(*, email: str, ip: str | None) -> None:
    """The attempt was right: take it back from the IP, and clear the account's failures."""
    idents = _idents(email=email, ip=ip)
    limit_reset(scope=SCOPE, ident=idents["account"][1])
    limit_undo(scope=IP_SCOPE, ident=idents["ip"][1])
