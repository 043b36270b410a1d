"""What only the SQLite schedule repository does: the next_fire_utc synonym and the foreign key
to workflows. CRUD, webhook ids, outcomes and auto-pause are in test_queue_contract.py (run
over the in-memory repository too)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from agentic_desktop.domain.errors import NotFoundError
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


def test_next_fire_utc_is_the_next_run_column(db: Database, repo: SqlScheduleRepository,
                                              workflow_id: int) -> None:
    added = repo.add(cron(workflow_id))
    with db.read() as s:
        row = s.scalars(select(ScheduledJobRow).where(ScheduledJobRow.id == added.id)).one()
        assert row.next_fire_utc == row.next_run == T0 + timedelta(days=1)


def test_an_unknown_workflow_is_refused(repo: SqlScheduleRepository) -> None:
    with pytest.raises(NotFoundError, match="workflow 404 does not exist"):
        repo.add(cron(404))
    assert repo.list() == []
