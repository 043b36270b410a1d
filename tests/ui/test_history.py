"""History over real SQLite (issue 5, test 6): 100,000 executions open with one page fetched
and fetchMore brings the next; filters by workflow, status and date range; CSV export of the
filtered rows; new runs merged live at the top; the orders of a run found by client_order_id.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QObject, Signal
from PySide6.QtWidgets import QFileDialog

from agentic_desktop.domain.runs import ExecutionMetrics, ExecutionResult, NodeRun
from agentic_desktop.domain.trading import Order
from agentic_desktop.engine.executor import client_order_id
from agentic_desktop.engine.ports import ExecutionFilter
from agentic_desktop.engine.schemas import ScheduleCreate
from agentic_desktop.ui.history import view as history_view
from agentic_desktop.ui.history.detail import orders_of
from agentic_desktop.ui.history.export import CSV_COLUMNS
from agentic_desktop.ui.history.filters import local_midnight_utc
from agentic_desktop.ui.history.model import PAGE_SIZE
from agentic_desktop.ui.history.view import HistoryView
from agentic_desktop.ui.main_window import MainWindow
from tests.store.execution_seed import T0, seed_executions, status_of
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
ROWS = 100_000
STEP = timedelta(minutes=5)


def _seed(kit: Kit) -> list[tuple[int, str]]:
    names = [(s.id, s.workflow.name) for s in kit.services.workflows.list()]
    seed_executions(kit.db, ROWS, workflows=names, step=STEP, node_runs_for_last=300)
    return names


def _statuses(view: HistoryView) -> set[str]:
    return {r.status for r in view.model.rows}


def test_hundred_thousand_rows_open_with_one_page_and_fetch_more(
        engine_window: MainWindow, engine_kit: Kit, run_async: Run) -> None:
    _seed(engine_kit)
    window, view = engine_window, engine_window.history_view
    model = view.model

    async def scenario() -> None:
        assert model.rowCount() == 0 and not view.activated  # nothing read before shown
        window.show_area("History")
        await until(lambda: model.pages_fetched == 1)
        assert model.rowCount() == PAGE_SIZE
        assert model.rows[0].execution_id == ROWS and model.rows[-1].execution_id == ROWS - 199
        await until(lambda: model.total == ROWS)
        assert view.count_label.text() == "100,000 executions"
        assert model.canFetchMore()
        model.fetchMore()
        assert not model.canFetchMore()  # one page in flight at a time
        await until(lambda: model.pages_fetched == 2)
        assert model.rowCount() == 2 * PAGE_SIZE
        assert [r.execution_id for r in model.rows] == list(range(ROWS, ROWS - 400, -1))
        view.table.scrollToBottom()  # the view asks for more by itself at the end
        await until(lambda: model.rowCount() > 2 * PAGE_SIZE)
        assert model.rowCount() % PAGE_SIZE == 0 and model.rowCount() < ROWS
        assert model.index(0, 3).data() == status_of(ROWS)
        await until(lambda: view.charts is not None and view.charts.data is not None)
        assert len(view.charts.data.durations) == 1000
        assert {t.node_type for t in view.charts.data.node_types} >= {"indicator.rsi"}
        view.table.selectRow(0)
        await until(lambda: view.detail is not None and view.detail.result is not None)
        assert view.detail.result.execution_id == ROWS
        assert len(view.detail.gantt.rows) == 4

    run_async(engine_running(engine_kit, window, scenario, start=False))


def test_filters_by_workflow_status_and_date_range(
        engine_window: MainWindow, engine_kit: Kit, run_async: Run) -> None:
    names = _seed(engine_kit)
    window, view = engine_window, engine_window.history_view
    bar, model = view.filter_bar, view.model
    repo = admin(engine_kit).executions

    async def settle(expected_total: int) -> None:
        await until(lambda: model.total == expected_total and not model.loading)

    async def scenario() -> None:
        window.show_area("History")
        await settle(ROWS)
        bar.status.setCurrentIndex(bar.status.findData("failed"))
        await settle(ROWS // 10)
        assert _statuses(view) == {"failed"} and model.rowCount() == PAGE_SIZE
        workflow_id, _name = names[1]
        await until(lambda: bar.workflow.count() == len(names) + 1)  # loaded off-thread
        bar.workflow.setCurrentIndex(bar.workflow.findData(workflow_id))
        expected = repo.count(ExecutionFilter(workflow_id=workflow_id, status="failed"))
        await settle(expected)
        assert {r.workflow_id for r in model.rows} == {workflow_id}
        bar.status.setCurrentIndex(0)
        bar.workflow.setCurrentIndex(0)
        await settle(ROWS)
        first_day = (T0 + STEP * 5000).astimezone().date()
        bar.range.setCurrentText("Custom range")
        assert bar.date_from.isVisible()
        bar.date_from.setDate(QDate(first_day.year, first_day.month, first_day.day))
        bar.date_to.setDate(bar.date_from.date().addDays(1))  # two local days
        start = local_midnight_utc(first_day)
        end = local_midnight_utc(bar.date_to.date().toPython() + timedelta(days=1))
        in_range = [i for i in range(1, ROWS + 1) if start <= T0 + STEP * i < end]
        await settle(len(in_range))
        assert model.rows[0].execution_id == in_range[-1]
        assert all(start <= r.started_at < end for r in model.rows)
        bar.range.setCurrentText("Today")  # the seed is in 2025: nothing today
        await settle(0)
        assert model.rowCount() == 0 and not model.canFetchMore()

    run_async(engine_running(engine_kit, window, scenario, start=False))


class FakeFileDialog(QObject):
    """The file chooser is the user's side of the edge: this one records how it was asked
    and lets the test pick the file (the view's own code does the rest)."""

    fileSelected = Signal(str)  # noqa: N815 - QFileDialog's name
    AcceptMode = QFileDialog.AcceptMode

    def __init__(self, parent: QObject, _caption: str, directory: str, _filter: str) -> None:
        super().__init__(parent)
        self.directory, self.opened = directory, 0
        self.mode: QFileDialog.AcceptMode | None = None

    def setAcceptMode(self, mode: QFileDialog.AcceptMode) -> None:  # noqa: N802
        self.mode = mode

    def setDefaultSuffix(self, _suffix: str) -> None:  # noqa: N802
        pass

    def selectFile(self, _name: str) -> None:  # noqa: N802
        pass

    def open(self) -> None:
        self.opened += 1


def test_csv_export_writes_the_filtered_rows_off_the_gui_thread(
        engine_window: MainWindow, engine_kit: Kit, run_async: Run, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_view, "QFileDialog", FakeFileDialog)
    names = _seed(engine_kit)
    window, view = engine_window, engine_window.history_view
    exported: list[tuple[str, int]] = []
    view.exported.connect(lambda path, rows: exported.append((path, rows)))
    workflow_id, name = names[2]

    async def scenario() -> None:
        window.show_area("History")
        bar = view.filter_bar
        await until(lambda: view.model.total == ROWS)
        await until(lambda: bar.workflow.count() == len(names) + 1)  # loaded off-thread
        bar.workflow.setCurrentIndex(bar.workflow.findData(workflow_id))
        bar.status.setCurrentIndex(bar.status.findData("timed_out"))
        await until(lambda: view.model.total is not None and view.model.total < ROWS)
        view.export_dir = tmp_path
        view.choose_export_file()  # the non-blocking dialog; the user picks a file
        dialog = view.export_dialog
        assert isinstance(dialog, FakeFileDialog) and dialog.opened == 1
        assert dialog.mode == QFileDialog.AcceptMode.AcceptSave
        assert dialog.directory == str(tmp_path)
        target = tmp_path / "timed-out.csv"
        dialog.fileSelected.emit(str(target))
        await until(lambda: bool(exported))
        assert exported == [(str(target), view.model.total)]
        with target.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert tuple(rows[0]) == CSV_COLUMNS
        body = rows[1:]
        expected = [i for i in range(ROWS, 0, -1)
                    if names[i % len(names)][0] == workflow_id and status_of(i) == "timed_out"]
        assert [int(r[0]) for r in body] == expected
        first = dict(zip(CSV_COLUMNS, body[0], strict=True))
        assert first["workflow"] == name and first["status"] == "timed_out"
        started = datetime.fromisoformat(first["started_at_utc"])
        assert started == T0 + STEP * expected[0] and started.tzinfo is not None
        assert float(first["duration_ms"]) == 50.0 + (expected[0] % 37) * 10.0
        assert "Exported" in view.status_label.text()
        assert not (tmp_path / "timed-out.csv.part").exists()

    run_async(engine_running(engine_kit, window, scenario, start=False))


def test_new_runs_appear_at_the_top_live(
        engine_window: MainWindow, engine_kit: Kit, run_async: Run) -> None:
    window, view = engine_window, engine_window.history_view
    engine = admin(engine_kit)

    async def scenario() -> None:
        window.show_area("History")
        await until(lambda: view.model.pages_fetched == 1)
        assert view.model.rowCount() == 0
        jobs = [engine.scheduling.run_now(workflow_id=i) for i in (1, 2)]
        await until(lambda: view.model.rowCount() == 2
                    and _statuses(view) == {"completed"}, timeout=15)
        assert {r.job_id for r in view.model.rows} == {j.id for j in jobs}
        assert view.model.pages_fetched == 1  # merged at the top, not reloaded
        await until(lambda: view.count_label.text() == "2 executions")

    run_async(engine_running(engine_kit, window, scenario))


def test_orders_of_a_run_are_found_by_client_order_id() -> None:
    key = "schedule:3:2025-06-01T09:00:00+00:00"
    at = datetime(2025, 6, 1, 9, tzinfo=UTC)
    placed = client_order_id(key, "order")
    closing = client_order_id(key, "close") + ":0"
    summary = {"order": {"id": 7, "client_order_id": placed, "symbol": "EURUSD", "side": "buy",
                         "type": "market", "volume": 0.1, "status": "pending",
                         "fill_price": None, "reason": ""}}
    result = ExecutionResult(
        workflow_id=1, workflow_name="W", status="completed", started_at=at, finished_at=at,
        idempotency_key=key, metrics=ExecutionMetrics(
            total_nodes=2, successful_nodes=2, failed_nodes=0, total_time_ms=1.0,
            avg_node_time_ms=0.5, memory_used_mb=1.0),
        node_runs=(NodeRun(node_id="order", node_type="order.place", status="succeeded",
                           started_at=at, output_summary=summary),
                   NodeRun(node_id="close", node_type="order.close", status="succeeded",
                           started_at=at, output_summary={"closed": 1.0})))

    def order(cid: str, status: str, fill: float | None) -> Order:
        return Order(id=1, client_order_id=cid, symbol="EURUSD", side="buy", volume=0.1,
                     type="market", status=status, created_at=at, fill_price=fill)  # type: ignore[arg-type]

    recent = [order(placed, "filled", 1.1), order(closing, "filled", 1.2),
              order(client_order_id("other-run", "order"), "filled", 1.0)]
    found = {o.client_order_id: o for o in orders_of(result, recent)}
    assert set(found) == {placed, closing}
    assert found[placed].status == "filled" and found[placed].fill_price == 1.1  # live state
    assert found[closing].node_id == "close"


def test_open_history_of_one_schedule_from_the_schedules_view(
        engine_window: MainWindow, engine_kit: Kit, run_async: Run) -> None:
    window, view = engine_window, engine_window.history_view
    scheduling = admin(engine_kit).scheduling
    mine, other = (scheduling.create_schedule(ScheduleCreate(
        workflow_id=wf_id, trigger_type="manual", name=name)).schedule.id
        for wf_id, name in ((1, "mine"), (3, "other")))

    async def scenario() -> None:
        jobs = [scheduling.run_now(schedule_id=s) for s in (mine, other, mine)]
        await until(lambda: all(scheduling.get_job(j.id).status == "completed" for j in jobs),
                    timeout=15)
        assert window.schedules_view is not None
        window.schedules_view.open_history.emit(mine)  # the Schedules view's History action
        assert window.current_area() == "History"
        await until(lambda: view.model.total == 2 and not view.model.loading)
        assert {r.job_id for r in view.model.rows} == {jobs[0].id, jobs[2].id}
        assert view.filter_bar.schedule_chip.isVisible()
        view.filter_bar.schedule_chip.click()  # back to every run
        await until(lambda: view.model.total == 3 and not view.model.loading)
        assert not view.filter_bar.schedule_chip.isVisible()

    run_async(engine_running(engine_kit, window, scenario))
