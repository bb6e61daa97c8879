"""Preference rules as pure functions: defaults, merging, quiet hours in the user's time zone."""

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notifications.models import NotificationType

if TYPE_CHECKING:
    from notifications.models import NotificationPreference

CHANNELS = ("in_app", "email", "push")

# Defaults for a user who never saved preferences: everything in-app; email and push for
# what needs the user's action (work handed to them, mentions, reminders); batch progress
# and general updates stay in-app only, otherwise a 10,000-row upload would flood the inbox.
_ACTIONABLE = {
    NotificationType.ASSIGNMENT,
    NotificationType.ESCALATION,
    NotificationType.MENTION,
    NotificationType.REMINDER,
}
DEFAULT_CHANNELS: dict[str, dict[str, bool]] = {
    t.value: {"in_app": True, "email": t in _ACTIONABLE, "push": t in _ACTIONABLE}
    for t in NotificationType
}


def channels_for(pref: "NotificationPreference | None") -> dict[str, dict[str, bool]]:
    """The full type x channel matrix: saved choices over the defaults."""
    saved = (pref.channels if pref is not None else None) or {}
    matrix: dict[str, dict[str, bool]] = {}
    for type_, defaults in DEFAULT_CHANNELS.items():
        row = saved.get(type_) or {}
        matrix[type_] = {ch: bool(row.get(ch, defaults[ch])) for ch in CHANNELS}
    return matrix


def channel_enabled(pref: "NotificationPreference | None", type_: str, channel: str) -> bool:
    """One cell of channels_for(pref), without building the whole matrix."""
    defaults = DEFAULT_CHANNELS.get(type_)
    if defaults is None or channel not in defaults:
        return False
    saved = ((pref.channels if pref is not None else None) or {}).get(type_) or {}
    return bool(saved.get(channel, defaults[channel]))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def quiet_hours_end(pref: "NotificationPreference | None", now: dt.datetime) -> dt.datetime | None:
    """When the quiet period containing `now` ends (aware), or None when not in quiet hours.

    Quiet hours are wall-clock times in the user's zone and may wrap midnight (22:00-07:00).
    start == end means "all day" is NOT intended; it is treated as no quiet hours.
    """
    if pref is None or not pref.quiet_hours_enabled:
        return None
    start, end = pref.quiet_hours_start, pref.quiet_hours_end
    if start is None or end is None or start == end:
        return None
    tz = zone(pref.timezone)
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= t < end
        end_date = local.date()
    else:  # wraps midnight
        inside = t >= start or t < end
        end_date = local.date() + dt.timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    # Wall-clock end in the user's zone; zoneinfo resolves DST gaps/folds.
    end_local = dt.datetime.combine(end_date, end, tzinfo=tz)
    return end_local.astimezone(dt.UTC)


def local_hour(pref: "NotificationPreference | None", now: dt.datetime) -> int:
    return now.astimezone(zone(pref.timezone if pref else "UTC")).hour


def normalize_channels(value: dict[str, Any]) -> dict[str, dict[str, bool]]:
    """Keep only known types and channels from client input (validated by the serializer)."""
    out: dict[str, dict[str, bool]] = {}
    for type_, row in value.items():
        if type_ in DEFAULT_CHANNELS and isinstance(row, dict):
            out[type_] = {ch: bool(row[ch]) for ch in CHANNELS if ch in row}
    return out
