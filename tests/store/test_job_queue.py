"""What only the SQLite queue does (DESIGN.md §6): concurrent claims from several connections,
a batch rolled back as a whole, foreign keys, durability. The queue semantics shared with the
in-memory queue are in test_queue_contract.py."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentic_desktop.domain.workflow import Workflow
from agentic_desktop.engine.ports import NewJob, NewSchedule, ScheduleAdvance
from agentic_desktop.store import Database, open_database
from agentic_desktop.store.job_repositories import SqlJobQueueRepository
from agentic_desktop.store.repositories import SqlWorkflowRepository
from agentic_desktop.store.schedule_repositories import SqlScheduleRepository

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    database = open_database(data_dir)
    yield database
    database.close()


@pytest.fixture
def queue(db: Database) -> SqlJobQueueRepository:
    return SqlJobQueueRepository(db)


@pytest.fixture
def workflow_id(db: Database) -> int:
    return SqlWorkflowRepository(db).add(Workflow(name="w", nodes=(), edges=())).id


def job(workflow_id: int, key: str, *, at: datetime = T0, priority: int = 0, user_id: int = 1,
        **kw: object) -> NewJob:
    return NewJob(workflow_id=workflow_id, scheduled_at=at, created_at=kw.pop("created_at", at),  # type: ignore[arg-type]
                  idempotency_key=key, priority=priority, user_id=user_id, **kw)  # type: ignore[arg-type]


def claim(queue: SqlJobQueueRepository, now: datetime = T0, *, worker: str = "w1",
          limit: int = 10, lease: float = 30.0):  # type: ignore[no-untyped-def]
    return queue.claim(worker=worker, now=now, lease_seconds=lease, max_running_per_user=limit)


def test_concurrent_claims_never_hand_out_a_job_twice(queue: SqlJobQueueRepository,
                                                      workflow_id: int) -> None:
    total = 150
    for i in range(total):
        queue.enqueue(job(workflow_id, f"k{i}"))
    claimed: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        try:
            while (got := claim(queue, worker=name, limit=10_000)) is not None:
                with lock:
                    claimed.append(got.id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(claimed) == total and len(set(claimed)) == total
    assert all(j.attempt == 1 for j in queue.list(limit=total))


def test_deleting_a_workflow_keeps_its_job_history(db: Database, queue: SqlJobQueueRepository,
                                                   workflow_id: int) -> None:
    schedules = SqlScheduleRepository(db)
    sched = schedules.add(NewSchedule(workflow_id=workflow_id, trigger_type="manual",
                                      trigger_config={}, created_at=T0))
    queued = queue.enqueue(job(workflow_id, "a", scheduled_job_id=sched.id))
    assert queued is not None
    SqlWorkflowRepository(db).delete(workflow_id)
    assert schedules.list() == []  # the schedule goes with its workflow
    kept = queue.get(queued.id)
    assert kept.workflow_id == workflow_id and kept.scheduled_job_id is None


def test_queue_changes_are_durable_with_synchronous_full(db: Database, data_dir: Path,
                                                         queue: SqlJobQueueRepository,
                                                         workflow_id: int) -> None:
    assert db.pragma("synchronous") == 2  # FULL
    queued = queue.enqueue(job(workflow_id, "a"))
    assert queued is not None
    claim(queue)
    # another connection (as after a crash and restart) sees the committed claim
    raw = sqlite3.connect(data_dir / "agentic.db")
    try:
        assert raw.execute("select status, attempt from job_queue").fetchall() == [
            ("running", 1)]
    finally:
        raw.close()


def test_enqueue_many_is_one_transaction(db: Database, queue: SqlJobQueueRepository,
                                         workflow_id: int) -> None:
    schedules = SqlScheduleRepository(db)
    sched = schedules.add(NewSchedule(workflow_id=workflow_id, trigger_type="time",
                                      trigger_config={"interval_minutes": 15}, created_at=T0,
                                      next_run=T0))
    later = T0 + timedelta(minutes=15)
    with pytest.raises(sqlite3.IntegrityError):  # the second job names a schedule that is not there
        queue.enqueue_many([
            (job(workflow_id, "a", scheduled_job_id=sched.id, nominal_fire_utc=T0),
             ScheduleAdvance(schedule_id=sched.id, next_run=later, last_run=T0)),
            (job(workflow_id, "b", scheduled_job_id=sched.id + 1, nominal_fire_utc=T0), None),
        ])
    assert queue.list() == [] and schedules.get(sched.id).next_run == T0  # nothing written
