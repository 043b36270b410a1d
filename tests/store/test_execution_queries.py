"""History queries on real SQLite: keyset pages, filters, counts and the chart aggregates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentic_desktop.domain import workflow as wf
from agentic_desktop.engine.ports import ExecutionFilter
from agentic_desktop.store import (
    Database,
    SqlExecutionRepository,
    SqlWorkflowRepository,
    open_database,
)
from tests.store.execution_seed import T0, seed_executions, status_of, trigger_of

ALL = ExecutionFilter()


@pytest.fixture
def db(data_dir: Path) -> Database:
    database = open_database(data_dir)
    workflows = SqlWorkflowRepository(database)
    for name in ("Alpha", "Beta"):
        workflows.add(wf.Workflow(id=None, name=name, nodes=(), edges=()))
    return database


@pytest.fixture
def repo(db: Database) -> SqlExecutionRepository:
    seed_executions(db, 1000, workflows=[(1, "Alpha"), (2, "Beta")], node_runs_for_last=50)
    return SqlExecutionRepository(db)


def test_pages_are_keyset_newest_first_and_cover_everything(
        repo: SqlExecutionRepository) -> None:
    seen: list[int] = []
    before = None
    while True:
        rows = repo.page(ALL, limit=300, before_id=before)
        if not rows:
            break
        seen.extend(r.execution_id for r in rows)
        before = rows[-1].execution_id
    assert seen == list(range(1000, 0, -1))
    first = repo.page(ALL, limit=1)[0]
    assert first.execution_id == 1000 and first.workflow_name == "Alpha"
    assert first.started_at == T0 + timedelta(minutes=5 * 1000)
    assert first.started_at.tzinfo is UTC
    assert first.total_nodes == 4 and first.total_time_ms == 50.0 + (1000 % 37) * 10.0
    assert first.status == status_of(1000) == "failed" and first.failed_nodes == 1
    assert first.error == "node 'rsi' failed: not enough bars"
    assert first.trigger == trigger_of(1000)


def test_filters_compose_in_count_and_page(repo: SqlExecutionRepository) -> None:
    assert repo.count(ALL) == 1000
    failed = ExecutionFilter(status="failed")
    assert repo.count(failed) == 100
    assert {r.status for r in repo.page(failed, limit=500)} == {"failed"}
    beta = ExecutionFilter(workflow_id=2, status="completed")
    expected = [i for i in range(1000, 0, -1) if i % 2 == 1 and status_of(i) == "completed"]
    assert [r.execution_id for r in repo.page(beta, limit=1000)] == expected
    assert repo.count(beta) == len(expected)
    window = ExecutionFilter(started_from=T0 + timedelta(minutes=5 * 100),
                             started_before=T0 + timedelta(minutes=5 * 200))
    assert [r.execution_id for r in repo.page(window, limit=500)] == list(range(199, 99, -1))
    assert repo.count(ExecutionFilter(trigger="webhook")) == 250
    assert repo.count(ExecutionFilter(workflow_id=99)) == 0


def test_running_execution_reads_without_metrics(db: Database) -> None:
    repo = SqlExecutionRepository(db)
    started = datetime(2025, 6, 1, 12, tzinfo=UTC)
    run_id = repo.start(workflow_id=1, workflow_name="Alpha", trigger="cron",
                        idempotency_key="k", payload={}, started_at=started, job_id=7)
    row = repo.page(ALL, limit=1)[0]
    assert (row.execution_id, row.status, row.job_id) == (run_id, "running", 7)
    assert row.finished_at is None and row.total_time_ms is None and row.total_nodes == 0
    assert repo.duration_series(ALL) == []


def test_duration_series_is_oldest_first_and_bounded(repo: SqlExecutionRepository) -> None:
    points = repo.duration_series(ExecutionFilter(workflow_id=1), limit=10)
    assert [p.execution_id for p in points] == list(range(982, 1001, 2))
    assert points[-1].total_time_ms == 50.0 + (1000 % 37) * 10.0


def test_daily_outcomes_count_per_day_with_offset(repo: SqlExecutionRepository) -> None:
    days = repo.daily_outcomes(ALL, days=2)
    # 288 five-minute runs a day; run 1000 starts on day 3 (2025-01-04 11:20).
    assert [d.day for d in days] == ["2025-01-03", "2025-01-04"]
    last = days[-1]
    first_of_day = 864  # 864 * 5 min = 3 days
    ids = range(first_of_day, 1001)
    assert last.total == len(ids)
    assert last.completed == sum(status_of(i) == "completed" for i in ids)
    assert last.failed == len(ids) - last.completed
    shifted = repo.daily_outcomes(ALL, days=1, utc_offset_minutes=13 * 60)
    assert shifted[-1].day == "2025-01-05"  # 11:20 UTC + 13 h is the next day


def test_time_per_node_type_over_the_newest_runs(repo: SqlExecutionRepository) -> None:
    rows = repo.time_per_node_type(ALL, last=10)
    assert [r.node_type for r in rows] == ["notify.log", "condition.compare",
                                           "indicator.rsi", "market.candles"]
    assert rows[0].runs == 10 and rows[0].avg_ms == pytest.approx(35.0)
    assert repo.time_per_node_type(ExecutionFilter(workflow_id=2), last=1000)[0].runs == 25


def test_hundred_thousand_rows_keyset_pages_and_indexed_range(db: Database) -> None:
    # Timings are in tests/benchmarks/bench_history.py; here: correctness at scale and plans.
    seed_executions(db, 100_000, workflows=[(1, "Alpha"), (2, "Beta")])
    repo = SqlExecutionRepository(db)
    rows = repo.page(ALL, limit=200)
    deep = repo.page(ALL, limit=200, before_id=50_000)
    assert rows[0].execution_id == 100_000 and deep[0].execution_id == 49_999
    assert len(deep) == 200 and deep[-1].execution_id == 49_800
    assert repo.count(ExecutionFilter(status="failed")) == 10_000
    plan = " ".join(str(r) for r in db.engine.connect().exec_driver_sql(
        "EXPLAIN QUERY PLAN SELECT id FROM executions WHERE started_at >= '2025-03-01' "
        "AND started_at < '2025-03-02'").all())
    assert "ix_executions_started_at" in plan


def test_schedule_filter_follows_the_jobs_of_that_schedule(db: Database) -> None:
    from agentic_desktop.engine.ports import NewJob, NewSchedule
    from agentic_desktop.store.job_repositories import SqlJobQueueRepository
    from agentic_desktop.store.schedule_repositories import SqlScheduleRepository

    schedules, queue = SqlScheduleRepository(db), SqlJobQueueRepository(db)
    repo = SqlExecutionRepository(db)
    now = datetime(2025, 6, 1, tzinfo=UTC)
    ids = [schedules.add(NewSchedule(workflow_id=1, trigger_type="manual", trigger_config={},
                                     created_at=now)).id for _ in range(2)]
    runs: dict[int, list[int]] = {ids[0]: [], ids[1]: []}
    for i in range(6):
        schedule_id = ids[i % 2]
        job = queue.enqueue(NewJob(workflow_id=1, scheduled_at=now, created_at=now,
                                   idempotency_key=f"k{i}", scheduled_job_id=schedule_id))
        assert job is not None
        runs[schedule_id].append(repo.start(
            workflow_id=1, workflow_name="Alpha", trigger="manual", idempotency_key=f"k{i}",
            payload={}, started_at=now, job_id=job.id))
    repo.start(workflow_id=1, workflow_name="Alpha", trigger="manual", idempotency_key="x",
               payload={}, started_at=now)  # an editor run: no job
    only = ExecutionFilter(schedule_id=ids[1])
    assert [r.execution_id for r in repo.page(only, limit=10)] == runs[ids[1]][::-1]
    assert repo.count(only) == 3 and repo.count(ALL) == 7
