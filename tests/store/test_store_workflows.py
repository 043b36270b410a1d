from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.workflow import Edge, Node, Workflow
from agentic_desktop.store import SqlExecutionRepository, SqlWorkflowRepository, open_database


def _workflow(name: str = "Daily Morning") -> Workflow:
    return Workflow(
        name=name, description="rsi dip",
        nodes=(Node(id="candles", type="market.candles", params={"symbol": "EURUSD"},
                    position=(10.0, 20.0)),
               Node(id="rsi", type="indicator.rsi", params={"period": 14})),
        edges=(Edge(source_node="candles", source_port="candles", target_node="rsi",
                    target_port="candles"),),
    )


@pytest.fixture
def repo(data_dir: Path) -> SqlWorkflowRepository:
    return SqlWorkflowRepository(open_database(data_dir))


def test_add_get_list_update_delete(repo: SqlWorkflowRepository) -> None:
    stored = repo.add(_workflow())
    assert stored.id == 1
    assert stored.workflow == _workflow().with_id(1)
    assert stored.created_at.tzinfo is UTC
    assert repo.get(1).workflow == stored.workflow
    second = repo.add(_workflow("Breakout"))
    assert [s.workflow.name for s in repo.list()] == ["Daily Morning", "Breakout"]

    renamed = repo.update(second.id, _workflow("Breakout v2"))
    assert renamed.workflow.name == "Breakout v2"
    assert renamed.updated_at >= second.updated_at
    assert repo.find_by_name("Breakout v2") is not None
    assert repo.find_by_name("Breakout") is None

    repo.delete(1)
    assert [s.id for s in repo.list()] == [2]


def test_duplicate_name_names_the_name_and_the_fix(repo: SqlWorkflowRepository) -> None:
    repo.add(_workflow())
    with pytest.raises(UserError, match="'Daily Morning' already exists .*workflow 1.*update"):
        repo.add(_workflow())
    other = repo.add(_workflow("Other"))
    with pytest.raises(UserError, match="'Daily Morning' already exists"):
        repo.update(other.id, _workflow())
    assert len(repo.list()) == 2


def test_missing_ids_raise_not_found(repo: SqlWorkflowRepository) -> None:
    with pytest.raises(NotFoundError) as err:
        repo.get(7)
    assert str(err.value) == "workflow 7 does not exist: see `agentic-desktop workflows list`"
    with pytest.raises(NotFoundError):
        repo.update(7, _workflow())
    with pytest.raises(NotFoundError):
        repo.delete(7)


def test_deleting_a_workflow_keeps_its_history(data_dir: Path) -> None:
    db = open_database(data_dir)
    workflows, executions = SqlWorkflowRepository(db), SqlExecutionRepository(db)
    wf = workflows.add(_workflow())
    run_id = executions.start(workflow_id=wf.id, workflow_name="Daily Morning",
                              trigger="manual", idempotency_key="k", payload={},
                              started_at=datetime(2025, 1, 1, tzinfo=UTC))
    workflows.delete(wf.id)
    run = executions.get(run_id)
    assert run.workflow_id is None  # ON DELETE SET NULL
    assert run.workflow_name == "Daily Morning"
