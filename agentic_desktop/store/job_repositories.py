"""SQLite implementation of the durable job queue (engine.ports.JobQueueRepository,
DESIGN.md §6). The schedule repository is in store/schedule_repositories.py.

Every public method is one short transaction. Writes go through `Database.write()`, which
begins with `BEGIN IMMEDIATE`: the write lock is taken up front, so concurrent claimers queue on
busy_timeout instead of failing with SQLITE_BUSY, and a claim's SELECT and UPDATE see the same
state. The connection runs with synchronous=FULL, so a committed state change survives a power
cut.

The queue cycle's statements (enqueue, claim, heartbeat, finish, release, started_since) are
SQLAlchemy Core on the mapped tables, compiled once and run on the pooled DBAPI connection
(store/compiled.py): the cycle is benchmarked against raw sqlite3 doing the same statements.
The rest (cancel, retry, lists, status) goes through `Database.read()/write()` sessions.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    RowMapping,
    String,
    Table,
    bindparam,
    func,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.jobs import RETRYABLE_STATUSES, JobStatus, QueuedJob, QueueStatus
from agentic_desktop.engine.ports import (
    LEASE_EXPIRED_REASON,
    RELEASED_REASON,
    NewJob,
    ScheduleAdvance,
)
from agentic_desktop.store import compiled as fast
from agentic_desktop.store.compiled import Compiled, dt, ts, utc
from agentic_desktop.store.db import Database
from agentic_desktop.store.job_tables import JobQueueRow, ScheduledJobRow
from agentic_desktop.store.tables import UTCDateTime

Q = cast(Table, JobQueueRow.__table__)
S = cast(Table, ScheduledJobRow.__table__)
CLAIMABLE = ("pending", "retrying")
TERMINAL_ON_INSERT = frozenset({"missed", "rejected", "completed", "failed", "cancelled",
                                "timed_out"})
__all__ = ["LEASE_EXPIRED_REASON", "RELEASED_REASON", "SqlJobQueueRepository"]


class SqlJobQueueRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._engine = db.engine

    # -- writing --------------------------------------------------------------------------

    def enqueue(self, job: NewJob, *, advance: ScheduleAdvance | None = None,
                dedupe_window_seconds: float | None = None) -> QueuedJob | None:
        """Insert the job and apply `advance` in one transaction.

        Dedupe is decided by the UNIQUE constraints, never by a check-then-insert:
        `INSERT … ON CONFLICT DO NOTHING RETURNING` returns no row when (scheduled_job_id,
        nominal_fire_utc) or the idempotency key already exists. With a dedupe window, a row
        holding the same key but created before the window is renamed first
        (`<key>:expired:<id>`), so an old delivery never blocks a new one.
        """
        with fast.write(self._engine) as con:
            if dedupe_window_seconds is not None:
                cutoff = job.created_at - timedelta(seconds=dedupe_window_seconds)
                fast.run(con, _EXPIRE_KEY, {"b_key": job.idempotency_key,
                                            "b_cutoff": ts(cutoff)})
            return _enqueue_one(con, job, advance)

    def enqueue_many(self, items: Sequence[tuple[NewJob, ScheduleAdvance | None]]
                     ) -> builtins.list[QueuedJob | None]:
        """Every item as `enqueue` would (without a dedupe window), in ONE transaction: a
        scheduler pass of 1,000 fires costs one fsync, not 1,000.

        Three statements whatever the batch size: the advances (executemany), the inserts
        (executemany, ON CONFLICT DO NOTHING) and one SELECT of the rows this transaction
        added (ids above the largest id before it: we hold the write lock, and SQLite gives
        a new row max(id) + 1). A key inserted twice in one batch goes to its first item."""
        if not items:
            return []
        advances = [_advance_params(a) for _, a in items if a is not None]
        rows = [_job_params(job) for job, _ in items]
        with fast.write(self._engine) as con:
            if advances:
                fast.run_many(con, _ADVANCE, advances)
            last = fast.run(con, _LAST_ID, {})[0][0] or 0
            fast.run_many(con, _INSERT, rows)
            added = dict((key, id_) for id_, key in fast.run(con, _ADDED_SINCE,
                                                              {"b_after": last}))
        return [None if (id_ := added.pop(job.idempotency_key, None)) is None
                else _queued(id_, job, row) for (job, _), row in zip(items, rows, strict=True)]

    def claim(self, *, worker: str, now: datetime, lease_seconds: float,
              max_running_per_user: int) -> QueuedJob | None:
        """One BEGIN IMMEDIATE transaction, one statement: UPDATE … WHERE id = (the best due
        job whose user runs fewer than the limit) RETURNING *."""
        params = {"b_now": ts(now), "b_worker": worker, "b_max_running": max_running_per_user,
                  "b_lease_until": ts(now + timedelta(seconds=lease_seconds))}
        with fast.write(self._engine) as con:
            rows = fast.run(con, _CLAIM, params)
        return _job_of(rows[0]) if rows else None

    def heartbeat(self, job_id: int, *, worker: str, lease_until: datetime) -> bool:
        """Extend the lease; False when the job is no longer running under this worker."""
        params = {"b_job_id": job_id, "b_worker": worker, "b_lease_until": ts(lease_until)}
        with fast.write(self._engine) as con:
            return bool(fast.run(con, _HEARTBEAT, params))

    def finish(self, job_id: int, *, status: JobStatus, now: datetime,
               error: str | None = None, execution_id: int | None = None,
               outcome_reason: str | None = None) -> QueuedJob:
        params = {"b_job_id": job_id, "b_status": status, "b_now": ts(now), "b_error": error,
                  "b_execution_id": execution_id, "b_outcome_reason": outcome_reason}
        with fast.write(self._engine) as con:
            rows = fast.run(con, _FINISH, params)
        if not rows:
            raise _job_not_found(job_id)
        return _job_of(rows[0])

    def release(self, job_id: int, *, worker: str) -> QueuedJob:
        """Back to pending at shutdown, only if `worker` still runs it; attempt and
        scheduled_at are kept (the next claim counts the new run; the job keeps its place)."""
        with fast.write(self._engine) as con:
            rows = fast.run(con, _RELEASE, {"b_job_id": job_id, "b_worker": worker})
        return _job_of(rows[0]) if rows else self.get(job_id)

    def schedule_retry(self, job_id: int, *, at: datetime, error: str,
                       execution_id: int | None = None) -> QueuedJob:
        values: dict[str, Any] = {
            "status": "retrying", "retry_count": Q.c.retry_count + 1, "scheduled_at": at,
            "error_message": error, "lease_expires_at": None, "completed_at": None,
            "outcome_reason": ("retry " + sql_cast(Q.c.retry_count + 1, String)
                               + " of " + sql_cast(Q.c.max_retries, String)
                               + " after a retryable failure"),
        }
        if execution_id is not None:
            values["execution_id"] = execution_id
        return self._update_one(job_id, values)

    def cancel(self, job_id: int, *, now: datetime, reason: str) -> QueuedJob:
        """Cancel a pending or retrying job. A running job is cancelled through the worker
        pool (it owns the run); any other state raises UserError naming it."""
        stmt = (update(Q).where(Q.c.id == job_id, Q.c.status.in_(CLAIMABLE))
                .values(status="cancelled", completed_at=now, outcome_reason=reason,
                        lease_expires_at=None)
                .returning(Q))
        with self._db.write() as s:
            row = s.execute(stmt).mappings().first()
            if row is not None:
                return _job(row)
            current = _status_of(s, job_id)
        hint = (": cancel it in the worker pool (it is running)" if current == "running"
                else ": only a pending or retrying job can be cancelled")
        raise UserError(f"job {job_id} is {current}{hint}")

    def retry(self, job_id: int, *, now: datetime) -> QueuedJob:
        """Put a failed, cancelled or timed-out job back to pending, due now, with the same
        idempotency key (orders it already placed are found, not placed again). retry_count
        is kept: a job that used its automatic retries gets this one run, not three more."""
        stmt = (update(Q).where(Q.c.id == job_id, Q.c.status.in_(sorted(RETRYABLE_STATUSES)))
                .values(status="pending", scheduled_at=now, completed_at=None,
                        error_message=None, lease_expires_at=None, worker=None,
                        outcome_reason="retried by hand (was " + Q.c.status + ")")
                .returning(Q))
        with self._db.write() as s:
            row = s.execute(stmt).mappings().first()
            if row is not None:
                return _job(row)
            current = _status_of(s, job_id)
        raise UserError(f"job {job_id} is {current}: only a failed, cancelled or timed-out job "
                        "can be retried")

    def recover_expired(self, *, now: datetime) -> list[QueuedJob]:
        """Running jobs whose lease ran out go back to pending (at-least-once delivery; the
        idempotency key makes the re-run find its orders). attempt is kept (the next claim
        counts the new run) and scheduled_at too, so the job keeps its place in the line."""
        stmt = (update(Q).where(Q.c.status == "running", Q.c.lease_expires_at < now)
                .values(status="pending", lease_expires_at=None, worker=None,
                        outcome_reason=LEASE_EXPIRED_REASON)
                .returning(Q))
        with self._db.write() as s:
            rows = s.execute(stmt).mappings().all()
            return sorted((_job(r) for r in rows), key=lambda j: j.id)

    # -- reading --------------------------------------------------------------------------

    def get(self, job_id: int) -> QueuedJob:
        with self._db.read() as s:
            row = s.execute(select(Q).where(Q.c.id == job_id)).mappings().first()
            if row is None:
                raise _job_not_found(job_id)
            return _job(row)

    def list(self, *, statuses: Sequence[str] | None = None, workflow_id: int | None = None,
             scheduled_job_id: int | None = None, limit: int = 100,
             offset: int = 0) -> builtins.list[QueuedJob]:
        """Newest first (the history view)."""
        query = select(Q).order_by(Q.c.id.desc()).limit(limit).offset(offset)
        if statuses is not None:
            query = query.where(Q.c.status.in_(builtins.list(statuses)))
        if workflow_id is not None:
            query = query.where(Q.c.workflow_id == workflow_id)
        if scheduled_job_id is not None:
            query = query.where(Q.c.scheduled_job_id == scheduled_job_id)
        with self._db.read() as s:
            return [_job(r) for r in s.execute(query).mappings().all()]

    def started_since(self, *, user_id: int, since: datetime) -> int:
        """Runs started at or after `since`. A job rejected by the daily limit never ran, so
        it does not count (claim stamps started_at before the limit is checked)."""
        with fast.read(self._engine) as con:
            rows = fast.run(con, _STARTED_SINCE, {"b_user_id": user_id, "b_since": ts(since)})
        return int(rows[0][0])

    def status(self, *, now: datetime, day_start: datetime, max_runs_per_day: int,
               user_id: int = 1) -> QueueStatus:
        with self._db.read() as s:
            row = s.execute(_STATUS_SQL, {"day": day_start, "hour": now - timedelta(hours=1),
                                          "user": user_id}).one()
        pending, running, retrying, completed, failed, runs, wait, duration, last_hour = row
        return QueueStatus(
            pending=int(pending or 0), running=int(running or 0), retrying=int(retrying or 0),
            completed_today=int(completed or 0), failed_today=int(failed or 0),
            runs_today=int(runs or 0), max_runs_per_day=max_runs_per_day,
            avg_wait_ms=None if wait is None else float(wait),
            avg_duration_ms=None if duration is None else float(duration),
            throughput_per_min=int(last_hour or 0) / 60.0,
        )

    def next_due(self) -> datetime | None:
        query = select(func.min(Q.c.scheduled_at)).where(Q.c.status.in_(CLAIMABLE))
        with self._db.read() as s:
            return cast(datetime | None, s.execute(query).scalar_one())

    # -- helpers --------------------------------------------------------------------------

    def _update_one(self, job_id: int, values: dict[str, Any]) -> QueuedJob:
        with self._db.write() as s:
            row = s.execute(update(Q).where(Q.c.id == job_id).values(values)
                            .returning(Q)).mappings().first()
            if row is None:
                raise _job_not_found(job_id)
            return _job(row)


# -- statements compiled once (store/compiled.py) ------------------------------------------

_JOB_COLUMNS = tuple(c.name for c in Q.columns)
_INSERTED = tuple(c for c in _JOB_COLUMNS if c not in ("id", "started_at", "error_message",
                                                       "lease_expires_at", "worker",
                                                       "execution_id"))
_CLAIMABLE_SQL: builtins.list[Any] = [literal_column(f"'{status}'") for status in CLAIMABLE]


_INSERT = Compiled(sqlite_insert(Q).values({c: bindparam(c) for c in _INSERTED})
                   .on_conflict_do_nothing())
_ENQUEUE = Compiled(sqlite_insert(Q).values({c: bindparam(c) for c in _INSERTED})
                    .on_conflict_do_nothing().returning(Q.c.id))
_LAST_ID = Compiled(select(func.max(Q.c.id)))
_ADDED_SINCE = Compiled(select(Q.c.id, Q.c.idempotency_key)
                        .where(Q.c.id > bindparam("b_after")).order_by(Q.c.id))
_EXPIRE_KEY = Compiled(
    update(Q).where(Q.c.idempotency_key == bindparam("b_key"),
                    Q.c.created_at < bindparam("b_cutoff"))
    .values(idempotency_key=Q.c.idempotency_key + ":expired:" + sql_cast(Q.c.id, String)))
# last_run NULL in the advance leaves the column alone.
_ADVANCE = Compiled(
    update(S).where(S.c.id == bindparam("b_schedule_id"))
    .values(next_run=bindparam("b_next_run"),
            last_run=func.coalesce(bindparam("b_last_run"), S.c.last_run)))


def _claimCompiled() -> Any:
    q, r = Q.alias("q"), Q.alias("r")
    # Uncorrelated, so SQLite evaluates it once (on the claim index, status = 'running')
    # instead of once per candidate over the user's whole history.
    users_at_limit = (select(r.c.user_id).where(r.c.status == "running")
                      .group_by(r.c.user_id)
                      .having(func.count() >= bindparam("b_max_running")))
    best = (select(q.c.id)
            .where(q.c.status.in_(_CLAIMABLE_SQL), q.c.scheduled_at <= bindparam("b_now"),
                   q.c.user_id.not_in(users_at_limit))
            .order_by(q.c.priority.desc(), q.c.scheduled_at, q.c.id)
            .limit(1).scalar_subquery())
    return (update(Q).where(Q.c.id == best)
            .values(status="running", started_at=bindparam("b_now"), attempt=Q.c.attempt + 1,
                    worker=bindparam("b_worker"), lease_expires_at=bindparam("b_lease_until"))
            .returning(*Q.columns))


_CLAIM = Compiled(_claimCompiled())
_HEARTBEAT = Compiled(
    update(Q).where(Q.c.id == bindparam("b_job_id"), Q.c.worker == bindparam("b_worker"),
                    Q.c.status == "running")
    .values(lease_expires_at=bindparam("b_lease_until")).returning(Q.c.id))
_FINISH = Compiled(
    update(Q).where(Q.c.id == bindparam("b_job_id"))
    .values(status=bindparam("b_status"), completed_at=bindparam("b_now"),
            error_message=bindparam("b_error"), outcome_reason=bindparam("b_outcome_reason"),
            lease_expires_at=None,
            execution_id=func.coalesce(bindparam("b_execution_id"), Q.c.execution_id))
    .returning(*Q.columns))
_RELEASE = Compiled(
    update(Q).where(Q.c.id == bindparam("b_job_id"), Q.c.worker == bindparam("b_worker"),
                    Q.c.status == "running")
    .values(status="pending", lease_expires_at=None, worker=None,
            outcome_reason=RELEASED_REASON)
    .returning(*Q.columns))
_STARTED_SINCE = Compiled(
    select(func.count()).select_from(Q)
    .where(Q.c.user_id == bindparam("b_user_id"), Q.c.started_at >= bindparam("b_since"),
           Q.c.status != "rejected"))


def _enqueue_one(con: sqlite3.Connection, job: NewJob,
                 advance: ScheduleAdvance | None) -> QueuedJob | None:
    """A deleted schedule is ignored by the advance: the job row (if any) still records the
    fire."""
    if advance is not None:
        fast.run(con, _ADVANCE, _advance_params(advance))
    row = _job_params(job)
    inserted = fast.run(con, _ENQUEUE, row)
    return _queued(inserted[0][0], job, row) if inserted else None


def _advance_params(advance: ScheduleAdvance) -> dict[str, Any]:
    return {"b_schedule_id": advance.schedule_id, "b_next_run": ts(advance.next_run),
            "b_last_run": ts(advance.last_run)}


def _job_params(job: NewJob) -> dict[str, Any]:
    created = ts(job.created_at)
    return {
        "workflow_id": job.workflow_id, "user_id": job.user_id, "status": job.status,
        "priority": job.priority, "retry_count": 0, "scheduled_at": ts(job.scheduled_at),
        "created_at": created, "scheduled_job_id": job.scheduled_job_id,
        "attempt": 0, "max_retries": job.max_retries, "trigger_type": job.trigger_type,
        "payload": _dumps(job.payload), "nominal_fire_utc": ts(job.nominal_fire_utc),
        "idempotency_key": job.idempotency_key, "outcome_reason": job.outcome_reason,
        # A recorded-only row (missed, rejected) is finished the moment it is written.
        "completed_at": created if job.status in TERMINAL_ON_INSERT else None,
    }


def _queued(job_id: int, job: NewJob, row: dict[str, Any]) -> QueuedJob:
    """The row just inserted, from what was written (no read back): exactly what `get`
    returns, datetimes in UTC and the payload through its JSON text."""
    return QueuedJob(
        id=job_id, workflow_id=job.workflow_id, status=job.status,
        created_at=_in_utc(job.created_at), scheduled_at=_in_utc(job.scheduled_at),
        user_id=job.user_id, scheduled_job_id=job.scheduled_job_id, priority=job.priority,
        retry_count=0, attempt=0, max_retries=job.max_retries,
        completed_at=_in_utc(job.created_at) if row["completed_at"] is not None else None,
        trigger_type=job.trigger_type, payload=json.loads(row["payload"]),
        nominal_fire_utc=(None if job.nominal_fire_utc is None
                          else _in_utc(job.nominal_fire_utc)),
        idempotency_key=job.idempotency_key, outcome_reason=job.outcome_reason,
    )


def _in_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def _job_of(r: tuple[Any, ...]) -> QueuedJob:
    """A job_queue row as _JOB_COLUMNS orders it (RETURNING of every column)."""
    (id_, workflow_id, user_id, status, priority, retry_count, scheduled_at, started_at,
     completed_at, error_message, created_at, scheduled_job_id, attempt, max_retries,
     lease_expires_at, worker, trigger_type, payload, nominal_fire_utc, idempotency_key,
     outcome_reason, execution_id) = r
    return QueuedJob(
        id=id_, workflow_id=workflow_id, status=status, created_at=utc(created_at),
        scheduled_at=utc(scheduled_at), user_id=user_id, scheduled_job_id=scheduled_job_id,
        priority=priority, retry_count=retry_count, attempt=attempt, max_retries=max_retries,
        started_at=dt(started_at), completed_at=dt(completed_at), error_message=error_message,
        lease_expires_at=dt(lease_expires_at), trigger_type=trigger_type,
        payload=json.loads(payload), nominal_fire_utc=dt(nominal_fire_utc),
        idempotency_key=idempotency_key, outcome_reason=outcome_reason,
        execution_id=execution_id, worker=worker,
    )


assert _JOB_COLUMNS == (
    "id", "workflow_id", "user_id", "status", "priority", "retry_count", "scheduled_at",
    "started_at", "completed_at", "error_message", "created_at", "scheduled_job_id", "attempt",
    "max_retries", "lease_expires_at", "worker", "trigger_type", "payload", "nominal_fire_utc",
    "idempotency_key", "outcome_reason", "execution_id"), "job_queue changed: update _job_of"


# failed_today counts both ways a run can fail (failed, timed_out). Wait is started_at minus
# the due time (scheduled_at includes the retry backoff), over runs that started today and are
# not waiting again (a retrying row's scheduled_at is already its next due time); julianday
# keeps millisecond precision.
_STATUS_SQL = text("""
SELECT
  sum(status = 'pending'),
  sum(status = 'running'),
  sum(status = 'retrying'),
  sum(status = 'completed' AND completed_at >= :day),
  sum(status IN ('failed', 'timed_out') AND completed_at >= :day),
  sum(started_at >= :day AND status != 'rejected'),
  avg(CASE WHEN started_at >= :day
           AND status NOT IN ('rejected', 'pending', 'retrying')
      THEN (julianday(started_at) - julianday(scheduled_at)) * 86400000.0 END),
  avg(CASE WHEN completed_at >= :day AND started_at IS NOT NULL
           AND status IN ('completed', 'failed', 'timed_out', 'cancelled')
      THEN (julianday(completed_at) - julianday(started_at)) * 86400000.0 END),
  sum(status = 'completed' AND completed_at >= :hour)
FROM job_queue WHERE user_id = :user
""").bindparams(bindparam("day", type_=UTCDateTime()), bindparam("hour", type_=UTCDateTime()))


def _status_of(s: Session, job_id: int) -> str:
    current = s.execute(select(Q.c.status).where(Q.c.id == job_id)).scalar()
    if current is None:
        raise _job_not_found(job_id)
    return str(current)


def _job_not_found(job_id: int) -> NotFoundError:
    return NotFoundError(f"job {job_id} does not exist: check the job id in the queue list")


def _job(m: RowMapping) -> QueuedJob:
    return QueuedJob(
        id=m["id"], workflow_id=m["workflow_id"], status=m["status"],
        created_at=m["created_at"], scheduled_at=m["scheduled_at"], user_id=m["user_id"],
        scheduled_job_id=m["scheduled_job_id"], priority=m["priority"],
        retry_count=m["retry_count"], attempt=m["attempt"], max_retries=m["max_retries"],
        started_at=m["started_at"], completed_at=m["completed_at"],
        error_message=m["error_message"], lease_expires_at=m["lease_expires_at"],
        trigger_type=m["trigger_type"], payload=json.loads(m["payload"]),
        nominal_fire_utc=m["nominal_fire_utc"], idempotency_key=m["idempotency_key"],
        outcome_reason=m["outcome_reason"], execution_id=m["execution_id"],
        worker=m["worker"],
    )


def _dumps(value: Any) -> str:
    # default=str: a stray datetime in a webhook payload must not lose the delivery.
    return json.dumps(value, default=str, separators=(",", ":"))
