from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentic_desktop.domain.errors import NotFoundError
from agentic_desktop.domain.runs import ExecutionMetrics, ExecutionResult, NodeRun
from agentic_desktop.store import SqlExecutionRepository, open_database

T0 = datetime(2025, 3, 9, 7, 0, tzinfo=UTC)


def _result(status: str = "failed") -> ExecutionResult:
    runs = (
        NodeRun(node_id="candles", node_type="market.candles", status="succeeded",
                started_at=T0, duration_ms=1.5, output_summary={"bars": 100}),
        NodeRun(node_id="rsi", node_type="indicator.rsi", status="failed",
                started_at=T0 + timedelta(milliseconds=2), duration_ms=0.25,
                error="boom"),
        NodeRun(node_id="notify", node_type="notify", status="skipped",
                skip_reason="upstream failed"),
    )
    return ExecutionResult(
        workflow_id=None, workflow_name="Daily", status=status,  # type: ignore[arg-type]
        started_at=T0, finished_at=T0 + timedelta(seconds=1), node_runs=runs,
        metrics=ExecutionMetrics(total_nodes=3, successful_nodes=1, failed_nodes=1,
                                 total_time_ms=1.75, avg_node_time_ms=0.875,
                                 memory_used_mb=12.5),
        idempotency_key="job-1:0", trigger="cron", payload={"price": 1.1},
        error="node 'rsi' failed: boom", failed_node="rsi",
    )


@pytest.fixture
def repo(data_dir: Path) -> SqlExecutionRepository:
    return SqlExecutionRepository(open_database(data_dir))


def test_start_then_finish_round_trips(repo: SqlExecutionRepository) -> None:
    run_id = repo.start(workflow_id=None, workflow_name="Daily", trigger="cron",
                        idempotency_key="job-1:0", payload={"price": 1.1}, started_at=T0,
                        job_id=42)
    running = repo.get(run_id)
    assert running.status == "running" and running.node_runs == ()
    assert running.finished_at == T0

    repo.finish(run_id, _result())
    got = repo.get(run_id)
    assert got == _result().__class__(**{**_result().__dict__, "execution_id": run_id})
    assert got.started_at.tzinfo is UTC
    assert [r.node_id for r in got.node_runs] == ["candles", "rsi", "notify"]

    repo.finish(run_id, _result())  # a repeated finish replaces, never duplicates
    assert len(repo.get(run_id).node_runs) == 3


def test_list_filters_and_pages_newest_first(repo: SqlExecutionRepository) -> None:
    ids = []
    for i in range(5):
        run_id = repo.start(workflow_id=None, workflow_name="Daily", trigger="manual",
                            idempotency_key=f"k{i}", payload={}, started_at=T0)
        if i % 2 == 0:
            repo.finish(run_id, _result("completed"))
        ids.append(run_id)
    assert [r.execution_id for r in repo.list()] == ids[::-1]
    assert [r.execution_id for r in repo.list(status="completed")] == [ids[4], ids[2], ids[0]]
    assert [r.execution_id for r in repo.list(limit=2, offset=1)] == [ids[3], ids[2]]
    assert repo.list(status="running")[0].metrics.total_nodes == 0


def test_unknown_execution(repo: SqlExecutionRepository) -> None:
    with pytest.raises(NotFoundError, match="execution 9 does not exist"):
        repo.get(9)
    with pytest.raises(NotFoundError):
        repo.finish(9, _result())
