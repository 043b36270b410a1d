from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from agentic_desktop.engine.clock import FakeClock, SystemClock

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def test_system_clock_is_aware_utc_and_monotonic() -> None:
    clock = SystemClock()
    now = clock.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    a = clock.monotonic()
    assert clock.monotonic() >= a


def test_fake_clock_advance_moves_both_clocks() -> None:
    clock = FakeClock(T0)
    mono = clock.monotonic()
    clock.advance(90)
    assert clock.now() == T0 + timedelta(seconds=90)
    assert clock.monotonic() == mono + 90


def test_set_jumps_wall_time_only() -> None:
    clock = FakeClock(T0)
    mono = clock.monotonic()
    clock.set(T0 - timedelta(hours=1))  # the user winds the clock back
    assert clock.now() == T0 - timedelta(hours=1)
    assert clock.monotonic() == mono


def test_sleep_wall_advances_wall_but_not_monotonic() -> None:
    clock = FakeClock(T0)
    mono = clock.monotonic()
    clock.sleep_wall(8 * 3600)
    assert clock.now() == T0 + timedelta(hours=8)
    assert clock.monotonic() == mono


def test_fake_clock_normalises_to_utc_and_rejects_naive() -> None:
    paris = timezone(timedelta(hours=2))
    clock = FakeClock(datetime(2024, 6, 1, 14, 0, tzinfo=paris))
    assert clock.now() == datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="naive"):
        FakeClock(datetime(2024, 1, 1))
    with pytest.raises(ValueError):
        clock.advance(-1)
