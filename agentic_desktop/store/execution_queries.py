"""History queries over executions and execution_metrics (the history view, its charts and
CSV export): light rows and aggregates in SQLAlchemy Core, one short read each.

Pages are keyset-paged on the execution id (ids grow in start order), so page 500 costs what
page 1 costs. Aggregates are bounded (the newest N executions, or the last N days) so a
long history never makes a chart slow.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, func, literal_column, select
from sqlalchemy.orm import Session

from agentic_desktop.domain.runs import ExecutionStatus
from agentic_desktop.engine.ports import (
    DailyOutcomes,
    DurationPoint,
    ExecutionFilter,
    ExecutionSummary,
    NodeTypeTime,
)
from agentic_desktop.store.job_tables import JobQueueRow
from agentic_desktop.store.tables import ExecutionMetricsRow, ExecutionRow, NodeRunRow

E = cast(Table, ExecutionRow.__table__)
M = cast(Table, ExecutionMetricsRow.__table__)
N = cast(Table, NodeRunRow.__table__)
Q = cast(Table, JobQueueRow.__table__)
ERROR_CHARS = 300  # the table shows one line; the detail pane reads the whole error


def conditions(f: ExecutionFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.workflow_id is not None:
        where.append(E.c.workflow_id == f.workflow_id)
    if f.status is not None:
        where.append(E.c.status == f.status)
    if f.trigger is not None:
        where.append(E.c.trigger == f.trigger)
    if f.schedule_id is not None:
        where.append(E.c.job_id.in_(select(Q.c.id).where(Q.c.scheduled_job_id == f.schedule_id)))
    if f.started_from is not None:
        where.append(E.c.started_at >= f.started_from)
    if f.started_before is not None:
        where.append(E.c.started_at < f.started_before)
    return where


def count(s: Session, f: ExecutionFilter) -> int:
    query = select(func.count()).select_from(E).where(*conditions(f))
    return int(s.execute(query).scalar_one())


def page(s: Session, f: ExecutionFilter, *, limit: int,
         before_id: int | None) -> list[ExecutionSummary]:
    where = conditions(f)
    if before_id is not None:
        where.append(E.c.id < before_id)
    query: Select[Any] = (
        select(E.c.id, E.c.workflow_id, E.c.workflow_name, E.c.trigger, E.c.status,
               E.c.started_at, E.c.finished_at, func.substr(E.c.error, 1, ERROR_CHARS),
               E.c.job_id, M.c.total_nodes, M.c.successful_nodes, M.c.failed_nodes,
               M.c.total_time_ms, M.c.memory_used_mb)
        .select_from(E.outerjoin(M, M.c.execution_id == E.c.id))
        .where(*where).order_by(E.c.id.desc()).limit(max(limit, 0))
    )
    return [
        ExecutionSummary(
            execution_id=r[0], workflow_id=r[1], workflow_name=r[2], trigger=r[3],
            status=cast(ExecutionStatus, r[4]), started_at=r[5], finished_at=r[6],
            error=r[7], job_id=r[8], total_nodes=r[9] or 0, successful_nodes=r[10] or 0,
            failed_nodes=r[11] or 0, total_time_ms=r[12], memory_used_mb=r[13],
        )
        for r in s.execute(query).all()
    ]


def duration_series(s: Session, f: ExecutionFilter, *, limit: int) -> list[DurationPoint]:
    query = (
        select(E.c.id, E.c.started_at, M.c.total_time_ms, E.c.status)
        .select_from(E.join(M, M.c.execution_id == E.c.id))
        .where(*conditions(f)).order_by(E.c.id.desc()).limit(max(limit, 0))
    )
    points = [DurationPoint(execution_id=r[0], started_at=r[1], total_time_ms=r[2],
                            status=cast(ExecutionStatus, r[3]))
              for r in s.execute(query).all()]
    points.reverse()
    return points


def daily_outcomes(s: Session, f: ExecutionFilter, *, days: int,
                   utc_offset_minutes: int) -> list[DailyOutcomes]:
    where = conditions(f)
    if f.started_from is None:
        # Bound the scan to the last `days` days before the newest matching execution.
        newest = s.execute(select(func.max(E.c.started_at)).where(*where)).scalar_one()
        if newest is None:
            return []
        where.append(E.c.started_at >= newest - timedelta(days=days + 1))
    shift = f"{int(utc_offset_minutes):+d} minutes"
    day = func.date(E.c.started_at, shift).label("day")
    query = (
        select(day, func.count(),
               func.sum(literal_column("CASE WHEN executions.status = 'completed' "
                                       "THEN 1 ELSE 0 END")),
               func.sum(literal_column("CASE WHEN executions.status IN "
                                       "('failed', 'timed_out') THEN 1 ELSE 0 END")))
        .where(and_(*where) if where else literal_column("1"))
        .group_by(day).order_by(day.desc()).limit(max(days, 0))
    )
    rows = [DailyOutcomes(day=str(r[0]), total=int(r[1]), completed=int(r[2] or 0),
                          failed=int(r[3] or 0)) for r in s.execute(query).all()]
    rows.reverse()
    return rows


def time_per_node_type(s: Session, f: ExecutionFilter, *, last: int) -> list[NodeTypeTime]:
    newest = (select(E.c.id).where(*conditions(f)).order_by(E.c.id.desc())
              .limit(max(last, 0)))
    avg = func.avg(N.c.duration_ms)
    query = (
        select(N.c.node_type, func.count(), func.sum(N.c.duration_ms), avg)
        .where(N.c.execution_id.in_(newest), N.c.status.in_(("succeeded", "failed")))
        .group_by(N.c.node_type).order_by(avg.desc())
    )
    return [NodeTypeTime(node_type=r[0], runs=int(r[1]), total_ms=float(r[2] or 0.0),
                         avg_ms=float(r[3] or 0.0)) for r in s.execute(query).all()]
