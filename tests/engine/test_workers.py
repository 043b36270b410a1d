"""The worker pool over the real SQLite queue and a real Executor (DESIGN.md §6): outcomes,
retries and their gaps, cancel, recovery, shutdown. Limits are in test_workers_limits.py.

A FakeClock drives every time the pool writes (scheduled_at, started_at, leases), so retry gaps
are asserted exactly; the runs themselves use real asyncio time (the test nodes sleep for real).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text

from agentic_desktop.domain.jobs import Limits, QueuedJob
from agentic_desktop.domain.nodespec import NodeSpec, ParamSpec, PortSpec
from agentic_desktop.domain.trading import Notification
from agentic_desktop.domain.workflow import Node, Workflow
from agentic_desktop.engine.clock import FakeClock
from agentic_desktop.engine.events import Event, EventBus, JobFinished, JobStarted, RunStarted
from agentic_desktop.engine.executor import Executor
from agentic_desktop.engine.ports import NewJob, NewSchedule
from agentic_desktop.engine.workers import WorkerPool
from agentic_desktop.nodes.registry import NodeRegistry, node
from agentic_desktop.store import Database, open_database
from agentic_desktop.store.job_repositories import RELEASED_REASON, SqlJobQueueRepository
from agentic_desktop.store.repositories import SqlExecutionRepository, SqlWorkflowRepository
from agentic_desktop.store.schedule_repositories import SqlScheduleRepository
from tests.engine.graph_kit import chain, kit_registry

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)  # a Monday; London is on GMT
MB = 1_048_576


@node(NodeSpec(type_id="t.memhog", version=1, category="Notifications", title="Memory hog",
               outputs=(PortSpec(name="out", type="number"),),
               params=(ParamSpec(name="mb", kind="float", default=100.0, minimum=0),
                       ParamSpec(name="hold", kind="float", default=2.0, minimum=0))))
async def memhog(ctx: Any) -> dict[str, Any]:
    block = b"\x01" * int(ctx.params["mb"] * MB)  # written, so the pages are really resident
    await asyncio.sleep(ctx.params["hold"])
    return {"out": float(len(block))}


def registry() -> NodeRegistry:
    reg = kit_registry()
    reg.add(memhog)
    return reg


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[Notification] = []

    async def notify(self, notification: Notification) -> list[str]:
        self.sent.append(notification)
        return []


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


class Env:
    def __init__(self, data_dir: Path) -> None:
        self.db: Database = open_database(data_dir)
        self.clock = FakeClock(T0)
        self.events = EventBus()
        self.seen: list[Event] = []
        self.events.subscribe(self.seen.append)
        self.notifier = RecordingNotifier()
        self.workflows = SqlWorkflowRepository(self.db)
        self.executions = SqlExecutionRepository(self.db)
        self.queue = SqlJobQueueRepository(self.db)
        self.schedules = SqlScheduleRepository(self.db)
        edge: Any = object()  # the test nodes never touch the market or the broker
        self.executor = Executor(catalog=registry(), market=edge, broker=edge,
                                 notifier=self.notifier, clock=self.clock, events=self.events,
                                 executions=self.executions)
        self.pools: list[WorkerPool] = []
        self._keys = 0

    def workflow(self, *types: str, name: str | None = None,
                 params: dict[str, dict[str, Any]] | None = None) -> int:
        w = chain(*types, params=params) if "t.memhog" not in types else Workflow(
            name="m", nodes=tuple(Node(id=f"n{i}", type=t, params=(params or {}).get(f"n{i}", {}))
                                  for i, t in enumerate(types)), edges=())
        w = Workflow(name=name or f"w{len(self.workflows.list())}", nodes=w.nodes, edges=w.edges)
        return self.workflows.add(w).id

    def enqueue(self, workflow_id: int, **kw: Any) -> QueuedJob:
        self._keys += 1
        now = self.clock.now()
        kw.setdefault("scheduled_at", now)
        job = self.queue.enqueue(NewJob(workflow_id=workflow_id, created_at=now,
                                        idempotency_key=f"test:{self._keys}", **kw))
        assert job is not None
        return job

    def pool(self, **kw: Any) -> WorkerPool:
        kw.setdefault("limits", Limits())
        kw.setdefault("poll_seconds", 0.02)
        pool = WorkerPool(queue=kw.pop("queue", self.queue), schedules=self.schedules,
                          workflows=self.workflows, executor=self.executor, clock=self.clock,
                          events=self.events, notifier=self.notifier,
                          user_timezone=kw.pop("user_timezone", lambda: "Europe/London"), **kw)
        self.pools.append(pool)
        return pool

    def status_of(self, job_id: int) -> str:
        return self.queue.get(job_id).status

    def events_of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.seen if isinstance(e, kind)]

    def metrics_rows(self, job_id: int) -> int:
        with self.db.read() as s:
            return int(s.execute(text(
                "select count(*) from execution_metrics m join executions e "
                "on e.id = m.execution_id where e.job_id = :j"), {"j": job_id}).scalar_one())


@asynccontextmanager
async def open_env(data_dir: Path) -> AsyncIterator[Env]:
    e = Env(data_dir)
    try:
        yield e
    finally:
        for pool in e.pools:
            await pool.stop(grace_seconds=0.5)
        e.db.close()


@pytest_asyncio.fixture
async def env(data_dir: Path) -> AsyncIterator[Env]:
    async with open_env(data_dir) as e:
        yield e


@pytest.mark.asyncio
async def test_a_job_runs_to_completed_with_events_and_metrics(env: Env) -> None:
    wid = env.workflow("t.const", "t.add", params={"n0": {"value": 2.0}})
    job = env.enqueue(wid, payload={"price": 1.1}, trigger_type="webhook")
    pool = env.pool()
    await pool.start()
    await until(lambda: env.status_of(job.id) == "completed")
    done = env.queue.get(job.id)
    assert done.attempt == 1 and done.retry_count == 0 and done.lease_expires_at is None
    assert done.execution_id is not None
    run = env.executions.get(done.execution_id)
    assert run.status == "completed" and run.idempotency_key == job.idempotency_key
    assert run.payload == {"price": 1.1} and run.trigger == "webhook"
    assert env.metrics_rows(job.id) == 1
    assert [e.job_id for e in env.events_of(JobStarted)] == [job.id]
    finished = env.events_of(JobFinished)
    assert [(e.job_id, e.status, e.execution_id) for e in finished] == [
        (job.id, "completed", done.execution_id)]
    assert pool.running_jobs() == []


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["retryable", "bug"])
async def test_transient_failures_retry_after_1_5_15_seconds_then_fail(env: Env,
                                                                       kind: str) -> None:
    wid = env.workflow("t.fail", params={"n0": {"kind": kind}})
    job = env.enqueue(wid)
    pool = env.pool()
    await pool.start()
    due_times = []
    for retry in range(1, 4):
        await until(lambda r=retry: env.queue.get(job.id).retry_count == r  # type: ignore[misc]
                    and env.status_of(job.id) == "retrying")
        waiting = env.queue.get(job.id)
        due_times.append(waiting.scheduled_at)
        await asyncio.sleep(0.1)  # not due yet on the (fake) clock: it is not claimed early
        assert env.status_of(job.id) == "retrying"
        env.clock.advance((waiting.scheduled_at - env.clock.now()).total_seconds())
        pool.wake()
    await until(lambda: env.status_of(job.id) == "failed")
    gaps = [(b - a).total_seconds() for a, b in zip([T0, *due_times], due_times, strict=False)]
    assert gaps == [1.0, 5.0, 15.0]
    final = env.queue.get(job.id)
    assert (final.attempt, final.retry_count) == (4, 3)
    assert final.outcome_reason == "gave up after 3 retries"
    assert final.error_message is not None
    assert ("broker unreachable" if kind == "retryable" else "ZeroDivisionError") in (
        final.error_message)
    assert env.metrics_rows(job.id) == 4  # one execution (and metrics row) per attempt
    statuses = [e.status for e in env.events_of(JobFinished)]
    assert statuses == ["retrying", "retrying", "retrying", "failed"]


@pytest.mark.asyncio
async def test_a_user_error_is_not_retried(env: Env) -> None:
    job = env.enqueue(env.workflow("t.fail", params={"n0": {"kind": "user"}}))
    await env.pool().start()
    await until(lambda: env.status_of(job.id) == "failed")
    await asyncio.sleep(0.1)
    final = env.queue.get(job.id)
    assert (final.attempt, final.retry_count, final.status) == (1, 0, "failed")
    assert "param 'x' is wrong" in (final.error_message or "")
    assert final.outcome_reason == "not retried: the workflow needs a fix (user error)"


@pytest.mark.asyncio
async def test_an_invalid_workflow_fails_before_starting_and_names_the_problem(env: Env) -> None:
    bad = Workflow(name="bad", nodes=(Node(id="x", type="t.nope"),), edges=())
    wid = env.workflows.add(bad).id
    job = env.enqueue(wid)
    await env.pool().start()
    await until(lambda: env.status_of(job.id) == "failed")
    final = env.queue.get(job.id)
    assert final.retry_count == 0 and final.attempt == 1
    assert "is invalid: node 'x'" in (final.error_message or "")
    assert "t.nope" in (final.error_message or "")
    assert env.metrics_rows(job.id) == 0  # it never started


@pytest.mark.asyncio
async def test_a_deleted_workflow_fails_with_a_clear_reason(env: Env) -> None:
    wid = env.workflow("t.const")
    job = env.enqueue(wid)
    env.workflows.delete(wid)
    await env.pool().start()
    await until(lambda: env.status_of(job.id) == "failed")
    final = env.queue.get(job.id)
    assert final.error_message == (f"workflow {wid} no longer exists (deleted after the job was "
                                   "queued): nothing to run")
    assert final.retry_count == 0


@pytest.mark.asyncio
async def test_cancel_a_running_job_and_a_pending_one(env: Env) -> None:
    slow = env.workflow("t.sleep", params={"n0": {"seconds": 30.0}})
    running = env.enqueue(slow, priority=5)
    waiting = env.enqueue(slow, scheduled_at=T0 + timedelta(hours=1))
    pool = env.pool()
    await pool.start()
    await until(lambda: any(e.job_id == running.id for e in env.events_of(RunStarted)))
    assert pool.cancel_running(running.id)
    assert not pool.cancel_running(running.id)  # already asked
    assert not pool.cancel_running(waiting.id)  # not running here
    await until(lambda: env.status_of(running.id) == "cancelled")
    cancelled = env.queue.get(running.id)
    assert cancelled.outcome_reason == "cancelled by the user" and cancelled.retry_count == 0
    assert cancelled.execution_id is not None
    assert env.executions.get(cancelled.execution_id).status == "cancelled"
    env.queue.cancel(waiting.id, now=env.clock.now(), reason="cancelled by the user")
    env.clock.advance(7200)
    pool.wake()
    await asyncio.sleep(0.2)
    assert env.status_of(waiting.id) == "cancelled"  # never run, never retried
    assert env.status_of(running.id) == "cancelled"
    assert pool.running_jobs() == []


@pytest.mark.asyncio
async def test_retry_by_hand_reruns_with_the_same_key(env: Env) -> None:
    wid = env.workflow("t.orderid")
    job = env.enqueue(wid)
    await env.pool().start()
    await until(lambda: env.status_of(job.id) == "completed")
    first = env.queue.get(job.id)
    env.queue.finish(job.id, status="timed_out", now=env.clock.now())  # as if it had timed out
    env.queue.retry(job.id, now=env.clock.now())
    env.pools[0].wake()
    await until(lambda: env.queue.get(job.id).attempt == 2
                and env.status_of(job.id) == "completed")
    second = env.queue.get(job.id)
    assert first.execution_id is not None and second.execution_id is not None
    ids = [env.executions.get(e).node_runs[0].output_summary["id"]
           for e in (first.execution_id, second.execution_id)]
    assert ids[0] == ids[1]  # same client order id: the broker finds the first order


@pytest.mark.asyncio
async def test_expired_leases_are_recovered_at_start(env: Env) -> None:
    job = env.enqueue(env.workflow("t.const"))
    dead = env.queue.claim(worker="crashed", now=T0, lease_seconds=30, max_running_per_user=10)
    assert dead is not None and dead.id == job.id
    env.clock.advance(31)
    await env.pool().start()
    await until(lambda: env.status_of(job.id) == "completed")
    assert env.queue.get(job.id).attempt == 2


@pytest.mark.asyncio
async def test_a_lease_left_by_a_quick_restart_is_recovered_while_running(env: Env) -> None:
    job = env.enqueue(env.workflow("t.const"))
    assert env.queue.claim(worker="crashed", now=T0, lease_seconds=30,
                           max_running_per_user=10) is not None
    pool = env.pool(lease_seconds=0.3)
    await pool.start()  # the old lease has not expired yet: nothing to recover
    assert env.status_of(job.id) == "running"
    env.clock.advance(31)  # later, while this pool runs
    await until(lambda: env.status_of(job.id) == "completed")


@pytest.mark.asyncio
async def test_stop_lets_short_jobs_finish_and_releases_long_ones(env: Env) -> None:
    quick = env.enqueue(env.workflow("t.sleep", params={"n0": {"seconds": 0.2}}))
    slow_wid = env.workflow("t.sleep", params={"n0": {"seconds": 30.0}})
    slow = env.enqueue(slow_wid)
    pool = env.pool()
    await pool.start()
    await until(lambda: len(pool.running_jobs()) == 2)
    t0 = time.monotonic()
    await pool.stop(grace_seconds=1.0)
    assert time.monotonic() - t0 < 5
    assert env.status_of(quick.id) == "completed"
    released = env.queue.get(slow.id)
    assert released.status == "pending" and released.worker is None
    assert released.outcome_reason == RELEASED_REASON and released.attempt == 1
    # the next start runs it again (made quick here so the test ends)
    env.workflows.update(slow_wid, Workflow(name="quick now", nodes=(
        Node(id="n0", type="t.const"),), edges=()))
    await env.pool().start()
    await until(lambda: env.status_of(slow.id) == "completed")
    assert env.queue.get(slow.id).attempt == 2


@pytest.mark.asyncio
async def test_wake_claims_at_once_even_from_another_thread(env: Env) -> None:
    wid = env.workflow("t.const")
    pool = env.pool(poll_seconds=60.0)
    await pool.start()
    await asyncio.sleep(0.05)  # the dispatcher is now waiting on its 60 s poll
    job = env.enqueue(wid)
    t0 = time.monotonic()
    pool.wake()
    await until(lambda: env.status_of(job.id) == "completed", timeout=5)
    second = env.enqueue(wid)
    threading.Thread(target=pool.wake).start()
    await until(lambda: env.status_of(second.id) == "completed", timeout=5)
    assert time.monotonic() - t0 < 5


class FlakyQueue(SqlJobQueueRepository):
    """Claims fail twice, as a broken disk would."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.failures = 2

    def claim(self, **kw: Any) -> QueuedJob | None:  # type: ignore[override]
        if self.failures:
            self.failures -= 1
            raise OSError("disk I/O error")
        return super().claim(**kw)


@pytest.mark.asyncio
async def test_an_error_while_claiming_does_not_stop_the_pool(env: Env) -> None:
    job = env.enqueue(env.workflow("t.const"))
    flaky = FlakyQueue(env.db)
    await env.pool(queue=flaky).start()
    await until(lambda: env.status_of(job.id) == "completed")
    assert flaky.failures == 0


@pytest.mark.asyncio
async def test_final_outcomes_count_once_on_the_schedule(env: Env) -> None:
    wid = env.workflow("t.fail", params={"n0": {"kind": "retryable"}})
    sched = env.schedules.add(NewSchedule(workflow_id=wid, trigger_type="manual",
                                          trigger_config={}, created_at=T0))
    job = env.enqueue(wid, scheduled_job_id=sched.id, max_retries=2)
    pool = env.pool()
    await pool.start()
    for retry in (1, 2):  # a failing run is quick: wait on the count, not on the state
        await until(lambda r=retry: env.queue.get(job.id).retry_count == r  # type: ignore[misc]
                    and env.status_of(job.id) == "retrying")
        env.clock.advance(15)
        pool.wake()
    await until(lambda: env.schedules.get(sched.id).run_count == 1)
    assert env.status_of(job.id) == "failed"
    await asyncio.sleep(0.1)
    after = env.schedules.get(sched.id)
    assert (after.consecutive_failures, after.run_count, after.last_status) == (1, 1, "failed")
