"""Every safety limit of the worker pool (the seed's table, DESIGN.md §6), each recorded with its
reason, and no "database is locked" with 10 busy workers and a reader."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from agentic_desktop.domain.jobs import Limits
from agentic_desktop.engine.events import LimitHit, ScheduleChanged, SchedulePaused
from agentic_desktop.engine.ports import NewSchedule
from tests.engine.test_workers import T0, Env, open_env, until

LONDON = ZoneInfo("Europe/London")


@pytest_asyncio.fixture
async def env(data_dir: Path) -> AsyncIterator[Env]:
    async with open_env(data_dir) as e:
        yield e


def hits(e: Env, limit: str) -> list[LimitHit]:
    return [h for h in e.events_of(LimitHit) if h.limit == limit]


@pytest.mark.asyncio
async def test_the_11th_concurrent_job_waits_and_then_runs(env: Env) -> None:
    wid = env.workflow("t.sleep", params={"n0": {"seconds": 0.6}})
    jobs = [env.enqueue(wid) for _ in range(11)]
    pool = env.pool(workers=20, limits=Limits(max_concurrent_per_user=10))
    await pool.start()
    await until(lambda: len(pool.running_jobs()) == 10)
    status = env.queue.status(now=env.clock.now(), day_start=T0, max_runs_per_day=100)
    assert (status.running, status.pending) == (10, 1)  # waits: not dropped, not rejected
    await until(lambda: bool(hits(env, "concurrency")))
    assert "concurrency limit of 10 running jobs reached" in hits(env, "concurrency")[0].reason
    await until(lambda: all(env.status_of(j.id) == "completed" for j in jobs))


@pytest.mark.asyncio
async def test_the_101st_run_of_the_day_is_rejected_with_a_reason_and_one_notification(
        env: Env) -> None:
    wid = env.workflow("t.const")
    jobs = [env.enqueue(wid) for _ in range(103)]
    pool = env.pool()
    await pool.start()
    await until(lambda: len(env.queue.list(statuses=["completed", "rejected"], limit=500))
                == len(jobs), timeout=60)
    statuses = [env.queue.get(j.id) for j in jobs]
    assert [j.status for j in statuses].count("completed") == 100
    rejected = [j for j in statuses if j.status == "rejected"]
    assert [j.id for j in rejected] == [j.id for j in jobs[100:]]
    reason = "daily limit of 100 runs reached (resets at 00:00 Europe/London)"
    assert all(j.outcome_reason == reason for j in rejected)
    assert [h.job_id for h in hits(env, "daily_runs")] == [j.id for j in rejected]
    await until(lambda: len(env.notifier.sent) == 1)
    await asyncio.sleep(0.1)
    assert len(env.notifier.sent) == 1  # once per day, not once per job
    assert reason in env.notifier.sent[0].message
    day = T0.astimezone(LONDON).replace(hour=0)
    assert env.queue.status(now=env.clock.now(), day_start=day, max_runs_per_day=100
                            ).runs_today == 100
    # just after midnight in London the count starts again
    env.clock.set(datetime(2025, 3, 11, 0, 0, 1, tzinfo=LONDON))
    tomorrow = env.enqueue(wid)
    pool.wake()
    await until(lambda: env.status_of(tomorrow.id) == "completed")


@pytest.mark.asyncio
async def test_the_day_is_the_users_day(env: Env) -> None:
    """23:30 UTC on 10 March is already 11 March in Tokyo: yesterday's runs do not count."""
    wid = env.workflow("t.const")
    env.clock.set(datetime(2025, 3, 10, 14, 0, tzinfo=ZoneInfo("UTC")))  # 23:00 in Tokyo
    early = [env.enqueue(wid) for _ in range(2)]
    pool = env.pool(limits=Limits(max_runs_per_day=2), user_timezone=lambda: "Asia/Tokyo")
    await pool.start()
    await until(lambda: all(env.status_of(j.id) == "completed" for j in early))
    env.clock.set(datetime(2025, 3, 10, 15, 30, tzinfo=ZoneInfo("UTC")))  # 00:30 in Tokyo
    late = env.enqueue(wid)
    pool.wake()
    await until(lambda: env.status_of(late.id) == "completed")


@pytest.mark.asyncio
async def test_timeout_ends_timed_out_and_is_retried_while_retries_remain(env: Env) -> None:
    wid = env.workflow("t.sleep", params={"n0": {"seconds": 10.0}})
    job = env.enqueue(wid, max_retries=1)
    pool = env.pool(limits=Limits(timeout_seconds=0.2))
    await pool.start()
    await until(lambda: env.status_of(job.id) == "retrying")
    assert "time limit of 0.2 s" in (env.queue.get(job.id).error_message or "")
    env.clock.advance(1)
    pool.wake()
    await until(lambda: env.status_of(job.id) == "timed_out")
    final = env.queue.get(job.id)
    assert final.outcome_reason == "timeout limit of 0.2 s reached; gave up after 1 retries"
    assert final.execution_id is not None
    assert env.executions.get(final.execution_id).status == "timed_out"
    assert [h.job_id for h in hits(env, "timeout")] == [job.id, job.id]


@pytest.mark.asyncio
async def test_memory_over_the_limit_fails_the_run_with_the_reason(env: Env) -> None:
    wid = env.workflow("t.memhog", params={"n0": {"mb": 100.0, "hold": 5.0}})
    job = env.enqueue(wid)
    pool = env.pool(limits=Limits(memory_mb=50.0))
    await pool.start()
    await until(lambda: env.status_of(job.id) == "failed", timeout=4)  # before the 5 s hold
    final = env.queue.get(job.id)
    assert final.retry_count == 0  # not retried
    reason = final.outcome_reason or ""
    assert reason.startswith("memory limit of 50 MB exceeded (used ")
    used = int(reason.split("used ")[1].split(" MB")[0])
    assert 50 < used < 400
    assert final.error_message == reason
    assert [h.reason for h in hits(env, "memory")] == [reason]
    assert final.execution_id is not None  # the stopped execution is linked
    execution = env.executions.get(final.execution_id)
    assert execution.status == "failed" and "memory limit of 50 MB" in (execution.error or "")
    await asyncio.sleep(0.2)
    assert env.status_of(job.id) == "failed"


@pytest.mark.asyncio
async def test_a_schedule_pauses_after_5_consecutive_failures_and_a_success_resets(
        env: Env) -> None:
    bad = env.workflow("t.fail", params={"n0": {"kind": "user"}})
    good = env.workflow("t.const")
    sched = env.schedules.add(NewSchedule(workflow_id=bad, trigger_type="manual",
                                          trigger_config={}, created_at=T0))
    pool = env.pool(workers=1)
    await pool.start()

    async def run(workflow_id: int) -> None:
        job = env.enqueue(workflow_id, scheduled_job_id=sched.id)
        pool.wake()
        await until(lambda: env.schedules.get(sched.id).last_status is not None
                    and env.status_of(job.id) in ("completed", "failed")
                    and job.id not in pool.running_jobs())

    for _ in range(4):
        await run(bad)
    assert env.schedules.get(sched.id).consecutive_failures == 4
    await run(good)
    assert env.schedules.get(sched.id).consecutive_failures == 0  # a success resets
    for _ in range(4):
        await run(bad)
    assert env.schedules.get(sched.id).is_active and not env.events_of(SchedulePaused)
    await run(bad)
    await until(lambda: bool(env.events_of(SchedulePaused)))
    paused = env.schedules.get(sched.id)
    assert not paused.is_active and paused.consecutive_failures == 5
    assert paused.paused_reason is not None and "5 consecutive failures" in paused.paused_reason
    event = env.events_of(SchedulePaused)[0]
    assert event.schedule_id == sched.id and event.reason == paused.paused_reason
    assert [e.change for e in env.events_of(ScheduleChanged)] == ["paused"]
    assert [h.schedule_id for h in hits(env, "failures")] == [sched.id]
    await until(lambda: len(env.notifier.sent) == 1)
    message = env.notifier.sent[0].message
    assert message.startswith(f"Schedule {sched.id} paused after 5 consecutive failures: ")
    assert "param 'x' is wrong" in message


@pytest.mark.asyncio
async def test_no_database_is_locked_with_10_busy_workers_and_a_reader(
        env: Env, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    wid = env.workflow("t.const", "t.sleep", "t.add", params={"n1": {"seconds": 0.02}})
    jobs = [env.enqueue(wid) for _ in range(80)]
    stop = threading.Event()
    errors: list[BaseException] = []
    reads = [0]

    def reader() -> None:  # the GUI polling the queue while the workers write
        while not stop.is_set():
            try:
                env.queue.status(now=env.clock.now(), day_start=T0 - timedelta(hours=9),
                                 max_runs_per_day=100)
                env.queue.list(limit=20)
                reads[0] += 1
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    pool = env.pool(workers=10, lease_seconds=0.3)  # heartbeats every 0.1 s: more writers
    try:
        await pool.start()
        await until(lambda: all(env.status_of(j.id) == "completed" for j in jobs), timeout=60)
    finally:
        stop.set()
        thread.join()
    assert errors == [] and reads[0] > 10
    assert "locked" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert all(env.queue.get(j.id).attempt == 1 for j in jobs)
