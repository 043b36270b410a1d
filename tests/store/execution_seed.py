"""Bulk execution history for tests and benchmarks: N executions with their
execution_metrics (and optionally node runs) in one raw executemany transaction, in the same
column formats SQLAlchemy writes (naive UTC "YYYY-MM-DD HH:MM:SS.ffffff")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from agentic_desktop.store.db import Database

T0 = datetime(2025, 1, 1, tzinfo=UTC)
NODE_TYPES = ("market.candles", "indicator.rsi", "condition.compare", "notify.log")


def status_of(i: int) -> str:
    """Deterministic mix: every 10th failed, every 25th (not 10th) timed out."""
    if i % 10 == 0:
        return "failed"
    if i % 25 == 0:
        return "timed_out"
    return "completed"


def trigger_of(i: int) -> str:
    return ("cron", "time", "manual", "webhook")[i % 4]


def _ts(t: datetime) -> str:
    return t.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def seed_executions(db: Database, count: int, *, workflows: Sequence[tuple[int, str]],
                    start: datetime = T0, step: timedelta = timedelta(minutes=5),
                    node_runs_for_last: int = 0, first_id: int = 1,
                    status: Callable[[int], str] = status_of,
                    duration_ms: Callable[[int], float] | None = None) -> None:
    """Executions first_id..first_id+count-1 (the i-th started at start + i*step),
    round-robin over `workflows` ((id, name) pairs that exist). The newest
    `node_runs_for_last` get 4 node runs each. `status` and `duration_ms` (of i) default to
    the patterns the tests assert (status_of, 50 + (i % 37) * 10 ms)."""
    executions, metrics, runs = [], [], []
    for i in range(first_id, first_id + count):
        workflow_id, name = workflows[i % len(workflows)]
        run_status = status(i)
        started = start + step * (i - first_id + 1)
        total_ms = duration_ms(i) if duration_ms is not None else 50.0 + (i % 37) * 10.0
        finished = started + timedelta(milliseconds=total_ms)
        error = "node 'rsi' failed: not enough bars" if run_status == "failed" else None
        executions.append((i, workflow_id, name, trigger_of(i), f"seed:{i}", run_status,
                           _ts(started), _ts(finished), error, "{}"))
        failed = 1 if run_status == "failed" else 0
        metrics.append((i, 4, 4 - failed, failed, total_ms, total_ms / 4, 20.0 + i % 7,
                        _ts(finished)))
        if i >= first_id + count - node_runs_for_last:
            for seq, node_type in enumerate(NODE_TYPES):
                runs.append((i, seq, f"n{seq}", node_type, "succeeded",
                             _ts(started + timedelta(milliseconds=seq * 10)),
                             5.0 + seq * 10.0, "{}"))
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN IMMEDIATE")  # the store's connections autocommit otherwise
        cur.executemany(
            "INSERT INTO executions (id, workflow_id, workflow_name, trigger, idempotency_key,"
            " status, started_at, finished_at, error, payload, user_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)", executions)
        cur.executemany(
            "INSERT INTO execution_metrics (execution_id, total_nodes, successful_nodes,"
            " failed_nodes, total_time_ms, avg_node_time_ms, memory_used_mb, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", metrics)
        cur.executemany(
            "INSERT INTO node_runs (execution_id, seq, node_id, node_type, status, started_at,"
            " duration_ms, output_summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", runs)
        cur.execute("COMMIT")
    finally:
        raw.close()
