"""In-memory `ScheduleRepository` and `JobQueueRepository` (DESIGN.md §10: contract tests run the
same suite over in-memory and SQLite repositories; benchmarks use these to measure the scheduler
without the disk).

They keep the semantics the SQLite store guarantees, checked by one contract suite run over
both (tests/store/test_queue_contract.py): UNIQUE(scheduled_job_id, nominal_fire_utc), a unique
idempotency key (an old holder renamed `<key>:expired:<id>` past the dedupe window, when one is
given), the schedule advance applied together with the enqueue (one lock = one transaction),
claims by (priority desc, scheduled_at, id) with a per-user running limit, leases, heartbeats,
lease recovery and release, the same outcome reasons and the same status figures. What only a
database does is left out: foreign keys (an unknown workflow, a deleted schedule's jobs).
Stored values are frozen dataclasses, so callers cannot mutate stored state by accident.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.jobs import (
    RETRYABLE_STATUSES,
    JobStatus,
    QueuedJob,
    QueueStatus,
    ScheduledJob,
)
from agentic_desktop.engine.ports import (
    LEASE_EXPIRED_REASON,
    RELEASED_REASON,
    NewJob,
    NewSchedule,
    ScheduleAdvance,
)

_CLAIMABLE = frozenset({"pending", "retrying"})
# A recorded-only row (missed, rejected, …) is finished the moment it is written.
_TERMINAL_ON_INSERT = frozenset({"missed", "rejected", "completed", "failed", "cancelled",
                                 "timed_out"})
T = TypeVar("T")


def _through_json(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the store gives it back (stored as JSON text; default=str)."""
    loaded: dict[str, Any] = json.loads(json.dumps(payload, default=str))
    return loaded


def _evolve(row: T, changes: dict[str, object]) -> T:
    """`dataclasses.replace` for the hot path (one advance per fire): copies the instance
    dict instead of re-running __init__ over every field (~1 µs instead of ~12 µs). Only for
    plain frozen dataclasses without __post_init__ logic, like ScheduledJob."""
    new: T = object.__new__(type(row))
    new.__dict__.update(row.__dict__, **changes)
    return new


class InMemoryScheduleRepository:
    """ScheduleRepository kept in a dict. Thread-safe (one lock)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._rows: dict[int, ScheduledJob] = {}
        self._next_id = 1

    def add(self, schedule: NewSchedule) -> ScheduledJob:
        with self._lock:
            self._check_hook(schedule.hook_id, None)
            row = ScheduledJob(
                id=self._next_id,
                workflow_id=schedule.workflow_id,
                trigger_type=schedule.trigger_type,
                trigger_config=dict(schedule.trigger_config),
                is_active=schedule.is_active,
                created_at=schedule.created_at,
                user_id=schedule.user_id,
                next_run=schedule.next_run,
                priority=schedule.priority,
                max_retries=schedule.max_retries,
                misfire_policy=schedule.misfire_policy,
                misfire_grace_seconds=schedule.misfire_grace_seconds,
                timezone=schedule.timezone,
                hook_id=schedule.hook_id,
                name=schedule.name,
            )
            self._rows[row.id] = row
            self._next_id += 1
            return row

    def get(self, schedule_id: int) -> ScheduledJob:
        with self._lock:
            row = self._rows.get(schedule_id)
            if row is None:
                raise NotFoundError(f"schedule {schedule_id} does not exist: list the schedules "
                                    "to find its id")
            return row

    def list(self, *, workflow_id: int | None = None) -> list[ScheduledJob]:
        with self._lock:
            return [r for r in self._rows.values()
                    if workflow_id is None or r.workflow_id == workflow_id]

    def save(self, schedule: ScheduledJob) -> ScheduledJob:
        with self._lock:
            current = self.get(schedule.id)
            self._check_hook(schedule.hook_id, schedule.id)
            row = replace(schedule, created_at=current.created_at,
                          trigger_config=dict(schedule.trigger_config))
            self._rows[row.id] = row
            return row

    def delete(self, schedule_id: int) -> None:
        with self._lock:
            self.get(schedule_id)
            del self._rows[schedule_id]

    def _check_hook(self, hook_id: str | None, own_id: int | None) -> None:
        if hook_id is not None and any(r.hook_id == hook_id and r.id != own_id
                                       for r in self._rows.values()):
            raise UserError(f"webhook id {hook_id!r} is already used by another schedule: "
                            "create the schedule again to get a new one")

    def by_hook(self, hook_id: str) -> ScheduledJob | None:
        with self._lock:
            return next((r for r in self._rows.values() if r.hook_id == hook_id), None)

    def record_outcome(self, schedule_id: int, *, success: bool, status: str, at: datetime,
                       pause_after: int) -> ScheduledJob:
        with self._lock:
            row = self.get(schedule_id)
            failures = 0 if success else row.consecutive_failures + 1
            row = replace(row, last_status=status, run_count=row.run_count + 1,
                          consecutive_failures=failures, last_run=at)
            if not success and 0 < pause_after <= failures and row.is_active:
                row = replace(row, is_active=False, paused_reason=(
                    f"paused after {failures} consecutive failures (last: {status} at "
                    f"{at.isoformat()}): fix the workflow, then resume the schedule"))
            self._rows[row.id] = row
            return row

    def apply_advance(self, advance: ScheduleAdvance) -> None:
        """The queue's half of `enqueue(..., advance=...)`; a deleted schedule is ignored."""
        with self._lock:
            row = self._rows.get(advance.schedule_id)
            if row is None:
                return
            changes: dict[str, object] = {"next_run": advance.next_run}
            if advance.last_run is not None:
                changes["last_run"] = advance.last_run
            self._rows[row.id] = _evolve(row, changes)


class InMemoryJobQueueRepository:
    """JobQueueRepository kept in a dict. Pass the schedule repository so `enqueue` can apply
    a ScheduleAdvance under the same lock (the in-memory equivalent of one transaction)."""

    def __init__(self, schedules: InMemoryScheduleRepository | None = None) -> None:
        self._lock = schedules._lock if schedules is not None else threading.RLock()
        self._schedules = schedules
        self._jobs: dict[int, QueuedJob] = {}
        self._nominal: set[tuple[int, datetime]] = set()
        self._keys: dict[str, int] = {}  # idempotency key -> job id
        self._next_id = 1

    # -- writing --------------------------------------------------------------------------

    def enqueue(self, job: NewJob, *, advance: ScheduleAdvance | None = None,
                dedupe_window_seconds: float | None = None) -> QueuedJob | None:
        with self._lock:
            if dedupe_window_seconds is not None:
                self._expire_key(job, dedupe_window_seconds)
            return self._enqueue_one(job, advance)

    def enqueue_many(self, items: Sequence[tuple[NewJob, ScheduleAdvance | None]]
                     ) -> list[QueuedJob | None]:
        with self._lock:
            return [self._enqueue_one(job, advance) for job, advance in items]

    def _expire_key(self, job: NewJob, window_seconds: float) -> None:
        """Like the store: a holder of the key created before the window is renamed, so an
        old delivery no longer blocks a new one."""
        held = self._keys.get(job.idempotency_key)
        if held is None:
            return
        old = self._jobs[held]
        if old.created_at < job.created_at - timedelta(seconds=window_seconds):
            renamed = f"{old.idempotency_key}:expired:{old.id}"
            self._jobs[held] = replace(old, idempotency_key=renamed)
            del self._keys[job.idempotency_key]
            self._keys[renamed] = held

    def _enqueue_one(self, job: NewJob, advance: ScheduleAdvance | None) -> QueuedJob | None:
        if advance is not None and self._schedules is not None:
            self._schedules.apply_advance(advance)
        nominal = (None if job.scheduled_job_id is None or job.nominal_fire_utc is None
                   else (job.scheduled_job_id, job.nominal_fire_utc))
        if nominal in self._nominal or job.idempotency_key in self._keys:
            return None
        row = QueuedJob(
            id=self._next_id, workflow_id=job.workflow_id, status=job.status,
            created_at=job.created_at, scheduled_at=job.scheduled_at, user_id=job.user_id,
            scheduled_job_id=job.scheduled_job_id, priority=job.priority,
            max_retries=job.max_retries, trigger_type=job.trigger_type,
            payload=_through_json(job.payload), nominal_fire_utc=job.nominal_fire_utc,
            idempotency_key=job.idempotency_key, outcome_reason=job.outcome_reason,
            attempt=0,
            completed_at=job.created_at if job.status in _TERMINAL_ON_INSERT else None,
        )
        self._next_id += 1
        self._jobs[row.id] = row
        if nominal is not None:
            self._nominal.add(nominal)
        self._keys[job.idempotency_key] = row.id
        return row

    def claim(self, *, worker: str, now: datetime, lease_seconds: float,
              max_running_per_user: int) -> QueuedJob | None:
        with self._lock:
            running: dict[int, int] = {}
            for j in self._jobs.values():
                if j.status == "running":
                    running[j.user_id] = running.get(j.user_id, 0) + 1
            due = [j for j in self._jobs.values()
                   if j.status in _CLAIMABLE and j.scheduled_at <= now
                   and running.get(j.user_id, 0) < max_running_per_user]
            if not due:
                return None
            best = min(due, key=lambda j: (-j.priority, j.scheduled_at, j.id))
            row = replace(best, status="running", attempt=best.attempt + 1, started_at=now,
                          worker=worker, lease_expires_at=now + timedelta(seconds=lease_seconds))
            self._jobs[row.id] = row
            return row

    def heartbeat(self, job_id: int, *, worker: str, lease_until: datetime) -> bool:
        with self._lock:
            row = self._jobs.get(job_id)
            if row is None or row.status != "running" or row.worker != worker:
                return False
            self._jobs[job_id] = replace(row, lease_expires_at=lease_until)
            return True

    def finish(self, job_id: int, *, status: JobStatus, now: datetime,
               error: str | None = None, execution_id: int | None = None,
               outcome_reason: str | None = None) -> QueuedJob:
        with self._lock:
            row = self.get(job_id)
            return self._put(replace(
                row, status=status, completed_at=now, error_message=error,
                execution_id=execution_id if execution_id is not None else row.execution_id,
                outcome_reason=outcome_reason, lease_expires_at=None))

    def schedule_retry(self, job_id: int, *, at: datetime, error: str,
                       execution_id: int | None = None) -> QueuedJob:
        with self._lock:
            row = self.get(job_id)
            retries = row.retry_count + 1
            return self._put(replace(
                row, status="retrying", retry_count=retries, scheduled_at=at,
                error_message=error, lease_expires_at=None, completed_at=None,
                outcome_reason=f"retry {retries} of {row.max_retries} after a retryable failure",
                execution_id=execution_id if execution_id is not None else row.execution_id))

    def cancel(self, job_id: int, *, now: datetime, reason: str) -> QueuedJob:
        with self._lock:
            row = self.get(job_id)
            if row.status not in _CLAIMABLE:
                hint = (": cancel it in the worker pool (it is running)"
                        if row.status == "running"
                        else ": only a pending or retrying job can be cancelled")
                raise UserError(f"job {job_id} is {row.status}{hint}")
            return self._put(replace(row, status="cancelled", completed_at=now,
                                     outcome_reason=reason, lease_expires_at=None))

    def retry(self, job_id: int, *, now: datetime) -> QueuedJob:
        with self._lock:
            row = self.get(job_id)
            if row.status not in RETRYABLE_STATUSES:
                raise UserError(f"job {job_id} is {row.status}: only a failed, cancelled or "
                                "timed-out job can be retried")
            return self._put(replace(
                row, status="pending", scheduled_at=now, completed_at=None, error_message=None,
                lease_expires_at=None, worker=None,
                outcome_reason=f"retried by hand (was {row.status})"))

    def recover_expired(self, *, now: datetime) -> list[QueuedJob]:
        """Leases that ran out strictly before `now`; attempt and scheduled_at are kept."""
        with self._lock:
            return [self._put(replace(row, status="pending", lease_expires_at=None,
                                      worker=None, outcome_reason=LEASE_EXPIRED_REASON))
                    for row in sorted(self._jobs.values(), key=lambda j: j.id)
                    if row.status == "running" and row.lease_expires_at is not None
                    and row.lease_expires_at < now]

    def release(self, job_id: int, *, worker: str) -> QueuedJob:
        with self._lock:
            row = self.get(job_id)
            if row.status != "running" or row.worker != worker:
                return row
            return self._put(replace(row, status="pending", lease_expires_at=None,
                                     worker=None, outcome_reason=RELEASED_REASON))

    def _put(self, row: QueuedJob) -> QueuedJob:
        self._jobs[row.id] = row
        return row

    # -- reading --------------------------------------------------------------------------

    def get(self, job_id: int) -> QueuedJob:
        with self._lock:
            row = self._jobs.get(job_id)
            if row is None:
                raise NotFoundError(f"job {job_id} does not exist: check the job id in the "
                                    "queue list")
            return row

    def list(self, *, statuses: Sequence[str] | None = None, workflow_id: int | None = None,
             scheduled_job_id: int | None = None, limit: int = 100,
             offset: int = 0) -> list[QueuedJob]:
        with self._lock:
            rows = [j for j in self._jobs.values()
                    if (statuses is None or j.status in statuses)
                    and (workflow_id is None or j.workflow_id == workflow_id)
                    and (scheduled_job_id is None or j.scheduled_job_id == scheduled_job_id)]
        rows.sort(key=lambda j: j.id, reverse=True)  # newest first, like the history view
        return rows[offset:offset + limit]

    def started_since(self, *, user_id: int, since: datetime) -> int:
        """Runs started at or after `since`; a rejected job never ran."""
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.user_id == user_id
                       and j.started_at is not None and j.started_at >= since
                       and j.status != "rejected")

    def status(self, *, now: datetime, day_start: datetime, max_runs_per_day: int,
               user_id: int = 1) -> QueueStatus:
        """The store's figures (job_repositories._STATUS_SQL), computed over the dict."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.user_id == user_id]
        count = {s: sum(1 for j in jobs if j.status == s)
                 for s in ("pending", "running", "retrying")}
        today = [j for j in jobs if j.completed_at is not None and j.completed_at >= day_start]
        waits = [(j.started_at - j.scheduled_at).total_seconds() * 1000 for j in jobs
                 if j.started_at is not None and j.started_at >= day_start
                 and j.status not in ("rejected", "pending", "retrying")]
        durations = [(j.completed_at - j.started_at).total_seconds() * 1000 for j in today
                     if j.started_at is not None and j.completed_at is not None
                     and j.status in ("completed", "failed", "timed_out", "cancelled")]
        hour_ago = now - timedelta(hours=1)
        return QueueStatus(
            pending=count["pending"], running=count["running"], retrying=count["retrying"],
            completed_today=sum(1 for j in today if j.status == "completed"),
            failed_today=sum(1 for j in today if j.status in ("failed", "timed_out")),
            runs_today=self.started_since(user_id=user_id, since=day_start),
            max_runs_per_day=max_runs_per_day,
            avg_wait_ms=sum(waits) / len(waits) if waits else None,
            avg_duration_ms=sum(durations) / len(durations) if durations else None,
            throughput_per_min=sum(1 for j in jobs if j.status == "completed"
                                   and j.completed_at is not None
                                   and j.completed_at >= hour_ago) / 60.0,
        )

    def next_due(self) -> datetime | None:
        with self._lock:
            due = [j.scheduled_at for j in self._jobs.values() if j.status in _CLAIMABLE]
        return min(due) if due else None
