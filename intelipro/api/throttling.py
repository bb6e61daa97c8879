"""Rate limits from settings.THROTTLE_RATES, counted atomically in the cache (Redis when set).

DRF's SimpleRateThrottle keeps a list per client and rewrites it (read-modify-write), which
lets concurrent requests slip through. Here each window is one integer incremented with
`cache.incr` (INCR in Redis): fixed windows, atomic, one round-trip.
"""

import functools
import ipaddress
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'5/15m' -> (5, 900); '1000/hour' -> (1000, 3600)."""
    match = _RATE_RE.match(rate)
    if not match:
        raise ValueError(f"Invalid rate {rate!r}; use e.g. '5/15m', '1000/h'.")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _UNIT_SECONDS[unit]


@dataclass(frozen=True)
class RateWindow:
    count: int
    limit: int
    retry_after: int
    # False when the cache did not answer (Redis down, errors ignored): `count` is then
    # meaningless. The general API limit fails open on it; limits guarding secrets (login,
    # MFA) fall back to a database counter (accounts.services.throttle).
    available: bool = True

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def _window(scope: str, ident: str, period: int) -> tuple[str, int]:
    now = int(time.time())
    start = now - (now % period)
    return f"rl:{scope}:{ident}:{start}", start + period - now


def rate_hit(*, scope: str, ident: str, rate: str | None = None) -> RateWindow:
    """Count one event for (scope, ident) in the current window and return the state."""
    limit, period = parse_rate(rate or settings.THROTTLE_RATES[scope])
    key, remaining = _window(scope, ident, period)
    # add() answers True/False from a live cache, None when it is down (errors ignored).
    available = cache.add(key, 0, timeout=period + 1) is not None
    try:
        count = cache.incr(key)
    except ValueError:  # key expired between add and incr
        available = cache.add(key, 1, timeout=period + 1) is not None
        count = 1
    if count is None:  # the cache is down: fail open here, callers decide (see RateWindow)
        available, count = False, 0
    return RateWindow(count=count, limit=limit, retry_after=max(remaining, 1), available=available)


def rate_peek(*, scope: str, ident: str, rate: str | None = None) -> RateWindow:
    """Read the current window without counting."""
    limit, period = parse_rate(rate or settings.THROTTLE_RATES[scope])
    key, remaining = _window(scope, ident, period)
    missing = object()
    value = cache.get(key, missing)
    # A miss is also what a down cache answers: tell them apart with add() (None when down).
    available = value is not missing or cache.add(key, 0, timeout=period + 1) is not None
    return RateWindow(
        count=int(value or 0) if value is not missing else 0,
        limit=limit,
        retry_after=max(remaining, 1),
        available=available,
    )


def rate_undo(*, scope: str, ident: str, rate: str | None = None) -> None:
    """Take back one count of the current window (e.g. a login attempt that was right)."""
    _limit, period = parse_rate(rate or settings.THROTTLE_RATES[scope])
    key, _remaining = _window(scope, ident, period)
    try:
        cache.decr(key)
    except ValueError:  # the window rolled over: nothing to take back
        return


def rate_reset(*, scope: str, ident: str, rate: str | None = None) -> None:
    _limit, period = parse_rate(rate or settings.THROTTLE_RATES[scope])
    key, _remaining = _window(scope, ident, period)
    cache.delete(key)


@functools.cache
def _trusted_proxies(entries: tuple[str, ...]) -> tuple[bool, tuple[IPNetwork, ...]]:
    if "*" in entries:
        return True, ()
    return False, tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e)


def is_trusted_proxy(host: str) -> bool:
    """Is `host` one of settings.FORWARDED_ALLOW_IPS (addresses or networks, or "*")?"""
    trust_all, networks = _trusted_proxies(tuple(settings.FORWARDED_ALLOW_IPS))
    if trust_all:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def valid_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def client_ip(request: HttpRequest) -> str:
    """The client's address. Proxy headers count only when the peer is a trusted proxy
    (settings.FORWARDED_ALLOW_IPS, the same list uvicorn/gunicorn get as forwarded_allow_ips,
    intelipro/uvicorn_options.py): then the client is the right-most address of
    X-Forwarded-For that is not itself a trusted proxy (what uvicorn's proxy-headers middleware
    picks, so the web server's client and this agree), else X-Real-IP. Entries a client put
    in front of the header are never reached, so it cannot choose its own address.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if not is_trusted_proxy(remote):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [h for h in hops if h]
    for host in reversed(hops):
        if not is_trusted_proxy(host):
            return host if valid_ip(host) else remote
    if hops:  # every hop is a trusted proxy: the first one is the origin
        return hops[0] if valid_ip(hops[0]) else remote
    real_ip = request.META.get("HTTP_X_REAL_IP", "").strip()
    return real_ip if valid_ip(real_ip) else remote


class CacheRateThrottle(BaseThrottle):
    """Per user (or per IP when anonymous) fixed-window throttle for one scope."""

    scope = "api_general"

    def get_ident_for(self, request: Request) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return f"ip:{client_ip(request)}"

    def allow_request(self, request: Request, view: object) -> bool:
        state = rate_hit(scope=self.scope, ident=self.get_ident_for(request))
        self._retry_after = state.retry_after
        return not state.exceeded

    def wait(self) -> float | None:
        return float(getattr(self, "_retry_after", 1))


class GeneralRateThrottle(CacheRateThrottle):
    scope = "api_general"


class UploadRateThrottle(CacheRateThrottle):
    scope = "upload"
