"""The scheduler over the real SQLite repositories (DESIGN.md §10: the same scenarios as the
in-memory runs): the UNIQUE(scheduled_job_id, nominal_fire_utc) constraint, the one-transaction
enqueue + advance, catch-up rows, persisted next_run across a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentic_desktop.domain.workflow import Workflow
from agentic_desktop.store import Database, open_database
from agentic_desktop.store.job_repositories import SqlJobQueueRepository
from agentic_desktop.store.repositories import SqlWorkflowRepository
from agentic_desktop.store.schedule_repositories import SqlScheduleRepository
from tests.engine.test_scheduler import Rig, make_rig


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    database = open_database(data_dir)
    yield database
    database.close()


def sql_rig(db: Database, start: datetime) -> tuple[Rig, int]:
    workflow_id = SqlWorkflowRepository(db).add(Workflow(name="w", nodes=(), edges=())).id
    rig = make_rig(start, schedules=SqlScheduleRepository(db), queue=SqlJobQueueRepository(db))
    return rig, workflow_id


@pytest.mark.asyncio
async def test_fall_back_night_fires_once_and_next_run_is_persisted(db: Database) -> None:
    rig, wf = sql_rig(db, utc(2025, 11, 1, 12))
    s = rig.add("cron", {"cron_expression": "30 1 * * *", "timezone": "America/New_York"},
                workflow_id=wf)
    await rig.drive(utc(2025, 11, 4))
    assert rig.nominals(s.id) == [utc(2025, 11, 2, 5, 30), utc(2025, 11, 3, 6, 30)]
    stored = rig.schedules.get(s.id)
    assert stored.next_run == utc(2025, 11, 4, 6, 30)
    assert stored.last_run == utc(2025, 11, 3, 6, 30)


@pytest.mark.asyncio
async def test_sleep_coalesces_and_records_one_missed_row(db: Database) -> None:
    rig, wf = sql_rig(db, utc(2025, 6, 2, 12))
    s = rig.add("time", {"interval_seconds": 60}, workflow_id=wf)
    rig.clock.sleep_wall(3600 + 30)
    jobs = await rig.scheduler.run_due()
    assert [j.status for j in jobs] == ["missed", "pending"]
    assert jobs[0].outcome_reason is not None and jobs[0].outcome_reason.startswith(
        "missed 55 runs while the computer slept or the clock jumped (coalesced")
    assert [j.status for j in rig.jobs(s.id)] == ["missed", "pending"]
    assert rig.schedules.get(s.id).next_run == utc(2025, 6, 2, 13, 1)


@pytest.mark.asyncio
async def test_clock_set_back_and_a_second_scheduler_never_double_fire(db: Database) -> None:
    start = utc(2025, 6, 2, 12)
    rig, wf = sql_rig(db, start)
    s = rig.add("time", {"interval_seconds": 60}, workflow_id=wf)
    twin = make_rig(start, schedules=rig.schedules, queue=rig.queue)
    twin.scheduler.load()
    await rig.drive(start + timedelta(minutes=3))
    twin.clock.advance(180)
    assert await twin.scheduler.run_due() == []  # the first already enqueued 12:01 .. 12:03
    rig.clock.set(start + timedelta(seconds=30))
    assert await rig.scheduler.run_due() == []
    await rig.drive(start + timedelta(minutes=5))
    nominals = rig.nominals(s.id)
    assert nominals == [start + timedelta(minutes=k) for k in range(1, 6)]


@pytest.mark.asyncio
async def test_restart_after_three_years_catches_up_in_constant_time(db: Database) -> None:
    start = utc(2025, 6, 2, 12)
    rig, wf = sql_rig(db, start)
    s = rig.add("time", {"interval_seconds": 1}, workflow_id=wf, misfire_policy="skip")
    later = make_rig(start + timedelta(days=3 * 365), schedules=rig.schedules, queue=rig.queue)
    later.scheduler.load()
    began = time.perf_counter()
    jobs = await later.scheduler.run_due()
    assert time.perf_counter() - began < 1.0
    assert [j.status for j in jobs] == ["missed"]
    assert jobs[0].payload["missed_count"] == 3 * 365 * 86400
    assert jobs[0].outcome_reason == (f"missed {3 * 365 * 86400} runs while the app was not "
                                      "running (misfire policy: skip)")
    assert later.schedules.get(s.id).next_run == later.clock.now() + timedelta(seconds=1)
