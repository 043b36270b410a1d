"""SQLite implementations of the engine's persistence ports (engine/ports.py).

Each public method is one short transaction; rows are converted to domain values before the
session closes, so nothing ORM-shaped leaks out of the store.
"""

from __future__ import annotations

import builtins
import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.runs import (
    ExecutionMetrics,
    ExecutionResult,
    ExecutionStatus,
    NodeRun,
    NodeStatus,
)
from agentic_desktop.domain.trading import Candles
from agentic_desktop.domain.workflow import Workflow, from_json
from agentic_desktop.engine.ports import (
    CandleRow,
    DailyOutcomes,
    DurationPoint,
    ExecutionFilter,
    ExecutionSummary,
    NodeTypeTime,
    StoredWorkflow,
)
from agentic_desktop.store import compiled as fast
from agentic_desktop.store import execution_queries as queries
from agentic_desktop.store.compiled import Compiled, ts
from agentic_desktop.store.db import Database
from agentic_desktop.store.tables import (
    CandleBar,
    ExecutionMetricsRow,
    ExecutionRow,
    NodeRunRow,
    WorkflowRow,
)


def _now() -> datetime:
    return datetime.now(UTC)


# -- workflows --------------------------------------------------------------------------


class SqlWorkflowRepository:
    """Workflows stored as their version-1 JSON; names are unique."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def list(self) -> list[StoredWorkflow]:
        with self._db.read() as s:
            rows = s.scalars(select(WorkflowRow).order_by(WorkflowRow.id)).all()
            return [_stored(r) for r in rows]

    def get(self, workflow_id: int) -> StoredWorkflow:
        # Every queued job reads its workflow: the compiled fast path keeps that cheap.
        with fast.read(self._db.engine) as con:
            rows = fast.run(con, _GET_WORKFLOW, {"id": workflow_id})
        if not rows:
            raise _workflow_not_found(workflow_id)
        wid, text, created, updated = rows[0]
        workflow = from_json(json.loads(text), source=f"stored workflow {wid}")
        return StoredWorkflow(id=wid, workflow=workflow.with_id(wid),
                              created_at=fast.utc(created), updated_at=fast.utc(updated))

    def find_by_name(self, name: str) -> StoredWorkflow | None:
        with self._db.read() as s:
            row = s.scalars(select(WorkflowRow).where(WorkflowRow.name == name)).first()
            return None if row is None else _stored(row)

    def add(self, workflow: Workflow) -> StoredWorkflow:
        now = _now()
        try:
            with self._db.write() as s:
                row = WorkflowRow(name=workflow.name, json=_workflow_text(workflow),
                                  created_at=now, updated_at=now)
                s.add(row)
                s.flush()
                return _stored(row)
        except IntegrityError:
            # The UNIQUE constraint decides, so two concurrent imports cannot both win.
            raise self._duplicate(workflow.name, None) from None

    def update(self, workflow_id: int, workflow: Workflow) -> StoredWorkflow:
        try:
            with self._db.write() as s:
                row = s.get(WorkflowRow, workflow_id)
                if row is None:
                    raise _workflow_not_found(workflow_id)
                row.name = workflow.name
                row.json = _workflow_text(workflow)
                row.updated_at = _now()
                s.flush()
                return _stored(row)
        except IntegrityError:
            raise self._duplicate(workflow.name, workflow_id) from None

    def delete(self, workflow_id: int) -> None:
        with self._db.write() as s:
            row = s.get(WorkflowRow, workflow_id)
            if row is None:
                raise _workflow_not_found(workflow_id)
            s.delete(row)

    def _duplicate(self, name: str, updating: int | None) -> UserError:
        existing = self.find_by_name(name)
        other = f" (workflow {existing.id})" if existing is not None else ""
        fix = (f"choose another name or update workflow {existing.id} instead"
               if existing is not None and updating is None else "choose another name")
        return UserError(f"a workflow named {name!r} already exists{other}: {fix}")


def _workflow_not_found(workflow_id: int) -> NotFoundError:
    return NotFoundError(
        f"workflow {workflow_id} does not exist: see `agentic-desktop workflows list`"
    )


def _workflow_text(workflow: Workflow) -> str:
    return json.dumps(workflow.to_json(), separators=(",", ":"))


_GET_WORKFLOW = Compiled(
    select(WorkflowRow.id, WorkflowRow.json, WorkflowRow.created_at, WorkflowRow.updated_at)
    .where(WorkflowRow.id == bindparam("id")))


def _stored(row: WorkflowRow) -> StoredWorkflow:
    workflow = from_json(json.loads(row.json), source=f"stored workflow {row.id}")
    return StoredWorkflow(id=row.id, workflow=workflow.with_id(row.id),
                          created_at=row.created_at, updated_at=row.updated_at)


# -- executions -------------------------------------------------------------------------


class SqlExecutionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def start(
        self, *, workflow_id: int | None, workflow_name: str, trigger: str,
        idempotency_key: str, payload: dict[str, Any], started_at: datetime,
        job_id: int | None = None,
    ) -> int:
        params = {"workflow_id": workflow_id, "workflow_name": workflow_name,
                  "job_id": job_id, "trigger": trigger, "idempotency_key": idempotency_key,
                  "started_at": ts(started_at), "payload": _dumps(payload)}
        with fast.write(self._db.engine) as con:
            return int(fast.run(con, _START_EXECUTION, params)[0][0])

    def finish(self, execution_id: int, result: ExecutionResult) -> None:
        """One transaction: the execution's status, its node runs (replaced, not appended,
        so a repeated finish never duplicates them; one executemany) and its metrics."""
        key = {"b_execution_id": execution_id}
        m = result.metrics
        finished = ts(result.finished_at)
        runs = [{"execution_id": execution_id, "seq": i, "node_id": r.node_id,
                 "node_type": r.node_type, "status": r.status, "started_at": ts(r.started_at),
                 "duration_ms": r.duration_ms, "output_summary": _dumps(r.output_summary),
                 "error": r.error, "skip_reason": r.skip_reason}
                for i, r in enumerate(result.node_runs)]
        with fast.write(self._db.engine) as con:
            updated = fast.run(con, _FINISH_EXECUTION, {
                **key, "b_status": result.status, "b_finished_at": finished,
                "b_error": result.error, "b_failed_node": result.failed_node})
            if not updated:
                raise _execution_not_found(execution_id)
            fast.run(con, _DELETE_NODE_RUNS, key)
            fast.run(con, _DELETE_METRICS, key)
            if runs:
                fast.run_many(con, _INSERT_NODE_RUN, runs)
            fast.run(con, _INSERT_METRICS, {
                "execution_id": execution_id, "total_nodes": m.total_nodes,
                "successful_nodes": m.successful_nodes, "failed_nodes": m.failed_nodes,
                "total_time_ms": m.total_time_ms, "avg_node_time_ms": m.avg_node_time_ms,
                "memory_used_mb": m.memory_used_mb, "created_at": finished})

    def get(self, execution_id: int) -> ExecutionResult:
        with self._db.read() as s:
            row = s.get(ExecutionRow, execution_id)
            if row is None:
                raise _execution_not_found(execution_id)
            return self._results(s, [row])[0]

    def list(
        self, *, workflow_id: int | None = None, status: ExecutionStatus | None = None,
        limit: int = 100, offset: int = 0,
    ) -> list[ExecutionResult]:
        query = select(ExecutionRow).order_by(ExecutionRow.id.desc()).limit(limit).offset(offset)
        if workflow_id is not None:
            query = query.where(ExecutionRow.workflow_id == workflow_id)
        if status is not None:
            query = query.where(ExecutionRow.status == status)
        with self._db.read() as s:
            return self._results(s, builtins.list(s.scalars(query).all()))

    # -- history queries (store/execution_queries.py) -------------------------------------

    def count(self, filters: ExecutionFilter) -> int:
        with self._db.read() as s:
            return queries.count(s, filters)

    def page(self, filters: ExecutionFilter, *, limit: int,
             before_id: int | None = None) -> builtins.list[ExecutionSummary]:
        with self._db.read() as s:
            return queries.page(s, filters, limit=limit, before_id=before_id)

    def duration_series(self, filters: ExecutionFilter, *, limit: int = 2000
                        ) -> builtins.list[DurationPoint]:
        with self._db.read() as s:
            return queries.duration_series(s, filters, limit=limit)

    def daily_outcomes(self, filters: ExecutionFilter, *, days: int = 30,
                       utc_offset_minutes: int = 0) -> builtins.list[DailyOutcomes]:
        with self._db.read() as s:
            return queries.daily_outcomes(s, filters, days=days,
                                          utc_offset_minutes=utc_offset_minutes)

    def time_per_node_type(self, filters: ExecutionFilter, *, last: int = 2000
                           ) -> builtins.list[NodeTypeTime]:
        with self._db.read() as s:
            return queries.time_per_node_type(s, filters, last=last)

    @staticmethod
    def _results(s: Session, rows: builtins.list[ExecutionRow]
                 ) -> builtins.list[ExecutionResult]:
        # Two batched queries instead of two per execution (the monitor lists 100 at a time).
        ids = [r.id for r in rows]
        runs: dict[int, list[NodeRun]] = {i: [] for i in ids}
        for n in s.scalars(select(NodeRunRow).where(NodeRunRow.execution_id.in_(ids))
                           .order_by(NodeRunRow.execution_id, NodeRunRow.seq)):
            runs[n.execution_id].append(NodeRun(
                node_id=n.node_id, node_type=n.node_type, status=cast(NodeStatus, n.status),
                started_at=n.started_at, duration_ms=n.duration_ms,
                output_summary=json.loads(n.output_summary), error=n.error,
                skip_reason=n.skip_reason,
            ))
        metrics = {m.execution_id: m for m in s.scalars(
            select(ExecutionMetricsRow).where(ExecutionMetricsRow.execution_id.in_(ids)))}
        return [_result(r, tuple(runs[r.id]), metrics.get(r.id)) for r in rows]


def _result(row: ExecutionRow, runs: tuple[NodeRun, ...],
            m: ExecutionMetricsRow | None) -> ExecutionResult:
    """A still-running execution reads as finished_at == started_at with zero metrics."""
    metrics = ExecutionMetrics(
        total_nodes=m.total_nodes if m else 0,
        successful_nodes=m.successful_nodes if m else 0,
        failed_nodes=m.failed_nodes if m else 0,
        total_time_ms=m.total_time_ms if m else 0.0,
        avg_node_time_ms=m.avg_node_time_ms if m else 0.0,
        memory_used_mb=m.memory_used_mb if m else 0.0,
    )
    return ExecutionResult(
        execution_id=row.id, workflow_id=row.workflow_id, workflow_name=row.workflow_name,
        status=cast(ExecutionStatus, row.status), started_at=row.started_at,
        finished_at=row.finished_at or row.started_at, node_runs=runs, metrics=metrics,
        idempotency_key=row.idempotency_key, trigger=row.trigger,
        payload=json.loads(row.payload), error=row.error, failed_node=row.failed_node,
    )


def _execution_not_found(execution_id: int) -> NotFoundError:
    return NotFoundError(f"execution {execution_id} does not exist: check the execution id")


def _dumps(value: Any) -> str:
    # default=str: a stray datetime or Decimal in a summary must not fail the whole run record.
    return json.dumps(value, default=str, separators=(",", ":"))


# -- execution start/finish: Core statements compiled once (store/compiled.py) ----------

def _insert(table: Table, columns: Sequence[str], **fixed: Any) -> Compiled:
    values: dict[str, Any] = {c: bindparam(c) for c in columns}
    values.update(fixed)
    return Compiled(insert(table).values(values))


_E = cast(Table, ExecutionRow.__table__)
_N = cast(Table, NodeRunRow.__table__)
_M = cast(Table, ExecutionMetricsRow.__table__)
_START_EXECUTION = Compiled(
    insert(_E).values({**{c: bindparam(c) for c in (
        "workflow_id", "workflow_name", "job_id", "trigger", "idempotency_key", "started_at",
        "payload")}, "status": "running", "user_id": 1}).returning(_E.c.id))
_FINISH_EXECUTION = Compiled(
    update(_E).where(_E.c.id == bindparam("b_execution_id"))
    .values(status=bindparam("b_status"), finished_at=bindparam("b_finished_at"),
            error=bindparam("b_error"), failed_node=bindparam("b_failed_node"))
    .returning(_E.c.id))
_DELETE_NODE_RUNS = Compiled(delete(_N).where(_N.c.execution_id == bindparam("b_execution_id")))
_DELETE_METRICS = Compiled(delete(_M).where(_M.c.execution_id == bindparam("b_execution_id")))
_INSERT_NODE_RUN = _insert(_N, ("execution_id", "seq", "node_id", "node_type", "status",
                                "started_at", "duration_ms", "output_summary", "error",
                                "skip_reason"))
_INSERT_METRICS = _insert(_M, ("execution_id", "total_nodes", "successful_nodes",
                               "failed_nodes", "total_time_ms", "avg_node_time_ms",
                               "memory_used_mb", "created_at"))


# -- candles ----------------------------------------------------------------------------


class SqlCandleRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def import_rows(self, symbol: str, timeframe: str, rows: Sequence[CandleRow]) -> int:
        if not rows:
            return 0
        values = [
            {"symbol": symbol, "timeframe": timeframe, "time": int(r.time), "open": r.open,
             "high": r.high, "low": r.low, "close": r.close, "volume": r.volume}
            for r in rows
        ]
        stmt = sqlite_insert(CandleBar).prefix_with("OR REPLACE")
        try:
            with self._db.write() as s:
                s.execute(stmt, values)
        except IntegrityError as exc:
            # The database refused a row (NaN stored as NULL, high < low, ...): the whole
            # transaction rolled back. Name the first offending bar so the user can fix it.
            raise UserError(
                f"candle import for {symbol} {timeframe} refused {_first_bad(rows)}; "
                "nothing was written: fix that bar and import again"
            ) from exc
        return len(values)

    def load(self, symbol: str, timeframe: str, count: int,
             end_time: int | None = None) -> Candles | None:
        c = CandleBar
        query = (select(c.time, c.open, c.high, c.low, c.close, c.volume)
                 .where(c.symbol == symbol, c.timeframe == timeframe)
                 .order_by(c.time.desc()).limit(max(count, 0)))
        if end_time is not None:
            query = query.where(c.time <= end_time)
        with self._db.read() as s:
            rows = builtins.list(s.execute(query).all())
            if not rows and not self._exists(s, symbol, timeframe):
                return None
        rows.reverse()
        if rows:
            data = np.array(rows, dtype=np.float64)
            times = np.array([r[0] for r in rows], dtype=np.int64)  # exact, not via float
        else:
            data = np.empty((0, 6), dtype=np.float64)
            times = np.empty(0, dtype=np.int64)
        return Candles(
            symbol=symbol, timeframe=timeframe, time=times,
            open=np.ascontiguousarray(data[:, 1]), high=np.ascontiguousarray(data[:, 2]),
            low=np.ascontiguousarray(data[:, 3]), close=np.ascontiguousarray(data[:, 4]),
            volume=np.ascontiguousarray(data[:, 5]),
        )

    def available(self) -> builtins.list[tuple[str, str, int]]:
        c = CandleBar
        query = (select(c.symbol, c.timeframe, func.count())
                 .group_by(c.symbol, c.timeframe).order_by(c.symbol, c.timeframe))
        with self._db.read() as s:
            return [(sym, tf, int(n)) for sym, tf, n in s.execute(query).all()]

    @staticmethod
    def _exists(s: Session, symbol: str, timeframe: str) -> bool:
        c = CandleBar
        found = s.execute(select(c.time).where(c.symbol == symbol, c.timeframe == timeframe)
                          .limit(1)).first()
        return found is not None


def _first_bad(rows: Sequence[CandleRow]) -> str:
    for i, r in enumerate(rows):
        prices = (r.open, r.high, r.low, r.close, r.volume)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in prices):
            return f"bar {i} (time {r.time}): every price and the volume must be a number"
        if r.high < r.low:
            return f"bar {i} (time {r.time}): high {r.high} is below low {r.low}"
        if r.volume < 0:
            return f"bar {i} (time {r.time}): volume {r.volume} is negative"
    return "a bar"
