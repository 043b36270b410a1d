"""Clocks behind `engine.ports.Clock`.

Wall time and monotonic time are kept apart on purpose: the scheduler detects sleep/wake and
clock changes by comparing how far each one moved (DESIGN.md §5), so the fake must be able to
move them independently.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class SystemClock:
    """The machine's clocks."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


def _require_aware(dt: datetime) -> datetime:
    # A naive datetime would silently mean "local time" to some callers and UTC to others.
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"FakeClock needs an aware datetime, got naive {dt!r}; add tzinfo=UTC")
    return dt.astimezone(UTC)


class FakeClock:
    """A clock tests drive by hand.

    - `advance(s)`: ordinary passage of time, both clocks move.
    - `set(dt)`: the user (or NTP) changes the wall clock; monotonic time does not move.
    - `sleep_wall(s)`: the machine sleeps; wall time moves, monotonic time does not (as with
      CLOCK_MONOTONIC on Linux and macOS, which stops during suspend).
    """

    def __init__(self, start: datetime, *, monotonic_start: float = 1000.0) -> None:
        self._wall = _require_aware(start)
        self._mono = float(monotonic_start)

    def now(self) -> datetime:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"advance() needs seconds >= 0, got {seconds}; use set() to go back")
        self._wall += timedelta(seconds=seconds)
        self._mono += seconds

    def set(self, dt: datetime) -> None:
        self._wall = _require_aware(dt)

    def sleep_wall(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"sleep_wall() needs seconds >= 0, got {seconds}")
        self._wall += timedelta(seconds=seconds)
