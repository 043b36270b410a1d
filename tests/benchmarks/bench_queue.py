"""Durable queue benchmark (issue 3). Prints a table; not a test.

    uv run python tests/benchmarks/bench_queue.py [--jobs 400]

The cycle: enqueue → claim → run a trivial workflow (one node) → complete, in jobs/s, on a
fresh data dir with the store's pragmas (WAL, synchronous=FULL, busy_timeout).

- ours, one at a time: SqlJobQueueRepository + the real Executor writing its execution, node run
  and execution_metrics rows, one job after another (the latency of a cycle).
- ours, WorkerPool: the same jobs enqueued in a burst, run by a 10-worker pool (throughput).
- raw sqlite3, same statements: one sqlite3 connection doing the transactions our cycle does
  (enqueue, claim, the daily-limit count, the workflow read, execution start, execution finish
  with its node run and metrics, job finish), on the same schema, disk and pragmas, measured in
  the same run. This is the anchor of the target (ours ≥ 0.5× raw).
- raw sqlite3, queue only: insert, claim, complete (3 transactions), for comparison with the
  "~4k jobs/s" of DESIGN.md §9; it does not run or record a workflow.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import time
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


class _QuietNotifier:
    async def notify(self, notification: Notification) -> list[str]:
        return []


def _stack(data_dir: Path) -> tuple[Any, ...]:
    db = open_database(data_dir)
    clock, events = SystemClock(), EventBus()
    workflows, queue = SqlWorkflowRepository(db), SqlJobQueueRepository(db)
    edge: Any = object()
    executor = Executor(catalog=kit_registry(), market=edge, broker=edge,
                        notifier=_QuietNotifier(), clock=clock, events=events,
                        executions=SqlExecutionRepository(db))
    wid = workflows.add(chain("t.const")).id
    return db, clock, events, workflows, queue, executor, wid


def _job(wid: int, i: int, now: datetime) -> NewJob:
    return NewJob(workflow_id=wid, scheduled_at=now, created_at=now,
                  idempotency_key=f"bench:{i}")


async def ours_sequential(data_dir: Path, n: int) -> float:
    db, clock, _, workflows, queue, executor, wid = _stack(data_dir)
    t0 = time.perf_counter()
    for i in range(n):
        queue.enqueue(_job(wid, i, clock.now()))
        now = clock.now()
        job = queue.claim(worker="bench", now=now, lease_seconds=30, max_running_per_user=10)
        assert job is not None
        queue.started_since(user_id=1, since=now - timedelta(hours=1))
        stored = workflows.get(job.workflow_id)
        result = await executor.run(stored.workflow, workflow_id=wid,
                                    idempotency_key=job.idempotency_key, payload=job.payload,
                                    trigger=job.trigger_type, timeout=300, job_id=job.id)
        queue.finish(job.id, status="completed", now=clock.now(),
                     execution_id=result.execution_id)
    elapsed = time.perf_counter() - t0
    db.close()
    return n / elapsed


def ours_queue_only(data_dir: Path, n: int) -> float:
    db, clock, _, _, queue, _, wid = _stack(data_dir)
    t0 = time.perf_counter()
    for i in range(n):
        queue.enqueue(_job(wid, i, clock.now()))
        job = queue.claim(worker="bench", now=clock.now(), lease_seconds=30,
                          max_running_per_user=10)
        assert job is not None
        queue.finish(job.id, status="completed", now=clock.now())
    elapsed = time.perf_counter() - t0
    db.close()
    return n / elapsed


async def ours_pool(data_dir: Path, n: int, workers: int = 10) -> float:
    db, clock, events, workflows, queue, executor, wid = _stack(data_dir)
    done = asyncio.Event()
    finished = [0]

    def on_finished(event: Event) -> None:
        finished[0] += 1
        if finished[0] == n:
            done.set()

    events.subscribe(on_finished, JobFinished)
    pool = WorkerPool(queue=queue, schedules=SqlScheduleRepository(db), workflows=workflows,
                      executor=executor, clock=clock, events=events,
                      notifier=_QuietNotifier(), limits=UNLIMITED,
                      user_timezone=lambda: "UTC", workers=workers, poll_seconds=0.05)
    await pool.start()
    t0 = time.perf_counter()
    for i in range(n):
        await asyncio.to_thread(queue.enqueue, _job(wid, i, clock.now()))
        pool.wake()
    await done.wait()
    elapsed = time.perf_counter() - t0
    await pool.stop()
    completed = queue.status(now=clock.now(), day_start=clock.now() - timedelta(days=1),
                             max_runs_per_day=10**9).completed_today
    assert completed == n, completed
    db.close()
    return n / elapsed


def _raw(data_dir: Path) -> sqlite3.Connection:
    db = open_database(data_dir)  # same schema and indexes as ours (migrations)
    db.close()
    con = sqlite3.connect(data_dir / DB_FILENAME, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", f"busy_timeout={BUSY_TIMEOUT_MS}",
                   "synchronous=FULL"):
        con.execute(f"PRAGMA {pragma}")
    return con


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


def _tx(con: sqlite3.Connection, mode: str = "IMMEDIATE") -> None:
    con.execute(f"BEGIN {mode}")


def raw_equivalent(data_dir: Path, n: int) -> float:
    con = _raw(data_dir)
    con.execute("BEGIN IMMEDIATE")
    wid = con.execute("INSERT INTO workflows (name, json, created_at, updated_at) VALUES "
                      "('w', ?, ?, ?)", (json.dumps(chain("t.const").to_json()),
                                         _ts(datetime.now(UTC)), _ts(datetime.now(UTC)))
                      ).lastrowid
    con.execute("COMMIT")
    t0 = time.perf_counter()
    for i in range(n):
        now = _ts(datetime.now(UTC))
        _tx(con)
        con.execute(_ENQUEUE, (wid, now, now, f"bench:{i}")).fetchall()
        con.execute("COMMIT")
        now_dt = datetime.now(UTC)
        now = _ts(now_dt)
        _tx(con)
        job = con.execute(_CLAIM, (now, "bench", _ts(now_dt + timedelta(seconds=30)), now,
                                   10)).fetchone()
        con.execute("COMMIT")
        _tx(con, "DEFERRED")
        con.execute("SELECT count(*) FROM job_queue WHERE user_id = 1 AND started_at >= ? "
                    "AND status != 'rejected'", (_ts(now_dt - timedelta(hours=1)),)).fetchone()
        con.execute("COMMIT")
        _tx(con, "DEFERRED")
        con.execute("SELECT * FROM workflows WHERE id = ?", (wid,)).fetchone()
        con.execute("COMMIT")
        _tx(con)
        eid = con.execute(
            "INSERT INTO executions (workflow_id, workflow_name, job_id, trigger, "
            "idempotency_key, status, started_at, payload, user_id) VALUES "
            "(?, 'w', ?, 'manual', ?, 'running', ?, '{}', 1)", (wid, job[0], job[19], now)
        ).lastrowid
        con.execute("COMMIT")
        end = _ts(datetime.now(UTC))
        _tx(con)
        con.execute("UPDATE executions SET status = 'completed', finished_at = ?, error = NULL, "
                    "failed_node = NULL WHERE id = ?", (end, eid))
        con.execute("DELETE FROM node_runs WHERE execution_id = ?", (eid,))
        con.execute("DELETE FROM execution_metrics WHERE execution_id = ?", (eid,))
        con.execute("INSERT INTO node_runs (execution_id, seq, node_id, node_type, status, "
                    "started_at, duration_ms, output_summary, error, skip_reason) VALUES "
                    "(?, 0, 'n0', 't.const', 'succeeded', ?, 0.01, '{\"value\":1.0}', NULL, "
                    "NULL)", (eid, now))
        con.execute("INSERT INTO execution_metrics (execution_id, total_nodes, "
                    "successful_nodes, failed_nodes, total_time_ms, avg_node_time_ms, "
                    "memory_used_mb, created_at) VALUES (?, 1, 1, 0, 0.1, 0.01, 0, ?)",
                    (eid, end))
        con.execute("COMMIT")
        _tx(con)
        con.execute(_FINISH, (end, eid, job[0])).fetchall()
        con.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    assert con.execute("SELECT count(*) FROM job_queue WHERE status = 'completed'"
                       ).fetchone()[0] == n
    con.close()
    return n / elapsed


def raw_queue_only(data_dir: Path, n: int) -> float:
    con = _raw(data_dir)
    con.execute("BEGIN IMMEDIATE")
    wid = con.execute("INSERT INTO workflows (name, json, created_at, updated_at) VALUES "
                      "('w', '{}', '2025-01-01', '2025-01-01')").lastrowid
    con.execute("COMMIT")
    t0 = time.perf_counter()
    for i in range(n):
        now_dt = datetime.now(UTC)
        now = _ts(now_dt)
        _tx(con)
        con.execute(_ENQUEUE, (wid, now, now, f"bench:{i}")).fetchall()
        con.execute("COMMIT")
        _tx(con)
        job = con.execute(_CLAIM, (now, "bench", _ts(now_dt + timedelta(seconds=30)), now,
                                   10)).fetchone()
        con.execute("COMMIT")
        _tx(con)
        con.execute(_FINISH, (now, None, job[0])).fetchall()
        con.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    con.close()
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3, help="best of N rounds each")
    args = parser.parse_args()
    n = args.jobs
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(dir=ROOT.parent if ROOT.parent.exists() else None) as tmp:
        base = Path(tmp)
        # Interleaved rounds, so a disk that slows down mid-run hurts every variant alike.
        for r in range(args.rounds):
            for name, run in [
                ("raw sqlite3, same statements", lambda d: raw_equivalent(d, n)),
                ("ours, one at a time", lambda d: asyncio.run(ours_sequential(d, n))),
                ("ours, WorkerPool (10 workers)", lambda d: asyncio.run(ours_pool(d, n))),
                ("raw sqlite3, queue only (3 tx)", lambda d: raw_queue_only(d, n)),
                ("ours, queue only (3 tx)", lambda d: ours_queue_only(d, n)),
            ]:
                d = base / f"run{sum(map(len, results.values()))}"
                results.setdefault(name, []).append(run(d))
    anchors = {"raw sqlite3, same statements": "raw sqlite3, same statements",
               "ours, one at a time": "raw sqlite3, same statements",
               "ours, WorkerPool (10 workers)": "raw sqlite3, same statements",
               "raw sqlite3, queue only (3 tx)": "raw sqlite3, queue only (3 tx)",
               "ours, queue only (3 tx)": "raw sqlite3, queue only (3 tx)"}
    print(f"Durable queue cycle, {n} jobs, best of {args.rounds} (WAL, synchronous=FULL)")
    print(f"{'variant':34} {'jobs/s':>9} {'ms/job':>8} {'× raw':>7}")
    for name, values in results.items():
        best = max(values)
        raw = max(results[anchors[name]])
        print(f"{name:34} {best:9.0f} {1000 / best:8.2f} {best / raw:7.2f}")
    print("target: ours ≥ 0.5× raw sqlite3 doing the same statements (the row above it)")


if __name__ == "__main__":
    main()
