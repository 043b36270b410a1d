"""The durable job queue on real SQLite (DESIGN.md §6): claim order and leases, concurrent
claims, the dedupe constraints, lease recovery, cancel/retry, status."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.workflow import Workflow
from agentic_desktop.engine.ports import NewJob, NewSchedule, ScheduleAdvance
from agentic_desktop.store import Database, open_database
from agentic_desktop.store.job_repositories import LEASE_EXPIRED_REASON, SqlJobQueueRepository
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


def test_enqueue_then_claim_marks_running_with_a_lease(queue: SqlJobQueueRepository,
                                                        workflow_id: int) -> None:
    queued = queue.enqueue(job(workflow_id, "a", payload={"price": 1.1}, trigger_type="price"))
    assert queued is not None
    assert (queued.status, queued.attempt, queued.retry_count) == ("pending", 0, 0)
    got = claim(queue, T0 + timedelta(seconds=2))
    assert got is not None and got.id == queued.id
    assert got.status == "running" and got.attempt == 1 and got.worker == "w1"
    assert got.started_at == T0 + timedelta(seconds=2)
    assert got.lease_expires_at == T0 + timedelta(seconds=32)
    assert got.payload == {"price": 1.1} and got.trigger_type == "price"
    assert claim(queue, T0 + timedelta(seconds=2)) is None  # nothing else is due
    assert queue.get(got.id) == got


def test_claim_order_is_priority_then_due_time_then_id(queue: SqlJobQueueRepository,
                                                       workflow_id: int) -> None:
    ids = {}
    for key, at, prio in [("late-low", 5, 0), ("early-low", 1, 0), ("early-low-2", 1, 0),
                          ("late-high", 4, 9), ("future-top", 100, 99)]:
        queued = queue.enqueue(job(workflow_id, key, at=T0 + timedelta(seconds=at),
                                   priority=prio))
        assert queued is not None
        ids[queued.id] = key
    now = T0 + timedelta(seconds=10)
    order = []
    while (got := claim(queue, now)) is not None:
        order.append(ids[got.id])
    # the future job is not due yet, whatever its priority
    assert order == ["late-high", "early-low", "early-low-2", "late-low"]
    assert queue.next_due() == T0 + timedelta(seconds=100)


def test_claim_respects_the_per_user_running_limit(queue: SqlJobQueueRepository,
                                                   workflow_id: int) -> None:
    for i in range(4):
        queue.enqueue(job(workflow_id, f"u1-{i}"))
    queue.enqueue(job(workflow_id, "u2-0", user_id=2, at=T0 + timedelta(seconds=1)))
    now = T0 + timedelta(seconds=5)
    first = [claim(queue, now, limit=2) for _ in range(2)]
    assert all(j is not None and j.user_id == 1 for j in first)
    other = claim(queue, now, limit=2)  # user 1 is at its limit; user 2 is not
    assert other is not None and other.user_id == 2
    assert claim(queue, now, limit=2) is None  # the rest wait, they are not dropped
    assert first[0] is not None
    queue.finish(first[0].id, status="completed", now=now)
    again = claim(queue, now, limit=2)
    assert again is not None and again.user_id == 1
    assert len(queue.list(statuses=["pending"])) == 1


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


def test_a_nominal_fire_is_enqueued_once_and_the_schedule_still_advances(
        db: Database, queue: SqlJobQueueRepository, workflow_id: int) -> None:
    schedules = SqlScheduleRepository(db)
    sched = schedules.add(NewSchedule(workflow_id=workflow_id, trigger_type="time",
                                      trigger_config={"interval_minutes": 15}, created_at=T0,
                                      next_run=T0))
    fire = T0
    first = queue.enqueue(
        job(workflow_id, "s1@1", scheduled_job_id=sched.id, nominal_fire_utc=fire),
        advance=ScheduleAdvance(schedule_id=sched.id, next_run=fire + timedelta(minutes=15),
                                last_run=fire))
    assert first is not None
    # a second process (or a clock set back) fires the same nominal time with another key
    again = queue.enqueue(
        job(workflow_id, "s1@1-other", scheduled_job_id=sched.id, nominal_fire_utc=fire),
        advance=ScheduleAdvance(schedule_id=sched.id, next_run=fire + timedelta(minutes=30)))
    assert again is None
    assert [j.id for j in queue.list()] == [first.id]
    after = schedules.get(sched.id)
    assert after.next_run == fire + timedelta(minutes=30)  # the advance was applied anyway
    assert after.last_run == fire  # last_run=None leaves it alone
    # jobs without a nominal fire time (manual, webhook) never collide on NULLs
    assert queue.enqueue(job(workflow_id, "m1", scheduled_job_id=sched.id)) is not None
    assert queue.enqueue(job(workflow_id, "m2", scheduled_job_id=sched.id)) is not None


def test_idempotency_key_dedupes_within_the_window_only(queue: SqlJobQueueRepository,
                                                        workflow_id: int) -> None:
    day = 24 * 3600.0
    first = queue.enqueue(job(workflow_id, "hook:abc"), dedupe_window_seconds=day)
    assert first is not None
    within = T0 + timedelta(hours=23)
    assert queue.enqueue(job(workflow_id, "hook:abc", created_at=within),
                         dedupe_window_seconds=day) is None
    later = T0 + timedelta(hours=25)
    second = queue.enqueue(job(workflow_id, "hook:abc", at=later),
                           dedupe_window_seconds=day)
    assert second is not None and second.idempotency_key == "hook:abc"
    assert queue.get(first.id).idempotency_key == f"hook:abc:expired:{first.id}"
    # without a window the key is unique for ever
    assert queue.enqueue(job(workflow_id, "hook:abc", at=later + timedelta(days=9))) is None


def test_expired_leases_go_back_to_pending_and_count_the_next_attempt(
        queue: SqlJobQueueRepository, workflow_id: int) -> None:
    queued = queue.enqueue(job(workflow_id, "a"))
    other = queue.enqueue(job(workflow_id, "b"))
    assert queued is not None and other is not None
    a = claim(queue, lease=30)
    b = claim(queue, worker="w2", lease=30)
    assert a is not None and b is not None
    assert queue.heartbeat(b.id, worker="w2", lease_until=T0 + timedelta(seconds=90))
    assert not queue.heartbeat(b.id, worker="someone-else", lease_until=T0)
    assert queue.recover_expired(now=T0 + timedelta(seconds=29)) == []
    recovered = queue.recover_expired(now=T0 + timedelta(seconds=31))
    assert [j.id for j in recovered] == [a.id]  # b's lease was extended by its heartbeat
    back = recovered[0]
    assert back.status == "pending" and back.worker is None and back.lease_expires_at is None
    assert back.attempt == 1 and back.outcome_reason == LEASE_EXPIRED_REASON
    assert back.scheduled_at == T0  # keeps its place in the line
    again = claim(queue, T0 + timedelta(seconds=32), worker="w3")
    assert again is not None and again.id == a.id and again.attempt == 2
    assert not queue.heartbeat(a.id, worker="w1", lease_until=T0 + timedelta(hours=1))


def test_finish_and_schedule_retry(queue: SqlJobQueueRepository, workflow_id: int) -> None:
    queue.enqueue(job(workflow_id, "a"))
    running = claim(queue)
    assert running is not None
    waiting = queue.schedule_retry(running.id, at=T0 + timedelta(seconds=1), error="net down")
    assert waiting.status == "retrying" and waiting.retry_count == 1
    assert waiting.scheduled_at == T0 + timedelta(seconds=1) and waiting.lease_expires_at is None
    assert waiting.error_message == "net down" and waiting.outcome_reason == (
        "retry 1 of 3 after a retryable failure")
    assert claim(queue, T0) is None  # backoff: not due yet
    again = claim(queue, T0 + timedelta(seconds=1))
    assert again is not None and again.attempt == 2
    done = queue.finish(again.id, status="completed", now=T0 + timedelta(seconds=2))
    assert done.status == "completed" and done.completed_at == T0 + timedelta(seconds=2)
    assert done.retry_count == 1 and done.error_message is None
    with pytest.raises(NotFoundError, match="job 999"):
        queue.finish(999, status="failed", now=T0)


def test_cancel_pending_but_not_running_or_finished(queue: SqlJobQueueRepository,
                                                    workflow_id: int) -> None:
    p = queue.enqueue(job(workflow_id, "p"))
    r = queue.enqueue(job(workflow_id, "r", priority=5))
    assert p is not None and r is not None
    running = claim(queue)
    assert running is not None and running.id == r.id
    cancelled = queue.cancel(p.id, now=T0, reason="cancelled by the user")
    assert cancelled.status == "cancelled" and cancelled.outcome_reason == "cancelled by the user"
    assert claim(queue) is None  # a cancelled job is never run
    with pytest.raises(UserError, match=f"job {r.id} is running: cancel it in the worker pool"):
        queue.cancel(r.id, now=T0, reason="x")
    with pytest.raises(UserError, match="only a pending or retrying job"):
        queue.cancel(p.id, now=T0, reason="again")
    with pytest.raises(NotFoundError):
        queue.cancel(12345, now=T0, reason="x")


@pytest.mark.parametrize("final", ["failed", "cancelled", "timed_out"])
def test_retry_puts_a_failed_cancelled_or_timed_out_job_back(
        queue: SqlJobQueueRepository, workflow_id: int, final: str) -> None:
    queue.enqueue(job(workflow_id, "a"))
    running = claim(queue)
    assert running is not None
    queue.finish(running.id, status=final, now=T0, error="boom")  # type: ignore[arg-type]
    later = T0 + timedelta(minutes=5)
    back = queue.retry(running.id, now=later)
    assert back.status == "pending" and back.scheduled_at == later
    assert back.idempotency_key == "a"  # same key: orders already placed are found again
    assert back.completed_at is None and back.error_message is None
    assert back.outcome_reason == f"retried by hand (was {final})"
    again = claim(queue, later)
    assert again is not None and again.id == running.id and again.attempt == 2


def test_retry_refuses_other_states(queue: SqlJobQueueRepository, workflow_id: int) -> None:
    queued = queue.enqueue(job(workflow_id, "a"))
    assert queued is not None
    with pytest.raises(UserError, match="is pending: only a failed, cancelled or timed-out"):
        queue.retry(queued.id, now=T0)
    running = claim(queue)
    assert running is not None
    queue.finish(running.id, status="completed", now=T0)
    with pytest.raises(UserError, match="is completed"):
        queue.retry(running.id, now=T0)


def test_recorded_only_rows_are_finished_and_never_claimed(queue: SqlJobQueueRepository,
                                                           workflow_id: int) -> None:
    missed = queue.enqueue(job(workflow_id, "m", status="missed",
                               outcome_reason="missed: machine was asleep"))
    assert missed is not None and missed.completed_at == T0 and missed.status == "missed"
    assert claim(queue) is None and queue.next_due() is None


def test_status_counts_today(queue: SqlJobQueueRepository, workflow_id: int) -> None:
    day = T0.replace(hour=0)
    yesterday = day - timedelta(hours=2)
    old = queue.enqueue(job(workflow_id, "old", at=yesterday))
    assert old is not None
    c = claim(queue, yesterday)
    assert c is not None
    queue.finish(c.id, status="completed", now=yesterday + timedelta(seconds=1))
    # today: two completed (waits 1 s and 3 s, durations 2 s and 4 s), one failed,
    # one timed out, one rejected, one retrying, one running, two pending
    specs = [("c1", 1, 2, "completed"), ("c2", 3, 4, "completed"), ("f1", 0, 1, "failed"),
             ("t1", 0, 1, "timed_out"), ("x1", 0, 0, "rejected")]
    base = T0 - timedelta(minutes=30)
    for key, wait, duration, final in specs:
        queue.enqueue(job(workflow_id, key, at=base))
        got = claim(queue, base + timedelta(seconds=wait))
        assert got is not None and got.idempotency_key == key
        queue.finish(got.id, status=final, now=base + timedelta(seconds=wait + duration))  # type: ignore[arg-type]
    queue.enqueue(job(workflow_id, "r1", at=base))
    got = claim(queue, base)
    assert got is not None
    queue.schedule_retry(got.id, at=T0 + timedelta(hours=1), error="e")
    queue.enqueue(job(workflow_id, "run", at=base))
    assert claim(queue, base) is not None
    queue.enqueue(job(workflow_id, "p1", at=T0 + timedelta(hours=2)))
    queue.enqueue(job(workflow_id, "p2", at=T0 + timedelta(hours=2)))
    status = queue.status(now=T0, day_start=day, max_runs_per_day=100)
    assert (status.pending, status.running, status.retrying) == (2, 1, 1)
    assert (status.completed_today, status.failed_today) == (2, 2)
    assert status.runs_today == 6  # c1 c2 f1 t1 r1 run: the rejected one never ran
    assert queue.started_since(user_id=1, since=day) == 6
    # waits: c1 1 s, c2 3 s, f1 0, t1 0, run 0 (r1 waits again, so its due time moved)
    assert status.avg_wait_ms == pytest.approx(4000 / 5, abs=2)
    # durations: c1 2 s, c2 4 s, f1 1 s, t1 1 s
    assert status.avg_duration_ms == pytest.approx(8000 / 4, abs=2)
    assert status.throughput_per_min == pytest.approx(2 / 60)
    assert status.max_runs_per_day == 100
    other_user = queue.status(now=T0, day_start=day, max_runs_per_day=100, user_id=7)
    assert (other_user.pending, other_user.runs_today, other_user.avg_wait_ms) == (0, 0, None)


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
