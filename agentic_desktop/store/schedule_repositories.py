"""SQLite implementation of engine.ports.ScheduleRepository (DESIGN.md §5).

`next_run` is the persisted next_fire_utc (see store/job_tables.py). Every public method is one
short transaction; rows become frozen `ScheduledJob` values before the session closes.
"""

from __future__ import annotations

import builtins
import json
from datetime import datetime
from typing import Any, cast

from sqlalchemy import RowMapping, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.jobs import MisfirePolicy, ScheduledJob, TriggerType
from agentic_desktop.engine.ports import NewSchedule
from agentic_desktop.store.db import Database
from agentic_desktop.store.job_tables import ScheduledJobRow

S = cast(Table, ScheduledJobRow.__table__)


class SqlScheduleRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, schedule: NewSchedule) -> ScheduledJob:
        values = {
            "workflow_id": schedule.workflow_id, "user_id": schedule.user_id,
            "trigger_type": schedule.trigger_type,
            "trigger_config": _dumps(schedule.trigger_config), "is_active": schedule.is_active,
            "last_run": None, "next_run": schedule.next_run, "run_count": 0,
            "created_at": schedule.created_at, "name": schedule.name,
            "priority": schedule.priority, "max_retries": schedule.max_retries,
            "misfire_policy": schedule.misfire_policy,
            "misfire_grace_seconds": schedule.misfire_grace_seconds,
            "timezone": schedule.timezone, "consecutive_failures": 0, "paused_reason": None,
            "last_status": None, "hook_id": schedule.hook_id,
        }
        try:
            with self._db.write() as s:
                row = s.execute(insert(S).values(values).returning(S)).mappings().one()
                return _schedule(row)
        except IntegrityError as exc:
            raise _refused(exc, schedule.workflow_id, schedule.hook_id) from None

    def get(self, schedule_id: int) -> ScheduledJob:
        with self._db.read() as s:
            row = s.execute(select(S).where(S.c.id == schedule_id)).mappings().first()
            if row is None:
                raise _not_found(schedule_id)
            return _schedule(row)

    def list(self, *, workflow_id: int | None = None) -> builtins.list[ScheduledJob]:
        query = select(S).order_by(S.c.id)
        if workflow_id is not None:
            query = query.where(S.c.workflow_id == workflow_id)
        with self._db.read() as s:
            return [_schedule(r) for r in s.execute(query).mappings().all()]

    def save(self, schedule: ScheduledJob) -> ScheduledJob:
        """Write every field but id and created_at."""
        values = {
            "workflow_id": schedule.workflow_id, "user_id": schedule.user_id,
            "trigger_type": schedule.trigger_type,
            "trigger_config": _dumps(schedule.trigger_config), "is_active": schedule.is_active,
            "last_run": schedule.last_run, "next_run": schedule.next_run,
            "run_count": schedule.run_count, "name": schedule.name,
            "priority": schedule.priority, "max_retries": schedule.max_retries,
            "misfire_policy": schedule.misfire_policy,
            "misfire_grace_seconds": schedule.misfire_grace_seconds,
            "timezone": schedule.timezone, "consecutive_failures": schedule.consecutive_failures,
            "paused_reason": schedule.paused_reason, "last_status": schedule.last_status,
            "hook_id": schedule.hook_id,
        }
        try:
            with self._db.write() as s:
                row = s.execute(update(S).where(S.c.id == schedule.id).values(values)
                                .returning(S)).mappings().first()
                if row is None:
                    raise _not_found(schedule.id)
                return _schedule(row)
        except IntegrityError as exc:
            raise _refused(exc, schedule.workflow_id, schedule.hook_id) from None

    def delete(self, schedule_id: int) -> None:
        """Queued jobs keep their history (scheduled_job_id becomes NULL)."""
        with self._db.write() as s:
            gone = s.execute(delete(S).where(S.c.id == schedule_id).returning(S.c.id)).first()
            if gone is None:
                raise _not_found(schedule_id)

    def by_hook(self, hook_id: str) -> ScheduledJob | None:
        with self._db.read() as s:
            row = s.execute(select(S).where(S.c.hook_id == hook_id)).mappings().first()
            return None if row is None else _schedule(row)

    def record_outcome(self, schedule_id: int, *, success: bool, status: str, at: datetime,
                       pause_after: int) -> ScheduledJob:
        """One transaction: last_status, run_count+1, consecutive_failures reset or +1; the
        failure that reaches `pause_after` (> 0) deactivates an active schedule with a
        paused_reason. Only that transition sets the reason, so a caller can tell an auto-pause
        from a schedule that was already paused."""
        failures = 0 if success else S.c.consecutive_failures + 1
        with self._db.write() as s:
            row = s.execute(
                update(S).where(S.c.id == schedule_id)
                .values(last_status=status, run_count=S.c.run_count + 1,
                        consecutive_failures=failures, last_run=at)
                .returning(S)
            ).mappings().first()
            if row is None:
                raise _not_found(schedule_id)
            n = row["consecutive_failures"]
            if not success and 0 < pause_after <= n and row["is_active"]:
                reason = (f"paused after {n} consecutive failures (last: {status} at "
                          f"{at.isoformat()}): fix the workflow, then resume the schedule")
                row = s.execute(
                    update(S).where(S.c.id == schedule_id)
                    .values(is_active=False, paused_reason=reason).returning(S)
                ).mappings().one()
            return _schedule(row)


def _schedule(m: RowMapping) -> ScheduledJob:
    return ScheduledJob(
        id=m["id"], workflow_id=m["workflow_id"],
        trigger_type=cast(TriggerType, m["trigger_type"]),
        trigger_config=json.loads(m["trigger_config"]), is_active=bool(m["is_active"]),
        created_at=m["created_at"], user_id=m["user_id"], last_run=m["last_run"],
        next_run=m["next_run"], run_count=m["run_count"], priority=m["priority"],
        max_retries=m["max_retries"],
        misfire_policy=cast(MisfirePolicy, m["misfire_policy"]),
        misfire_grace_seconds=m["misfire_grace_seconds"], timezone=m["timezone"],
        consecutive_failures=m["consecutive_failures"], paused_reason=m["paused_reason"],
        last_status=m["last_status"], hook_id=m["hook_id"], name=m["name"],
    )


def _refused(exc: IntegrityError, workflow_id: int, hook_id: str | None) -> UserError:
    message = str(exc.orig)
    if "hook_id" in message:
        return UserError(f"webhook id {hook_id!r} is already used by another schedule: "
                         "create the schedule again to get a new one")
    if "FOREIGN KEY" in message:
        return NotFoundError(f"workflow {workflow_id} does not exist: "
                             "see `agentic-desktop workflows list`")
    return UserError(f"the schedule was refused by the database ({message}): check its fields")


def _not_found(schedule_id: int) -> NotFoundError:
    return NotFoundError(f"schedule {schedule_id} does not exist: check the schedule id in the "
                         "schedule list")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))
