"""Timeframe validation and bar alignment shared by the simulated market and the CSV importer."""

from __future__ import annotations

from datetime import UTC, datetime

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.nodespec import TIMEFRAME_SECONDS, TIMEFRAMES

# Weekly bars open on Monday 00:00 UTC. The Unix epoch was a Thursday, so plain
# `t // 604800` would give Thursday-aligned weeks, which no chart uses.
_WEEK_OFFSET = 4 * 86400

MAX_COUNT = 100_000  # a typo like 10**9 must fail fast, not hang the app building bars


def check_timeframe(timeframe: object) -> int:
    """Seconds per bar, or a UserError naming the valid timeframes."""
    if not isinstance(timeframe, str) or timeframe not in TIMEFRAME_SECONDS:
        raise UserError(f"unknown timeframe {timeframe!r}: use one of {', '.join(TIMEFRAMES)}")
    return TIMEFRAME_SECONDS[timeframe]


def check_count(count: object) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise UserError(f"bar count must be a whole number of at least 1, got {count!r}")
    if count > MAX_COUNT:
        raise UserError(f"bar count {count} is too large: ask for at most {MAX_COUNT} bars")
    return count


def bar_open(t: int, tf_seconds: int) -> int:
    """Open time of the bar containing epoch second `t`."""
    offset = _WEEK_OFFSET if tf_seconds == 604800 else 0
    return (t - offset) // tf_seconds * tf_seconds + offset


def is_aligned(t: int, tf_seconds: int) -> bool:
    return bar_open(t, tf_seconds) == t


def to_epoch(dt: datetime) -> int:
    """Whole epoch seconds (floor) of an aware datetime; naive means UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    ts = dt.timestamp()
    return int(ts // 1)
