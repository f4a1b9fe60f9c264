"""Snapshot and maintenance windows (UTC) and their rules."""

from __future__ import annotations

import re

from ._validation import fail, is_unresolved

#: Shortest window ElastiCache accepts, in minutes.
MIN_WINDOW_MINUTES = 60
#: Longest maintenance window ElastiCache accepts, in minutes.
MAX_MAINTENANCE_WINDOW_MINUTES = 24 * 60
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAY_MINUTES = 24 * 60
_WEEK_MINUTES = 7 * _DAY_MINUTES
_SNAPSHOT_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_MAINTENANCE_RE = re.compile(r"^([a-z]{3}):(\d{2}):(\d{2})-([a-z]{3}):(\d{2}):(\d{2})$")


def _minute(prop: str, value: str, hh: str, mm: str) -> int:
    h, m = int(hh), int(mm)
    if h > 23 or m > 59:
        raise fail(prop, value, "hours are 00-23 and minutes 00-59 (UTC)")
    return h * 60 + m


def parse_snapshot_window(value: str, prop: str = "snapshot_window") -> tuple[int, int]:
    """``"05:00-06:00"`` -> (start, length) in minutes of the day; at least 60 minutes long."""
    m = _SNAPSHOT_RE.match(value)
    if not m:
        raise fail(prop, value, "format is 'hh24:mi-hh24:mi' in UTC, e.g. '05:00-06:00'")
    start = _minute(prop, value, m.group(1), m.group(2))
    end = _minute(prop, value, m.group(3), m.group(4))
    length = (end - start) % _DAY_MINUTES
    if length < MIN_WINDOW_MINUTES:
        raise fail(prop, value, f"must be at least {MIN_WINDOW_MINUTES} minutes long")
    return start, length


def parse_maintenance_window(value: str, prop: str = "maintenance_window") -> tuple[int, int]:
    """``"sun:05:00-sun:06:00"`` -> (start, length) in minutes of the week; 60 minutes to 24 hours long."""
    m = _MAINTENANCE_RE.match(value.lower())
    if not m:
        raise fail(prop, value, "format is 'ddd:hh24:mi-ddd:hh24:mi' in UTC, e.g. 'sun:05:00-sun:06:00'")
    for day in (m.group(1), m.group(4)):
        if day not in DAYS:
            raise fail(prop, value, "days are " + ", ".join(DAYS))
    start = DAYS.index(m.group(1)) * _DAY_MINUTES + _minute(prop, value, m.group(2), m.group(3))
    end = DAYS.index(m.group(4)) * _DAY_MINUTES + _minute(prop, value, m.group(5), m.group(6))
    length = (end - start) % _WEEK_MINUTES
    if not MIN_WINDOW_MINUTES <= length <= MAX_MAINTENANCE_WINDOW_MINUTES:
        raise fail(prop, value, f"must be {MIN_WINDOW_MINUTES} minutes to 24 hours long")
    return start, length


def _overlaps(a_start: int, a_len: int, b_start: int, b_len: int, period: int) -> bool:
    """Do two intervals on a circle of ``period`` minutes overlap?"""
    return (b_start - a_start) % period < a_len or (a_start - b_start) % period < b_len


def validate_windows(snapshot_window: str | None, maintenance_window: str | None) -> None:
    """Check both windows' formats and that the daily snapshot window never overlaps the maintenance window."""
    snap = maint = None
    if snapshot_window is not None and not is_unresolved(snapshot_window):
        snap = parse_snapshot_window(snapshot_window)
    if maintenance_window is not None and not is_unresolved(maintenance_window):
        maint = parse_maintenance_window(maintenance_window)
    if snap is None or maint is None:
        return
    for day in range(7):
        if _overlaps(day * _DAY_MINUTES + snap[0], snap[1], maint[0], maint[1], _WEEK_MINUTES):
            raise fail(
                "snapshot_window",
                snapshot_window,
                f"overlaps maintenance_window {maintenance_window!r}; choose non-overlapping UTC times",
            )
