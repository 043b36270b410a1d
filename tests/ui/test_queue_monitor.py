"""Queue monitor over the real engine (issue 5, tests 2 and 3): an interval schedule's jobs
appear live from engine events and end up in History with their node runs; cancel and retry
through the monitor's context actions; the empty state; the in-memory queue chart series."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtWidgets import QMenu

from agentic_desktop.domain.jobs import QueuedJob
from agentic_desktop.domain.nodespec import NodeSpec
from agentic_desktop.domain.workflow import Node, Workflow
from agentic_desktop.engine.ports import NodeImpl
from agentic_desktop.engine.schemas import ScheduleCreate
from agentic_desktop.ui.main_window import MainWindow
from agentic_desktop.ui.monitor.series import QueueSeries
from agentic_desktop.ui.monitor.view import QueueMonitorView
from tests.ui.conftest import until
from tests.ui.engine_fixtures import (  # noqa: F401
    admin,
    collect_on_the_gui_thread,
    engine_kit,
    engine_running,
    engine_window,
)
from tests.ui.services_kit import Kit

Run = Callable[[Coroutine[Any, Any, Any]], Any]


def _action(menu: QMenu, text: str) -> Any:
    return next(a for a in menu.actions() if a.text() == text)


def _job(view: QueueMonitorView, job_id: int) -> QueuedJob | None:
    row = view.model.row_of(job_id)
    return None if row is None else view.model.job(row)


def test_interval_schedule_fires_live_into_the_monitor_and_history(
        engine_window: MainWindow, engine_kit: Kit, run_async: Run) -> None:
    window, engine = engine_window, admin(engine_kit)
    monitor, history = window.queue_view, window.history_view
    seen: list[tuple[int, str]] = []  # (job id, status) as rows appeared or changed

    def watch(*_args: Any) -> None:
        for job in monitor.model.jobs():
            if (job.id, job.status) not in seen:
                seen.append((job.id, job.status))

    monitor.model.rowsInserted.connect(watch)
    monitor.model.dataChanged.connect(watch)

    async def scenario() -> None:
        window.show_area("Queue")
        await until(lambda: monitor.loaded)
        assert monitor.stack.currentWidget() is monitor.empty
        assert monitor.empty.title.text() == "Nothing queued"
        assert "Schedule a workflow or press Run now" in monitor.empty.body.text()
        loads_before = monitor.updates
        saved = engine.scheduling.create_schedule(ScheduleCreate(
            workflow_id=1, trigger_type="time", trigger_config={"interval_seconds": 1},
            name="every second"))
        schedule_id = saved.schedule.id
        await until(lambda: sum(j.status == "completed" and j.scheduled_job_id == schedule_id
                                for j in monitor.model.jobs()) >= 2, timeout=20)
        engine.scheduling.toggle_schedule(schedule_id, False)
        assert monitor.stack.currentWidget() is monitor.table
        assert monitor.updates > loads_before  # event-driven refreshes, no reload
        first = min(j.id for j in monitor.model.jobs())
        states = [status for job_id, status in seen if job_id == first]
        assert states[0] == "pending" and states[-1] == "completed"
        assert "running" in states  # live from JobStarted, before the run finished
        await until(lambda: int(monitor.cards.cards["completed"].value.text()) >= 2)
        assert monitor.series.throughput(datetime.now(UTC))[1][-1] >= 1
        job = _job(monitor, first)
        assert job is not None and job.execution_id is not None
        assert monitor.select_job(first)
        menu = monitor.context_menu(job)
        assert not _action(menu, "Cancel job").isEnabled()
        _action(menu, "Open execution").trigger()
        assert window.current_area() == "History"
        await until(lambda: history.detail is not None and history.detail.result is not None
                    and history.detail.result.execution_id == job.execution_id)
        result = history.detail.result
        assert result.status == "completed" and len(result.node_runs) >= 3
        assert history.detail.nodes.topLevelItemCount() == len(result.node_runs)
        assert [r[0] for r in history.detail.gantt.rows] == [n.node_id for n in
                                                             result.node_runs]
        await until(lambda: history.model.row_of(job.execution_id) is not None)
        row = history.model.rows[history.model.row_of(job.execution_id)]
        assert row.trigger == "time" and row.successful_nodes == result.metrics.successful_nodes

    run_async(engine_running(engine_kit, window, scenario))


def test_cancel_a_pending_job_then_retry_it_from_the_context_menu(
        engine_window: MainWindow, engine_kit: Kit, run_async: Run) -> None:
    window, engine = engine_window, admin(engine_kit)
    monitor = window.queue_view

    async def scenario() -> None:
        window.show_area("Queue")  # the engine is not started: the job stays pending
        await until(lambda: monitor.loaded)
        job = engine.scheduling.run_now(workflow_id=2)
        await until(lambda: _job(monitor, job.id) is not None)
        assert _job(monitor, job.id).status == "pending"  # type: ignore[union-attr]
        await until(lambda: monitor.cards.cards["pending"].value.text() == "1")
        menu = monitor.context_menu(_job(monitor, job.id))  # type: ignore[arg-type]
        assert not _action(menu, "Retry").isEnabled()
        assert not _action(menu, "Open execution").isEnabled()
        _action(menu, "Cancel job").trigger()
        await until(lambda: _job(monitor, job.id).status == "cancelled")  # type: ignore[union-attr]
        assert engine.scheduling.get_job(job.id).status == "cancelled"
        await until(lambda: monitor.cards.cards["pending"].value.text() == "0")

        monitor.select_job(job.id)
        assert monitor.buttons["retry"].isEnabled()
        menu = monitor.context_menu(_job(monitor, job.id))  # type: ignore[arg-type]
        _action(menu, "Retry").trigger()
        await until(lambda: _job(monitor, job.id).status == "pending")  # type: ignore[union-attr]
        await engine_kit.services.start_engine()
        await until(lambda: _job(monitor, job.id).status == "completed",  # type: ignore[union-attr]
                    timeout=15)
        done = _job(monitor, job.id)
        assert done is not None and done.execution_id is not None
        monitor.select_job(job.id)
        assert monitor.buttons["open"].isEnabled() and not monitor.buttons["cancel"].isEnabled()

    run_async(engine_running(engine_kit, window, scenario, start=False))


def test_failed_job_retried_from_the_monitor_runs_again(
        engine_window: MainWindow, engine_kit: Kit, run_async: Run) -> None:
    window, engine = engine_window, admin(engine_kit)
    monitor = window.queue_view
    broken = engine_kit.services.workflows.add(Workflow(name="Broken", nodes=(
        Node(id="candles", type="market.candles", params={"symbol": "NOSUCH"}),)))

    async def scenario() -> None:
        window.show_area("Queue")
        await until(lambda: monitor.loaded)
        job = engine.scheduling.run_now(workflow_id=broken.id)
        await until(lambda: (_job(monitor, job.id) or job).status == "failed", timeout=15)
        failed = _job(monitor, job.id)
        assert failed is not None and failed.error_message
        error_cell = monitor.model.index(monitor.model.row_of(job.id), 10).data()
        assert "NOSUCH" in error_cell or error_cell == failed.error_message.splitlines()[0]
        monitor.select_job(job.id)
        monitor.retry_selected()
        await until(lambda: (_job(monitor, job.id) or job).attempt == 2
                    and _job(monitor, job.id).status == "failed",  # type: ignore[union-attr]
                    timeout=15)
        monitor.status_filter.setCurrentIndex(6)  # failed or timed out
        assert monitor.proxy.rowCount() == 1
        monitor.status_filter.setCurrentIndex(5)  # completed
        assert monitor.proxy.rowCount() == 0
        monitor.status_filter.setCurrentIndex(0)
        index = monitor.workflow_filter.findData(broken.id)
        assert index > 0
        monitor.workflow_filter.setCurrentIndex(index)
        assert monitor.proxy.rowCount() == 1

    run_async(engine_running(engine_kit, window, scenario))


def test_queue_series_backfills_the_last_hour_and_follows_events() -> None:
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

    def job(i: int, created: int, started: int | None, done: int | None,
            status: str) -> QueuedJob:
        at = lambda m: None if m is None else now - timedelta(minutes=m)  # noqa: E731
        return QueuedJob(id=i, workflow_id=1, status=status, created_at=at(created),  # type: ignore[arg-type]
                         scheduled_at=at(created), started_at=at(started),
                         completed_at=at(done))

    series = QueueSeries()
    series.backfill([
        job(1, 90, 80, 79, "completed"),  # before the window: nothing
        job(2, 30, 20, 19, "completed"),
        job(3, 10, None, None, "pending"),
        job(4, 5, 4, 3, "failed"),
    ], now)
    xs, ys = series.depth_steps(now)
    assert ys[0] == 0 and ys[-1] == 1 and xs[-1] == now.timestamp()
    assert max(ys) == 2  # jobs 3 and 4 both waited between 5 and 4 minutes ago
    bins, counts = series.throughput(now)
    assert sum(counts) == 2 and len(bins) == 60
    series.record_finished(now)
    series.record_depth(now, 3)
    assert sum(series.throughput(now)[1]) == 3 and series.current_depth() == 3
    later = now + timedelta(minutes=50)
    assert sum(series.throughput(later)[1]) == 2  # job 2 slid out of the hour


def test_cancel_a_running_job_from_the_monitor(
        engine_window: MainWindow, engine_kit: Kit, run_async: Run) -> None:
    """A test-only node holds its run until released, so the job is reliably running."""
    window, engine = engine_window, admin(engine_kit)
    monitor = window.queue_view
    entered = asyncio.Event()

    async def hold(_ctx: Any) -> dict[str, Any]:
        entered.set()
        await asyncio.sleep(60)  # cancelled long before
        return {}

    catalog = engine_kit.services.catalog
    catalog.add(NodeImpl(spec=NodeSpec(type_id="test.hold", version=1, category="Notifications",  # type: ignore[attr-defined]
                                       title="Hold"), run=hold))
    held = engine_kit.services.workflows.add(Workflow(name="Held", nodes=(
        Node(id="hold", type="test.hold"),)))

    async def scenario() -> None:
        window.show_area("Queue")
        await until(lambda: monitor.loaded)
        job = engine.scheduling.run_now(workflow_id=held.id)
        await entered.wait()
        await until(lambda: (_job(monitor, job.id) or job).status == "running")
        monitor.select_job(job.id)
        await asyncio.sleep(1.1)  # the elapsed column ticks while it runs
        elapsed = monitor.model.index(monitor.model.row_of(job.id), 9).data()
        assert elapsed.endswith(" s") and float(elapsed.split()[0]) >= 1.0
        menu = monitor.context_menu(_job(monitor, job.id))  # type: ignore[arg-type]
        assert not _action(menu, "Retry").isEnabled()
        _action(menu, "Cancel job").trigger()
        await until(lambda: (_job(monitor, job.id) or job).status == "cancelled", timeout=15)
        assert engine.scheduling.get_job(job.id).status == "cancelled"
        await until(lambda: monitor.cards.cards["running"].value.text() == "0")

    run_async(engine_running(engine_kit, window, scenario))
