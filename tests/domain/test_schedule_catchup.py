"""Misfire catch-up (DESIGN.md §5): coalesce vs skip, bounded work however long the sleep."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from agentic_desktop.domain.schedule import (
    MAX_LISTED_MISSED,
    CronSchedule,
    IntervalSchedule,
    ScheduleError,
    plan_catch_up,
)

MIN = timedelta(minutes=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class Counting:
    """A Schedule that counts the fires it is asked to compute (work, not wall time)."""

    inner: CronSchedule
    fires_computed: int = 0
    calls: list[str] = field(default_factory=list)

    def next_fire(self, after: datetime) -> datetime:
        self.fires_computed += 1
        return self.inner.next_fire(after)

    def fire_times(self, after: datetime, count: int) -> list[datetime]:
        self.fires_computed += count
        return self.inner.fire_times(after, count)

    def describe(self) -> str:
        return self.inner.describe()


ANCHOR = utc(2025, 1, 1)
EVERY_MINUTE = IntervalSchedule(60, ANCHOR)


def test_coalesce_runs_once_for_fires_within_grace_and_counts_older_as_missed() -> None:
    now = utc(2025, 1, 1, 1, 0, 30)
    plan = plan_catch_up(EVERY_MINUTE, utc(2025, 1, 1, 0, 1), now, 300, "coalesce")
    assert plan.run_at == now and plan.nominal == utc(2025, 1, 1, 1, 0)
    assert plan.missed_count == 55  # 00:01 .. 00:55; 00:56 .. 01:00 became the one run
    assert plan.missed == tuple(utc(2025, 1, 1, 0, 1) + k * MIN for k in range(MAX_LISTED_MISSED))
    assert plan.missed_count_exact
    assert plan.next_fire == utc(2025, 1, 1, 1, 1)


def test_coalesce_without_a_fire_inside_grace_runs_nothing() -> None:
    now = utc(2025, 1, 1, 1, 0, 30)
    plan = plan_catch_up(EVERY_MINUTE, utc(2025, 1, 1, 0, 1), now, 10, "coalesce")
    assert plan.run_at is None and plan.nominal is None
    assert plan.missed_count == 60


def test_skip_runs_nothing_and_counts_every_due_fire() -> None:
    now = utc(2025, 1, 1, 1, 0, 30)
    plan = plan_catch_up(EVERY_MINUTE, utc(2025, 1, 1, 0, 1), now, 300, "skip")
    assert plan.run_at is None and plan.nominal is None
    assert plan.missed_count == 60 and plan.next_fire == utc(2025, 1, 1, 1, 1)


def test_nothing_due_yet() -> None:
    plan = plan_catch_up(EVERY_MINUTE, utc(2025, 1, 1, 2), utc(2025, 1, 1, 1, 59), 60, "coalesce")
    assert (plan.run_at, plan.nominal, plan.missed_count) == (None, None, 0)
    assert plan.next_fire == utc(2025, 1, 1, 2)


def test_exactly_on_time_fire_coalesces_to_itself() -> None:
    now = utc(2025, 1, 1, 0, 5)
    plan = plan_catch_up(EVERY_MINUTE, now, now, 0, "coalesce")
    assert plan.nominal == now and plan.missed_count == 0 and plan.next_fire == now + MIN


def test_interval_catch_up_after_ten_years_is_exact() -> None:
    every_second = IntervalSchedule(1, ANCHOR)
    now = utc(2035, 1, 1, 0, 0, 0, 500_000)
    plan = plan_catch_up(every_second, ANCHOR, now, 60, "coalesce")
    total = int((utc(2035, 1, 1) - ANCHOR).total_seconds()) + 1  # ANCHOR .. 2035-01-01 00:00:00
    assert plan.nominal == utc(2035, 1, 1) and plan.run_at == now
    assert plan.missed_count == total - 60  # 23:59:01 .. 00:00:00 (within 60 s) became one run
    assert plan.next_fire == utc(2035, 1, 1, 0, 0, 1)
    skip = plan_catch_up(every_second, ANCHOR, now, 60, "skip")
    assert skip.missed_count == total and skip.missed_count_exact


def test_cron_catch_up_after_three_years_does_bounded_work() -> None:
    schedule = Counting(CronSchedule.parse("* * * * *", "America/New_York"))
    last_due, now = utc(2022, 1, 1), utc(2025, 1, 1, 0, 0, 30)
    plan = plan_catch_up(schedule, last_due, now, 120, "coalesce")
    assert plan.run_at == now and plan.nominal == utc(2025, 1, 1)
    assert plan.next_fire == utc(2025, 1, 1, 0, 1)
    true_missed = int((utc(2024, 12, 31, 23, 58) - last_due) / MIN)  # minutes before grace
    assert not plan.missed_count_exact
    assert abs(plan.missed_count - true_missed) <= true_missed // 100
    assert plan.missed[:2] == (last_due, last_due + MIN)
    assert schedule.fires_computed < 100


def test_cron_dense_schedule_with_long_grace_bisects() -> None:
    schedule = Counting(CronSchedule.parse("*/2 * * * * *", "UTC"))
    now = utc(2025, 1, 1, 12, 0, 3, 250_000)
    plan = plan_catch_up(schedule, utc(2024, 1, 1), now, 86400, "coalesce")
    assert plan.nominal == utc(2025, 1, 1, 12, 0, 2)
    assert schedule.fires_computed < 200


def test_cron_catch_up_counts_exactly_when_few_were_missed() -> None:
    hourly = CronSchedule.parse("0 * * * *", "UTC")
    plan = plan_catch_up(hourly, utc(2025, 1, 1), utc(2025, 1, 1, 8, 10), 3600, "coalesce")
    assert plan.nominal == utc(2025, 1, 1, 8)
    assert plan.missed == tuple(utc(2025, 1, 1, h) for h in range(8))
    assert plan.missed_count == 8 and plan.missed_count_exact


def test_cron_catch_up_over_fall_back_has_no_double() -> None:
    daily = CronSchedule.parse("30 1 * * *", "America/New_York")
    plan = plan_catch_up(daily, utc(2025, 11, 2, 5, 30), utc(2025, 11, 3, 12), 0, "skip")
    assert plan.missed == (utc(2025, 11, 2, 5, 30), utc(2025, 11, 3, 6, 30))
    assert plan.next_fire == utc(2025, 11, 4, 6, 30)


def test_last_due_that_is_not_a_fire_counts_from_the_next_fire() -> None:
    hourly = CronSchedule.parse("0 * * * *", "UTC")
    plan = plan_catch_up(hourly, utc(2025, 1, 1, 0, 30), utc(2025, 1, 1, 3, 5), 0, "skip")
    assert plan.missed_count == 3 and plan.missed[0] == utc(2025, 1, 1, 1)


@pytest.mark.parametrize(
    ("policy", "grace", "field_name"),
    [
        ("later", 60, "misfire_policy"),
        ("coalesce", -1, "misfire_grace_seconds"),
        ("coalesce", float("nan"), "misfire_grace_seconds"),
        ("skip", float("inf"), "misfire_grace_seconds"),
        ("skip", "60", "misfire_grace_seconds"),
    ],
)
def test_bad_policy_or_grace(policy: str, grace: float, field_name: str) -> None:
    with pytest.raises(ScheduleError) as info:
        plan_catch_up(EVERY_MINUTE, ANCHOR, ANCHOR, grace, policy)  # type: ignore[arg-type]
    assert info.value.field == field_name


def test_huge_grace_is_clamped_to_the_gap() -> None:
    plan = plan_catch_up(EVERY_MINUTE, ANCHOR, utc(2025, 1, 1, 0, 10), 1e300, "coalesce")
    assert plan.nominal == utc(2025, 1, 1, 0, 10) and plan.missed_count == 0
