"""The scheduler's own loop, with small real intervals: the precise timer, the wake-up on a new
schedule, and the tick that notices a wall-clock jump."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from agentic_desktop.engine.clock import FakeClock, SystemClock
from agentic_desktop.engine.events import EventBus
from agentic_desktop.engine.memory_repos import (
    InMemoryJobQueueRepository,
    InMemoryScheduleRepository,
)
from agentic_desktop.engine.ports import Clock, NewSchedule
from agentic_desktop.engine.scheduler import Scheduler
from agentic_desktop.market.scripted import ScriptedMarket


def build(clock: Clock, tick: float) -> tuple[Scheduler, InMemoryScheduleRepository,
                                              InMemoryJobQueueRepository]:
    schedules = InMemoryScheduleRepository()
    queue = InMemoryJobQueueRepository(schedules)
    scheduler = Scheduler(schedules=schedules, queue=queue, clock=clock, events=EventBus(),
                          market=ScriptedMarket(FakeClock(datetime(2025, 1, 1, tzinfo=UTC))),
                          tick_seconds=tick)
    return scheduler, schedules, queue


async def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        assert loop.time() < end, "condition not reached in time"
        await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_loop_fires_on_time_with_the_precise_timer() -> None:
    clock = SystemClock()
    scheduler, schedules, queue = build(clock, tick=5.0)  # ticks alone would be far too late
    now = clock.now()
    anchor = now - timedelta(seconds=0.8)  # first fire 0.2 s from now, then every second
    schedules.add(NewSchedule(workflow_id=1, trigger_type="time", created_at=now,
                              trigger_config={"interval_seconds": 1,
                                              "anchor": anchor.isoformat()}))
    await scheduler.start()
    try:
        await wait_for(lambda: len(queue.list()) >= 2)
    finally:
        await scheduler.stop()
    lateness = [(j.created_at - j.nominal_fire_utc).total_seconds()
                for j in queue.list() if j.nominal_fire_utc is not None]
    assert all(0 <= late < 0.25 for late in lateness), lateness


@pytest.mark.asyncio
async def test_upsert_wakes_the_sleeping_loop() -> None:
    clock = SystemClock()
    scheduler, schedules, queue = build(clock, tick=30.0)
    await scheduler.start()
    try:
        await asyncio.sleep(0.05)  # the loop is now asleep until its 30 s tick
        now = clock.now()
        row = schedules.add(NewSchedule(
            workflow_id=1, trigger_type="time", created_at=now,
            trigger_config={"interval_seconds": 1,
                            "anchor": (now - timedelta(seconds=0.85)).isoformat()}))
        scheduler.upsert(row)
        await wait_for(lambda: len(queue.list()) == 1, timeout=1.0)
    finally:
        await scheduler.stop()


@pytest.mark.asyncio
async def test_tick_notices_a_sleep_and_catches_up() -> None:
    clock = FakeClock(datetime(2025, 1, 1, tzinfo=UTC))
    scheduler, schedules, queue = build(clock, tick=0.02)
    schedules.add(NewSchedule(workflow_id=1, trigger_type="time", created_at=clock.now(),
                              trigger_config={"interval_minutes": 1}))
    await scheduler.start()
    try:
        await asyncio.sleep(0.05)
        assert queue.list() == []
        clock.sleep_wall(3600)  # the lid closes for an hour
        await wait_for(lambda: len(queue.list()) == 2)
    finally:
        await scheduler.stop()
    statuses = sorted(j.status for j in queue.list())
    assert statuses == ["missed", "pending"]
    assert scheduler.jumps_seen == 1


@pytest.mark.asyncio
async def test_stop_is_clean_and_start_is_idempotent() -> None:
    scheduler, _, _ = build(SystemClock(), tick=0.01)
    await scheduler.start()
    await scheduler.start()
    await asyncio.sleep(0.03)
    await scheduler.stop()
    await scheduler.stop()
