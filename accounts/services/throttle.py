"""Failed sign-in attempts: 5 per 15 minutes per account and per IP (settings.THROTTLE_RATES).

Each attempt is counted *before* the password is checked (one atomic INCR per counter), so
no burst of concurrent requests can try more than the limit; an attempt that turns out to be
right is then taken back. Only wrong guesses therefore use up the allowance. The 6th failed
attempt in a window answers 429 with Retry-After, whatever the password.
"""

from rest_framework.exceptions import Throttled

from accounts.models import User
from core.services import audit_log
from intelipro.api import throttling

SCOPE = "login"


def _idents(*, email: str, ip: str | None) -> dict[str, str]:
    return {"account": f"account:{email.strip().lower()}", "ip": f"ip:{ip or 'unknown'}"}


def login_attempt_reserve(*, email: str, ip: str | None) -> None:
    """Count one attempt for the account and the IP; 429 when either is over the limit."""
    states = {
        kind: throttling.rate_hit(scope=SCOPE, ident=ident)
        for kind, ident in _idents(email=email, ip=ip).items()
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
    throttling.rate_reset(scope=SCOPE, ident=idents["account"])
    throttling.rate_undo(scope=SCOPE, ident=idents["ip"])
