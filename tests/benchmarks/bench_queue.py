"""Durable queue benchmark (issue 3). Prints a table; not a test.

    uv run python tests/benchmarks/bench_queue.py [--jobs 400] [--rounds 3]

The cycle: enqueue → claim → run a trivial workflow (one node) → complete, in jobs/s, on fresh
data dirs with the store's pragmas (WAL, synchronous=FULL, busy_timeout 5 s), in the same run
on the same disk. This disk's fsync time drifts by 5× within seconds, so the two sides are
INTERLEAVED JOB BY JOB (raw, ours, ours, raw, …, each with its own database file) and the
ratio is taken on their summed times: a slow patch of the disk hits both alike. Each round uses
fresh data dirs; the table shows the median of the rounds.

What each side does per job (both: 5 fsync'd write transactions + 2 reads):

- ours, one at a time: the real components, called as the WorkerPool calls them, one job
  after another (the latency of a cycle):
    1. SqlJobQueueRepository.enqueue  — write tx: INSERT … ON CONFLICT DO NOTHING RETURNING *
    2. .claim                         — write tx: UPDATE … WHERE id = (best due job) RETURNING *
    3. .started_since                 — read: SELECT count(*) (the daily limit)
    4. SqlWorkflowRepository.get      — read (ORM) + parse into a Workflow
    5. Executor.run                   — validates and runs the one-node graph; through
       SqlExecutionRepository, in a worker thread each: start = write tx: INSERT executions
       RETURNING id; finish = write tx: UPDATE executions, DELETE node_runs/metrics (a repeated
       finish replaces them), INSERT node_runs (executemany), INSERT execution_metrics
    6. SqlJobQueueRepository.finish   — write tx: UPDATE … RETURNING *
  and turns every row into a domain value (QueuedJob, StoredWorkflow, ExecutionResult).
- raw sqlite3, same statements: one sqlite3 connection running the same 7 transactions with
  the same SQL (hand-written, positional parameters), reading the rows but building nothing;
  the node run and metrics values are constants. This is the anchor of the target (≥ 0.5×).
- ours, WorkerPool (10 workers): the same jobs enqueued in a burst and run by a 10-worker pool
  (throughput, not interleaved: its ratio is against the raw figure of the same round).
- queue only (3 write tx: enqueue, claim, finish; no workflow), interleaved the same way, for
  DESIGN.md §9's "~4k jobs/s".

No transactions are merged on either side: the executor records its execution (start, finish)
and the worker records the job (claim, finish), each in its own transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agentic_desktop.domain.jobs import Limits  # noqa: E402
from agentic_desktop.domain.trading import Notification  # noqa: E402
from agentic_desktop.engine.clock import SystemClock  # noqa: E402
from agentic_desktop.engine.events import Event, EventBus, JobFinished  # noqa: E402
from agentic_desktop.engine.executor import Executor  # noqa: E402
from agentic_desktop.engine.ports import NewJob  # noqa: E402
from agentic_desktop.engine.workers import WorkerPool  # noqa: E402
from agentic_desktop.store.db import BUSY_TIMEOUT_MS, DB_FILENAME, open_database  # noqa: E402
from agentic_desktop.store.job_repositories import SqlJobQueueRepository  # noqa: E402
from agentic_desktop.store.repositories import (  # noqa: E402
    SqlExecutionRepository,
    SqlWorkflowRepository,
)
from agentic_desktop.store.schedule_repositories import SqlScheduleRepository  # noqa: E402
from tests.engine.graph_kit import chain, kit_registry  # noqa: E402

UNLIMITED = Limits(max_runs_per_day=10**9)
Cycle = Callable[[int], Awaitable[None]]


class _QuietNotifier:
    async def notify(self, notification: Notification) -> list[str]:
        return []


# -- ours -----------------------------------------------------------------------------------


class Ours:
    def __init__(self, data_dir: Path) -> None:
        self.db = open_database(data_dir)
        self.clock, self.events = SystemClock(), EventBus()
        self.workflows = SqlWorkflowRepository(self.db)
        self.queue = SqlJobQueueRepository(self.db)
        edge: Any = object()
        self.executor = Executor(catalog=kit_registry(), market=edge, broker=edge,
                                 notifier=_QuietNotifier(), clock=self.clock,
                                 events=self.events, executions=SqlExecutionRepository(self.db))
        self.wid = self.workflows.add(chain("t.const")).id

    def job(self, i: int) -> NewJob:
        now = self.clock.now()
        return NewJob(workflow_id=self.wid, scheduled_at=now, created_at=now,
                      idempotency_key=f"bench:{i}")

    async def cycle(self, i: int) -> None:
        queue, clock = self.queue, self.clock
        queue.enqueue(self.job(i))
        now = clock.now()
        job = queue.claim(worker="bench", now=now, lease_seconds=30, max_running_per_user=10)
        assert job is not None
        queue.started_since(user_id=1, since=now - timedelta(hours=1))
        stored = self.workflows.get(job.workflow_id)
        result = await self.executor.run(
            stored.workflow, workflow_id=job.workflow_id, idempotency_key=job.idempotency_key,
            payload=job.payload, trigger=job.trigger_type, timeout=300, job_id=job.id)
        assert result.status == "completed"
        queue.finish(job.id, status="completed", now=clock.now(),
                     execution_id=result.execution_id)

    async def queue_only(self, i: int) -> None:
        self.queue.enqueue(self.job(i))
        job = self.queue.claim(worker="bench", now=self.clock.now(), lease_seconds=30,
                               max_running_per_user=10)
        assert job is not None
        self.queue.finish(job.id, status="completed", now=self.clock.now())

    def completed(self) -> int:
        now = self.clock.now()
        return self.queue.status(now=now, day_start=now - timedelta(days=1),
                                 max_runs_per_day=10**9).completed_today

    def close(self) -> None:
        self.db.close()


async def ours_pool(data_dir: Path, n: int, workers: int = 10) -> float:
    ours = Ours(data_dir)
    done = asyncio.Event()
    finished = [0]

    def on_finished(event: Event) -> None:
        finished[0] += 1
        if finished[0] == n:
            done.set()

    ours.events.subscribe(on_finished, JobFinished)
    pool = WorkerPool(queue=ours.queue, schedules=SqlScheduleRepository(ours.db),
                      workflows=ours.workflows, executor=ours.executor, clock=ours.clock,
                      events=ours.events, notifier=_QuietNotifier(), limits=UNLIMITED,
                      user_timezone=lambda: "UTC", workers=workers, poll_seconds=0.05)
    await pool.start()
    t0 = time.perf_counter()
    for i in range(n):
        await asyncio.to_thread(ours.queue.enqueue, ours.job(i))
        pool.wake()
    await done.wait()
    elapsed = time.perf_counter() - t0
    await pool.stop()
    assert ours.completed() == n, ours.completed()
    ours.close()
    return n / elapsed


# -- raw sqlite3 ----------------------------------------------------------------------------


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


_CLAIM = """UPDATE job_queue SET status = 'running', started_at = ?, attempt = attempt + 1,
worker = ?, lease_expires_at = ? WHERE id = (SELECT q.id FROM job_queue AS q
WHERE q.status IN ('pending', 'retrying') AND q.scheduled_at <= ? AND q.user_id NOT IN
(SELECT r.user_id FROM job_queue AS r WHERE r.status = 'running' GROUP BY r.user_id
HAVING count(*) >= ?) ORDER BY q.priority DESC, q.scheduled_at, q.id LIMIT 1) RETURNING *"""
_ENQUEUE = """INSERT INTO job_queue (workflow_id, user_id, status, priority, retry_count,
scheduled_at, created_at, attempt, max_retries, trigger_type, payload, idempotency_key)
VALUES (?, 1, 'pending', 0, 0, ?, ?, 0, 3, 'manual', '{}', ?) ON CONFLICT DO NOTHING
RETURNING *"""
_FINISH = """UPDATE job_queue SET status = 'completed', completed_at = ?, error_message = NULL,
outcome_reason = NULL, lease_expires_at = NULL, execution_id = ? WHERE id = ? RETURNING *"""
_STARTED_SINCE = """SELECT count(*) FROM job_queue WHERE user_id = 1 AND started_at >= ?
AND status != 'rejected'"""
_START_EXECUTION = """INSERT INTO executions (workflow_id, workflow_name, job_id, trigger,
idempotency_key, status, started_at, payload, user_id)
VALUES (?, 'w', ?, 'manual', ?, 'running', ?, '{}', 1) RETURNING id"""
_FINISH_EXECUTION = """UPDATE executions SET status = 'completed', finished_at = ?,
error = NULL, failed_node = NULL WHERE id = ? RETURNING id"""
_NODE_RUN = """INSERT INTO node_runs (execution_id, seq, node_id, node_type, status, started_at,
duration_ms, output_summary, error, skip_reason)
VALUES (?, 0, 'n0', 't.const', 'succeeded', ?, 0.01, '{"value":1.0}', NULL, NULL)"""
_METRICS = """INSERT INTO execution_metrics (execution_id, total_nodes, successful_nodes,
failed_nodes, total_time_ms, avg_node_time_ms, memory_used_mb, created_at)
VALUES (?, 1, 1, 0, 0.1, 0.01, 0, ?)"""


class Raw:
    def __init__(self, data_dir: Path) -> None:
        open_database(data_dir).close()  # same schema and indexes as ours (migrations)
        con = sqlite3.connect(data_dir / DB_FILENAME, isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON",
                       f"busy_timeout={BUSY_TIMEOUT_MS}", "synchronous=FULL"):
            con.execute(f"PRAGMA {pragma}")
        self.con = con
        now = _ts(datetime.now(UTC))
        with self._tx():
            self.wid = con.execute(
                "INSERT INTO workflows (name, json, created_at, updated_at) VALUES "
                "('w', ?, ?, ?)", (json.dumps(chain("t.const").to_json()), now, now)).lastrowid

    @contextmanager
    def _tx(self, mode: str = "IMMEDIATE") -> Iterator[None]:
        self.con.execute(f"BEGIN {mode}")
        yield
        self.con.execute("COMMIT")

    async def cycle(self, i: int) -> None:
        con = self.con
        now = _ts(datetime.now(UTC))
        with self._tx():
            con.execute(_ENQUEUE, (self.wid, now, now, f"bench:{i}")).fetchall()
        now_dt = datetime.now(UTC)
        now = _ts(now_dt)
        with self._tx():
            job = con.execute(_CLAIM, (now, "bench", _ts(now_dt + timedelta(seconds=30)), now,
                                       10)).fetchall()[0]
        with self._tx("DEFERRED"):
            con.execute(_STARTED_SINCE, (_ts(now_dt - timedelta(hours=1)),)).fetchall()
        with self._tx("DEFERRED"):
            con.execute("SELECT * FROM workflows WHERE id = ?", (self.wid,)).fetchall()
        with self._tx():
            eid = con.execute(_START_EXECUTION, (self.wid, job[0], job[19], now)
                              ).fetchall()[0][0]
        end = _ts(datetime.now(UTC))
        with self._tx():
            con.execute(_FINISH_EXECUTION, (end, eid)).fetchall()
            con.execute("DELETE FROM node_runs WHERE execution_id = ?", (eid,))
            con.execute("DELETE FROM execution_metrics WHERE execution_id = ?", (eid,))
            con.execute(_NODE_RUN, (eid, now))
            con.execute(_METRICS, (eid, end))
        with self._tx():
            con.execute(_FINISH, (end, eid, job[0])).fetchall()

    async def queue_only(self, i: int) -> None:
        con = self.con
        now_dt = datetime.now(UTC)
        now = _ts(now_dt)
        with self._tx():
            con.execute(_ENQUEUE, (self.wid, now, now, f"bench:{i}")).fetchall()
        with self._tx():
            job = con.execute(_CLAIM, (now, "bench", _ts(now_dt + timedelta(seconds=30)), now,
                                       10)).fetchall()[0]
        with self._tx():
            con.execute(_FINISH, (now, None, job[0])).fetchall()

    def completed(self) -> int:
        return int(self.con.execute(
            "SELECT count(*) FROM job_queue WHERE status = 'completed'").fetchone()[0])

    def close(self) -> None:
        self.con.close()


# -- the run ----------------------------------------------------------------------------------


async def interleaved(base: Path, n: int, which: str) -> tuple[float, float]:
    """jobs/s of (raw, ours), one job each in turn, alternating who goes first."""
    raw, ours = Raw(base / "raw"), Ours(base / "ours")
    sides: list[tuple[Cycle, list[float]]] = [
        (getattr(raw, which), [0.0]), (getattr(ours, which), [0.0])]
    for warm in range(3):  # first statements, first pages
        for run, _ in sides:
            await run(-1 - warm)
    for i in range(n):
        for run, total in (sides if i % 2 == 0 else sides[::-1]):
            t0 = time.perf_counter()
            await run(i)
            total[0] += time.perf_counter() - t0
    assert raw.completed() == ours.completed() == n + 3
    raw.close()
    ours.close()
    return n / sides[0][1][0], n / sides[1][1][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n = args.jobs
    cols: dict[str, list[float]] = {}
    ratios: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(dir=ROOT.parent if ROOT.parent.exists() else None) as tmp:
        for r in range(args.rounds):
            base = Path(tmp) / f"round{r}"
            raw, ours = asyncio.run(interleaved(base / "cycle", n, "cycle"))
            pool = asyncio.run(ours_pool(base / "pool", n))
            raw_q, ours_q = asyncio.run(interleaved(base / "queue", n, "queue_only"))
            for name, value, anchor in [
                ("raw sqlite3, same statements", raw, raw),
                ("ours, one at a time", ours, raw),
                ("ours, WorkerPool (10 workers)*", pool, raw),
                ("raw sqlite3, queue only (3 tx)", raw_q, raw_q),
                ("ours, queue only (3 tx)", ours_q, raw_q),
            ]:
                cols.setdefault(name, []).append(value)
                ratios.setdefault(name, []).append(value / anchor)
    print(f"Durable queue cycle, {n} jobs, median of {args.rounds} rounds "
          "(WAL, synchronous=FULL; raw and ours interleaved job by job)")
    print(f"{'variant':34} {'jobs/s':>9} {'ms/job':>8} {'× raw':>7}  ratio per round")
    for name, values in cols.items():
        med = statistics.median(values)
        per_round = " ".join(f"{x:.2f}" for x in ratios[name])
        print(f"{name:34} {med:9.0f} {1000 / med:8.2f} {statistics.median(ratios[name]):7.2f}"
              f"  {per_round}")
    print("target: ours ≥ 0.5× raw sqlite3 doing the same statements (the first row)")
    print("* not interleaved: against the raw figure of the same round")


if __name__ == "__main__":
    main()
