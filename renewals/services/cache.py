"""Dashboard cache versioning: one integer in the cache, bumped by every write that changes
figures (cases, payments, batches). Cached dashboard entries embed the version in their key,
so after a bump nobody reads numbers older than their own last change."""

from django.core.cache import cache

VERSION_KEY = "renewals:dashboard:version"


def dashboard_cache_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY) or 1
    return int(version)


def dashboard_cache_bump() -> None:
    """Invalidate every cached dashboard figure. Call after committing a change to cases,
    payments or upload batches (uploads calls it after each committed chunk)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # key missing (evicted or first write): start a fresh version
        cache.add(VERSION_KEY, 2, timeout=None)
