"""Scheduler semantics (DESIGN.md §5) stepped deterministically: a FakeClock moves wall and
monotonic time, `run_due()` is the loop's own step. Repositories are the in-memory ones; the
same scenarios run over SQLite in test_scheduler_sqlite.py."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agentic_desktop.domain.jobs import QueuedJob, ScheduledJob
from agentic_desktop.domain.schedule import ScheduleError
from agentic_desktop.engine.clock import FakeClock
from agentic_desktop.engine.events import Event, EventBus, JobFinished, JobQueued, SchedulePaused
from agentic_desktop.engine.memory_repos import (
    InMemoryJobQueueRepository,
    InMemoryScheduleRepository,
)
from agentic_desktop.engine.ports import JobQueueRepository, NewSchedule, ScheduleRepository
from agentic_desktop.engine.scheduler import Scheduler
from agentic_desktop.market.scripted import ScriptedMarket


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class Rig:
    clock: FakeClock
    schedules: ScheduleRepository
    queue: JobQueueRepository
    scheduler: Scheduler
    market: ScriptedMarket
    events: list[Event] = field(default_factory=list)
    enqueued: list[QueuedJob] = field(default_factory=list)

    def add(self, trigger_type: str, config: dict[str, Any], **kw: Any) -> ScheduledJob:
        row = self.schedules.add(NewSchedule(
            workflow_id=kw.pop("workflow_id", 1), trigger_type=trigger_type,  # type: ignore[arg-type]
            trigger_config=config, created_at=kw.pop("created_at", self.clock.now()), **kw))
        return self.scheduler.upsert(row)

    def jobs(self, schedule_id: int | None = None, status: str | None = None) -> list[QueuedJob]:
        rows = self.queue.list(scheduled_job_id=schedule_id,
                               statuses=None if status is None else [status], limit=10**9)
        return sorted(rows, key=lambda j: j.id)

    def nominals(self, schedule_id: int) -> list[datetime]:
        return [j.nominal_fire_utc for j in self.jobs(schedule_id, "pending")
                if j.nominal_fire_utc is not None]

    async def drive(self, until: datetime) -> list[QueuedJob]:
        """Let time pass normally (both clocks) to `until`, stepping at each due time."""
        out: list[QueuedJob] = []
        while True:
            nxt = self.scheduler.next_due()
            if nxt is None or nxt > until:
                break
            if nxt > self.clock.now():
                self.clock.advance((nxt - self.clock.now()).total_seconds())
            out += await self.scheduler.run_due()
        if until > self.clock.now():
            self.clock.advance((until - self.clock.now()).total_seconds())
        return out


def make_rig(start: datetime, schedules: ScheduleRepository | None = None,
             queue: JobQueueRepository | None = None, market: Any = None, **kw: Any) -> Rig:
    """A scheduler on a FakeClock. `market` is a factory taking the clock (default: a
    ScriptedMarket on it)."""
    clock = FakeClock(start)
    scripted = ScriptedMarket(clock)
    if schedules is None:
        mem = InMemoryScheduleRepository()
        schedules, queue = mem, InMemoryJobQueueRepository(mem)
    assert queue is not None
    bus = EventBus()
    rig = Rig(clock=clock, schedules=schedules, queue=queue, scheduler=None,  # type: ignore[arg-type]
              market=scripted)
    bus.subscribe(rig.events.append)
    rig.scheduler = Scheduler(schedules=schedules, queue=queue, clock=clock, events=bus,
                              market=scripted if market is None else market(scripted),
                              on_enqueued=rig.enqueued.append,
                              **kw)
    return rig


@pytest.fixture
def rig() -> Rig:
    return make_rig(utc(2025, 3, 8, 12))


# -- firing at the right instants ---------------------------------------------------------


@pytest.mark.asyncio
async def test_cron_fires_at_the_right_utc_instants_and_persists_next_run(rig: Rig) -> None:
    s = rig.add("cron", {"cron_expression": "0 9 * * 1-5", "timezone": "Europe/London"})
    assert s.next_run == utc(2025, 3, 10, 9)  # Saturday noon -> Monday 09:00 GMT
    jobs = await rig.drive(utc(2025, 4, 1))
    nominals = [j.nominal_fire_utc for j in jobs]
    assert nominals[:5] == [utc(2025, 3, d, 9) for d in (10, 11, 12, 13, 14)]
    assert utc(2025, 3, 31, 8) in nominals  # BST from 30 March: 09:00 local is 08:00Z
    job = jobs[0]
    assert job.status == "pending" and job.scheduled_job_id == s.id
    assert job.idempotency_key == f"schedule:{s.id}:2025-03-10T09:00:00Z"
    assert job.payload == {"trigger": "cron", "fire_time": "2025-03-10T09:00:00Z",
                           "schedule_id": s.id}
    assert rig.schedules.get(s.id).next_run == utc(2025, 4, 1, 8)
    assert rig.schedules.get(s.id).last_run == utc(2025, 3, 31, 8)
    assert rig.enqueued == jobs
    assert [e.job_id for e in rig.events if isinstance(e, JobQueued)] == [j.id for j in jobs]


@pytest.mark.asyncio
async def test_spring_forward_runs_a_skipped_fixed_time_once_at_the_end_of_the_gap(
        rig: Rig) -> None:
    s = rig.add("cron", {"cron_expression": "30 2 * * *", "timezone": "America/New_York"})
    await rig.drive(utc(2025, 3, 11))
    assert rig.nominals(s.id) == [utc(2025, 3, 9, 7), utc(2025, 3, 10, 6, 30)]


@pytest.mark.asyncio
async def test_fall_back_runs_a_repeated_fixed_time_once_no_double() -> None:
    rig = make_rig(utc(2025, 11, 1, 12))
    s = rig.add("cron", {"cron_expression": "30 1 * * *", "timezone": "America/New_York"})
    await rig.drive(utc(2025, 11, 4))
    assert rig.nominals(s.id) == [utc(2025, 11, 2, 5, 30), utc(2025, 11, 3, 6, 30)]


@pytest.mark.asyncio
async def test_fall_back_wildcard_hours_run_in_both_passes() -> None:
    rig = make_rig(utc(2025, 11, 2, 4))  # midnight EDT
    s = rig.add("cron", {"cron_expression": "30 * * * *", "timezone": "America/New_York"})
    await rig.drive(utc(2025, 11, 3, 5))  # midnight EST: the 25-hour local day
    assert len(rig.nominals(s.id)) == 25
    assert len(set(rig.nominals(s.id))) == 25


@pytest.mark.asyncio
async def test_interval_adds_seconds_in_utc_from_the_creation_time(rig: Rig) -> None:
    start = rig.clock.now()
    s = rig.add("time", {"interval_minutes": 15})
    assert s.next_run == start + timedelta(minutes=15)
    await rig.drive(start + timedelta(hours=1))
    assert rig.nominals(s.id) == [start + timedelta(minutes=15 * k) for k in (1, 2, 3, 4)]


@pytest.mark.asyncio
async def test_a_slightly_late_single_fire_runs_on_time_even_with_skip(rig: Rig) -> None:
    s = rig.add("time", {"interval_seconds": 60}, misfire_policy="skip")
    rig.clock.advance(63)  # a busy loop, not a sleep
    jobs = await rig.scheduler.run_due()
    assert [j.status for j in jobs] == ["pending"]
    assert jobs[0].nominal_fire_utc == s.next_run


# -- sleep/wake, app closed, clock changes ------------------------------------------------


@pytest.mark.asyncio
async def test_sleep_wake_coalesces_into_one_run_and_one_missed_record(rig: Rig) -> None:
    start = rig.clock.now()
    s = rig.add("time", {"interval_seconds": 60}, misfire_grace_seconds=300)
    rig.clock.sleep_wall(3600 + 30)  # wall moves an hour, monotonic does not
    jobs = await rig.scheduler.run_due()
    assert rig.scheduler.jumps_seen == 1
    missed, run = jobs
    assert run.status == "pending" and run.nominal_fire_utc == start + timedelta(hours=1)
    assert run.payload["catch_up"] is True and run.payload["missed"] == 55
    assert missed.status == "missed"
    assert missed.outcome_reason == (
        "missed 55 runs while the computer slept or the clock jumped (coalesced: the latest "
        "fire within the 300 s grace ran once)")
    assert missed.nominal_fire_utc == start + timedelta(minutes=1)
    assert missed.payload["missed_count"] == 55
    assert [e.status for e in rig.events if isinstance(e, JobFinished)] == ["missed"]
    assert rig.enqueued == [run]  # missed rows are never handed to workers
    assert rig.schedules.get(s.id).next_run == start + timedelta(minutes=61)
    assert await rig.scheduler.run_due() == []


@pytest.mark.asyncio
async def test_skip_policy_records_the_misfire_and_runs_nothing(rig: Rig) -> None:
    start = rig.clock.now()
    s = rig.add("time", {"interval_seconds": 60}, misfire_policy="skip")
    rig.clock.sleep_wall(600)
    jobs = await rig.scheduler.run_due()
    assert [j.status for j in jobs] == ["missed"]
    assert jobs[0].outcome_reason == ("missed 10 runs while the computer slept or the clock "
                                      "jumped (misfire policy: skip)")
    assert rig.schedules.get(s.id).next_run == start + timedelta(minutes=11)
    assert rig.enqueued == []


@pytest.mark.asyncio
async def test_fires_older_than_grace_are_missed_without_a_run(rig: Rig) -> None:
    rig.add("cron", {"cron_expression": "0 9 * * *", "timezone": "UTC"},
            misfire_grace_seconds=60)
    rig.clock.sleep_wall(86400)  # 12:00 -> 12:00 next day: 09:00 is 3 hours old
    jobs = await rig.scheduler.run_due()
    assert [(j.status, j.outcome_reason) for j in jobs] == [
        ("missed", "missed 1 run while the computer slept or the clock jumped (older than the "
                   "60 s misfire grace)")]


@pytest.mark.asyncio
async def test_app_closed_catch_up_at_start_names_the_cause() -> None:
    first = make_rig(utc(2025, 1, 6, 8))
    s = first.add("cron", {"cron_expression": "0 * * * *", "timezone": "UTC"})
    await first.drive(utc(2025, 1, 6, 10, 30))
    assert len(first.nominals(s.id)) == 2
    # The app is closed for a day; a new scheduler on the same repositories starts.
    later = make_rig(utc(2025, 1, 7, 10, 2), schedules=first.schedules, queue=first.queue)
    later.scheduler.load()
    jobs = await later.scheduler.run_due()
    assert [j.status for j in jobs] == ["missed", "pending"]
    assert jobs[0].outcome_reason is not None
    assert jobs[0].outcome_reason.startswith("missed 23 runs while the app was not running")
    assert jobs[1].nominal_fire_utc == utc(2025, 1, 7, 10)


@pytest.mark.asyncio
async def test_clock_set_back_never_refires_an_enqueued_nominal_time(rig: Rig) -> None:
    start = rig.clock.now()
    s = rig.add("time", {"interval_seconds": 60})
    await rig.drive(start + timedelta(minutes=5))
    assert len(rig.nominals(s.id)) == 5
    rig.clock.set(start + timedelta(minutes=1, seconds=30))  # someone sets the clock back
    assert await rig.scheduler.run_due() == []
    assert rig.scheduler.jumps_seen == 1
    assert rig.scheduler.planned(s.id) == start + timedelta(minutes=6)  # persisted, not re-planned
    await rig.drive(start + timedelta(minutes=7))
    nominals = rig.nominals(s.id)
    assert nominals == [start + timedelta(minutes=k) for k in range(1, 8)]  # no repeats


@pytest.mark.asyncio
async def test_unique_nominal_time_blocks_a_second_scheduler_on_the_same_queue(rig: Rig) -> None:
    s = rig.add("time", {"interval_seconds": 60})
    twin = make_rig(rig.clock.now(), schedules=rig.schedules, queue=rig.queue)
    twin.scheduler.load()
    rig.clock.advance(60)
    twin.clock.advance(60)
    assert len(await rig.scheduler.run_due()) == 1
    assert await twin.scheduler.run_due() == []  # same nominal: the constraint says no
    assert len(rig.nominals(s.id)) == 1
    assert twin.scheduler.planned(s.id) == rig.scheduler.planned(s.id)


@pytest.mark.asyncio
async def test_clock_jumped_three_years_forward_catches_up_in_constant_time(rig: Rig) -> None:
    every_second = rig.add("time", {"interval_seconds": 1})
    cron = rig.add("cron", {"cron_expression": "* * * * * *", "timezone": "UTC"})  # seconds
    rig.clock.set(rig.clock.now() + timedelta(days=3 * 365))
    began = time.perf_counter()
    jobs = await rig.scheduler.run_due()
    elapsed = time.perf_counter() - began
    assert elapsed < 1.0  # O(1): ~95 million missed fires are counted, never enumerated
    by_schedule = {(j.scheduled_job_id, j.status): j for j in jobs}
    assert len(jobs) == 4
    missed = by_schedule[(every_second.id, "missed")]
    # Every second of three years but the 301 inside the 300 s grace (those became one run).
    assert missed.payload["missed_count"] == 3 * 365 * 86400 - 301
    assert missed.outcome_reason is not None
    assert missed.outcome_reason.startswith(f"missed {3 * 365 * 86400 - 301} runs")
    cron_missed = by_schedule[(cron.id, "missed")]
    assert cron_missed.outcome_reason is not None
    assert cron_missed.outcome_reason.startswith("missed about ")
    assert by_schedule[(cron.id, "pending")].nominal_fire_utc == rig.clock.now()


# -- changes ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_pause_resume_and_remove(rig: Rig) -> None:
    start = rig.clock.now()
    s = rig.add("time", {"interval_seconds": 60})
    paused = rig.schedules.save(replace(rig.schedules.get(s.id), is_active=False))
    rig.scheduler.upsert(paused)
    assert rig.scheduler.next_due() is None and len(rig.scheduler) == 0
    await rig.drive(start + timedelta(hours=2))
    assert rig.jobs(s.id) == []
    resumed = rig.scheduler.upsert(rig.schedules.save(replace(paused, is_active=True)))
    # A resume plans from now: the pause's fires are neither run nor recorded as missed.
    assert resumed.next_run == start + timedelta(hours=2, minutes=1)
    await rig.drive(start + timedelta(hours=2, minutes=2))
    assert [j.status for j in rig.jobs(s.id)] == ["pending", "pending"]
    rig.scheduler.remove(s.id)
    await rig.drive(start + timedelta(hours=3))
    assert len(rig.jobs(s.id)) == 2


@pytest.mark.asyncio
async def test_editing_the_timing_replans_and_editing_other_fields_does_not(rig: Rig) -> None:
    start = rig.clock.now()
    s = rig.add("time", {"interval_minutes": 60})
    rig.clock.advance(600)
    renamed = rig.scheduler.upsert(rig.schedules.save(replace(s, name="renamed", priority=5)))
    assert renamed.next_run == start + timedelta(hours=1)
    faster = rig.scheduler.upsert(rig.schedules.save(
        replace(renamed, trigger_config={"interval_minutes": 5})))
    assert faster.next_run == start + timedelta(minutes=15)  # anchored at creation, from now
    jobs = await rig.drive(start + timedelta(minutes=15))
    assert [j.priority for j in jobs] == [5]


@pytest.mark.asyncio
async def test_auto_pause_on_the_bus_takes_the_schedule_out() -> None:
    rig = make_rig(utc(2025, 1, 1))
    s = rig.add("time", {"interval_seconds": 60})
    bus_scheduler = rig.scheduler
    await bus_scheduler.start()
    try:
        bus_scheduler._events.publish(SchedulePaused(time=rig.clock.now(), schedule_id=s.id,
                                                     reason="5 failures"))
        assert bus_scheduler.next_due() is None
    finally:
        await bus_scheduler.stop()


@pytest.mark.asyncio
async def test_invalid_and_untimed_schedules_are_not_in_the_heap(rig: Rig) -> None:
    rig.add("webhook", {}, hook_id="abc")
    rig.add("manual", {})
    rig.add("cron", {"cron_expression": "61 * * * *"})
    assert rig.scheduler.next_due() is None


def test_preview_is_pure_and_validates() -> None:
    after = utc(2025, 3, 8, 12)
    assert Scheduler.preview("cron", {"cron_expression": "30 2 * * *"},
                             timezone="America/New_York", after=after, count=2) == [
        utc(2025, 3, 9, 7), utc(2025, 3, 10, 6, 30)]
    assert Scheduler.preview("time", {"interval_seconds": 30}, timezone=None, after=after,
                             count=3) == [after + timedelta(seconds=30 * k) for k in (1, 2, 3)]
    with pytest.raises(ScheduleError) as err:
        Scheduler.preview("webhook", {}, timezone=None, after=after, count=1)
    assert err.value.field == "trigger_type"
    with pytest.raises(ScheduleError) as err:
        Scheduler.preview("cron", {}, timezone=None, after=after, count=1)
    assert err.value.field == "cron_expression"
