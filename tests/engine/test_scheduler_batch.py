"""The scheduler writes off the event loop, one `enqueue_many` per pass: every due fire in one
transaction on its database thread; a failed batch falls back to one write per fire, and a
fire whose write failed is tried again; edits made while a pass is being written are kept."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agentic_desktop.domain.jobs import QueuedJob
from agentic_desktop.engine.memory_repos import (
    InMemoryJobQueueRepository,
    InMemoryScheduleRepository,
)
from agentic_desktop.engine.ports import NewJob, ScheduleAdvance
from tests.engine.test_scheduler import make_rig

T0 = datetime(2025, 6, 2, 12, tzinfo=UTC)


class RecordingQueue(InMemoryJobQueueRepository):
    """The in-memory queue, noting each batch and the thread it ran on; it can fail a job
    by key, or hold a batch until released."""

    def __init__(self, schedules: InMemoryScheduleRepository) -> None:
        super().__init__(schedules)
        self.batches: list[list[str]] = []
        self.threads: set[str] = set()
        self.fail_keys: set[str] = set()
        self.gate: threading.Event | None = None

    def enqueue_many(self, items: Sequence[tuple[NewJob, ScheduleAdvance | None]]
                     ) -> list[QueuedJob | None]:
        self.threads.add(threading.current_thread().name)
        self.batches.append([job.idempotency_key for job, _ in items])
        if self.gate is not None:
            self.gate.wait(5)
        if any(job.idempotency_key in self.fail_keys for job, _ in items):
            raise RuntimeError("disk I/O error")
        return super().enqueue_many(items)

    def enqueue(self, job: NewJob, **kw: Any) -> QueuedJob | None:
        if job.idempotency_key in self.fail_keys:
            raise RuntimeError("disk I/O error")
        return super().enqueue(job, **kw)


def recording_rig() -> tuple[Any, RecordingQueue]:
    schedules = InMemoryScheduleRepository()
    queue = RecordingQueue(schedules)
    return make_rig(T0, schedules=schedules, queue=queue), queue


@pytest.mark.asyncio
async def test_one_pass_writes_every_due_fire_in_one_batch_off_the_loop() -> None:
    rig, queue = recording_rig()
    ids = [rig.add("time", {"interval_seconds": 60}).id for _ in range(50)]
    rig.clock.advance(60)
    jobs = await rig.scheduler.run_due()
    assert len(jobs) == 50 and len(queue.batches) == 1 and len(queue.batches[0]) == 50
    assert threading.current_thread().name not in queue.threads
    assert all(name.startswith("scheduler-db") for name in queue.threads)
    assert [j.id for j in rig.enqueued] == [j.id for j in jobs]  # announced after the commit
    for schedule_id in ids:  # every schedule moved on, in the heap and in the repository
        assert rig.scheduler.planned(schedule_id) == T0 + timedelta(seconds=120)
        assert rig.schedules.get(schedule_id).next_run == T0 + timedelta(seconds=120)
    await rig.scheduler.stop()


@pytest.mark.asyncio
async def test_a_failed_batch_is_written_fire_by_fire_and_the_failed_fire_retried() -> None:
    rig, queue = recording_rig()
    good = rig.add("time", {"interval_seconds": 60})
    bad = rig.add("time", {"interval_seconds": 60})
    rig.clock.advance(60)
    bad_key = f"schedule:{bad.id}:2025-06-02T12:01:00Z"
    queue.fail_keys.add(bad_key)
    jobs = await rig.scheduler.run_due()
    assert [j.scheduled_job_id for j in jobs] == [good.id]  # the good one is not held back
    assert rig.scheduler.planned(good.id) == T0 + timedelta(seconds=120)
    assert rig.scheduler.planned(bad.id) == T0 + timedelta(seconds=60)  # same fire, later
    assert rig.scheduler.next_due() == T0 + timedelta(seconds=61)
    queue.fail_keys.clear()
    rig.clock.advance(1)
    retried = await rig.scheduler.run_due()
    assert [(j.scheduled_job_id, j.nominal_fire_utc) for j in retried] == [
        (bad.id, T0 + timedelta(seconds=60))]
    assert rig.scheduler.planned(bad.id) == T0 + timedelta(seconds=120)
    await rig.scheduler.stop()


@pytest.mark.asyncio
async def test_the_loop_runs_while_a_pass_is_written_and_edits_meanwhile_are_kept() -> None:
    rig, queue = recording_rig()
    kept = rig.add("time", {"interval_seconds": 60}, name="a")
    retimed = rig.add("time", {"interval_seconds": 60})
    rig.clock.advance(60)
    queue.gate = threading.Event()
    step = asyncio.create_task(rig.scheduler.run_due())
    await asyncio.sleep(0.05)
    assert not step.done()  # the write waits on its thread; the loop does not
    # while the pass is being written: a rename (same timing) and a new timing
    rig.scheduler.upsert(rig.schedules.save(replace(rig.schedules.get(kept.id),
                                                    name="renamed")))
    rig.scheduler.upsert(rig.schedules.save(replace(rig.schedules.get(retimed.id),
                                                    trigger_config={"interval_seconds": 300})))
    queue.gate.set()
    jobs = await step
    assert sorted(j.scheduled_job_id for j in jobs) == sorted([kept.id, retimed.id])
    # the renamed schedule moves on from the fire that was written (no second fire of 12:01)
    assert rig.scheduler.planned(kept.id) == T0 + timedelta(seconds=120)
    queue.gate = None
    rig.clock.advance(60)
    again = await rig.scheduler.run_due()
    assert [(j.scheduled_job_id, j.nominal_fire_utc) for j in again] == [
        (kept.id, T0 + timedelta(seconds=120))]
    # the re-timed one keeps its new plan, in memory and in the repository
    planned = rig.scheduler.planned(retimed.id)
    assert planned is not None and planned > T0 + timedelta(seconds=120)
    assert rig.schedules.get(retimed.id).next_run == planned
    await rig.scheduler.stop()
