"""The schedule repository on real SQLite: CRUD, webhook ids, outcomes and auto-pause."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.workflow import Workflow
from agentic_desktop.engine.ports import NewSchedule
from agentic_desktop.store import Database, open_database
from agentic_desktop.store.job_tables import ScheduledJobRow
from agentic_desktop.store.repositories import SqlWorkflowRepository
from agentic_desktop.store.schedule_repositories import SqlScheduleRepository

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    database = open_database(data_dir)
    yield database
    database.close()


@pytest.fixture
def repo(db: Database) -> SqlScheduleRepository:
    return SqlScheduleRepository(db)


@pytest.fixture
def workflow_id(db: Database) -> int:
    return SqlWorkflowRepository(db).add(Workflow(name="w", nodes=(), edges=())).id


def cron(workflow_id: int, **kw: object) -> NewSchedule:
    return NewSchedule(workflow_id=workflow_id, trigger_type="cron",
                       trigger_config={"cron_expression": "0 9 * * *", "timezone": "UTC"},
                       created_at=T0, next_run=T0 + timedelta(days=1), **kw)  # type: ignore[arg-type]


def test_add_get_list_save_delete(repo: SqlScheduleRepository, workflow_id: int) -> None:
    added = repo.add(cron(workflow_id, name="morning", priority=3, timezone="Europe/London",
                          misfire_policy="skip", misfire_grace_seconds=60.0))
    assert added.id > 0 and added.is_active and added.run_count == 0
    assert added.trigger_config == {"cron_expression": "0 9 * * *", "timezone": "UTC"}
    assert (added.name, added.priority, added.timezone) == ("morning", 3, "Europe/London")
    assert (added.misfire_policy, added.misfire_grace_seconds) == ("skip", 60.0)
    assert added.next_run == T0 + timedelta(days=1)
    assert repo.get(added.id) == added
    second = repo.add(cron(workflow_id))
    assert [s.id for s in repo.list()] == [added.id, second.id]
    assert repo.list(workflow_id=workflow_id + 1) == []
    changed = replace(added, is_active=False, paused_reason="by hand", last_status="completed",
                      run_count=4, trigger_config={"interval_minutes": 5}, trigger_type="time",
                      last_run=T0, next_run=None)
    saved = repo.save(changed)
    assert saved == changed and repo.get(added.id) == changed
    repo.delete(second.id)
    assert [s.id for s in repo.list()] == [added.id]
    with pytest.raises(NotFoundError, match=f"schedule {second.id} does not exist"):
        repo.get(second.id)
    with pytest.raises(NotFoundError):
        repo.delete(second.id)
    with pytest.raises(NotFoundError):
        repo.save(replace(added, id=999))


def test_next_fire_utc_is_the_next_run_column(db: Database, repo: SqlScheduleRepository,
                                              workflow_id: int) -> None:
    added = repo.add(cron(workflow_id))
    with db.read() as s:
        row = s.scalars(select(ScheduledJobRow).where(ScheduledJobRow.id == added.id)).one()
        assert row.next_fire_utc == row.next_run == T0 + timedelta(days=1)


def test_unknown_workflow_and_duplicate_hook_are_refused(repo: SqlScheduleRepository,
                                                         workflow_id: int) -> None:
    with pytest.raises(NotFoundError, match="workflow 404 does not exist"):
        repo.add(cron(404))
    hooked = repo.add(NewSchedule(workflow_id=workflow_id, trigger_type="webhook",
                                  trigger_config={}, created_at=T0, hook_id="h-1"))
    assert repo.by_hook("h-1") == hooked and repo.by_hook("nope") is None
    with pytest.raises(UserError, match="webhook id 'h-1' is already used"):
        repo.add(NewSchedule(workflow_id=workflow_id, trigger_type="webhook",
                             trigger_config={}, created_at=T0, hook_id="h-1"))
    assert len(repo.list()) == 1  # the refused one wrote nothing


def test_record_outcome_pauses_after_n_failures_and_success_resets(
        repo: SqlScheduleRepository, workflow_id: int) -> None:
    sched = repo.add(cron(workflow_id))
    for i in range(4):
        s = repo.record_outcome(sched.id, success=False, status="failed", at=T0, pause_after=5)
        assert s.consecutive_failures == i + 1 and s.is_active
    s = repo.record_outcome(sched.id, success=True, status="completed", at=T0, pause_after=5)
    assert s.consecutive_failures == 0 and s.last_status == "completed" and s.run_count == 5
    for _ in range(5):
        s = repo.record_outcome(sched.id, success=False, status="timed_out", at=T0,
                                pause_after=5)
    assert not s.is_active and s.consecutive_failures == 5 and s.last_status == "timed_out"
    assert s.paused_reason is not None
    assert s.paused_reason.startswith("paused after 5 consecutive failures (last: timed_out")
    # a failure while already paused counts but does not rewrite the reason
    again = repo.record_outcome(sched.id, success=False, status="failed", at=T0, pause_after=5)
    assert again.consecutive_failures == 6 and again.paused_reason == s.paused_reason
    with pytest.raises(NotFoundError):
        repo.record_outcome(999, success=True, status="completed", at=T0, pause_after=5)


def test_pause_after_zero_never_pauses(repo: SqlScheduleRepository, workflow_id: int) -> None:
    sched = repo.add(cron(workflow_id))
    for _ in range(7):
        s = repo.record_outcome(sched.id, success=False, status="failed", at=T0, pause_after=0)
    assert s.is_active and s.consecutive_failures == 7
