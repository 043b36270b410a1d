"""The History page: filters, the lazily paged executions table, the detail pane of the
selected run, performance charts, and CSV export.

Nothing is read until the page is first shown; then every read (pages, counts, chart
aggregates, one execution's detail, the export) runs in a worker thread. New runs appear
from engine events (RunStarted/RunFinished), merged at the top of the table."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from agentic_desktop.domain.runs import ExecutionResult
from agentic_desktop.engine.events import Event, JobFinished, RunFinished, RunStarted
from agentic_desktop.engine.ports import ExecutionFilter, WorkflowRepository
from agentic_desktop.ui.bridge import EngineBridge
from agentic_desktop.ui.empty_state import EmptyState
from agentic_desktop.ui.history.export import write_csv
from agentic_desktop.ui.history.filters import HistoryFilterBar
from agentic_desktop.ui.history.model import ROW_ROLE, ExecutionsModel
from agentic_desktop.ui.monitor.format import (
    charts_ready,
    loop_running,
    preload_charts_soon,
    read_off_thread,
    view_stylesheet,
)
from agentic_desktop.ui.services import EngineAdmin

HEAD_DEBOUNCE_MS = 250
CHARTS_DEBOUNCE_MS = 2000
RECENT_ORDERS = 500


class HistoryView(QWidget):
    exported = Signal(str, int)  # path, rows
    detail_shown = Signal(int)  # execution id
    charts_loaded = Signal()

    def __init__(self, engine: EngineAdmin | None, workflows: WorkflowRepository,
                 bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("HistoryView")
        self.engine = engine
        self.workflows = workflows
        self.bridge = bridge
        self.model = ExecutionsModel(engine.executions if engine else None, bridge, self)
        self.detail: Any = None  # ExecutionDetail and MetricsCharts import pyqtgraph:
        self.charts: Any = None  # built on first show
        self.activated = False
        self._graphs: asyncio.Task[Any] | None = None
        self.export_dialog: QFileDialog | None = None
        self.export_dir = Path.home()
        self._detail_request = 0
        self._pending_select: int | None = None
        self._build()
        self._head_timer = QTimer(self, singleShot=True, interval=HEAD_DEBOUNCE_MS)
        self._head_timer.timeout.connect(self.model.refresh_head)
        self._charts_timer = QTimer(self, singleShot=True, interval=CHARTS_DEBOUNCE_MS)
        self._charts_timer.timeout.connect(self.load_charts)
        bridge.engine_event.connect(self._on_event)
        self.model.count_changed.connect(self._show_count)
        self.model.page_loaded.connect(lambda _n: self._select_pending())
        self.setStyleSheet(view_stylesheet())
        preload_charts_soon(self)

    def _build(self) -> None:
        title = QLabel("Execution history")
        title.setObjectName("PageTitle")
        self.count_label = QLabel("")
        self.count_label.setObjectName("Hint")
        self.status_label = QLabel("")
        self.status_label.setObjectName("Hint")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.apply_filters)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save the executions matching the filters as CSV")
        self.export_button.clicked.connect(self.choose_export_file)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addSpacing(12)
        head.addWidget(self.count_label)
        head.addStretch(1)
        head.addWidget(self.status_label)
        head.addWidget(self.refresh_button)
        head.addWidget(self.export_button)
        self.filter_bar = HistoryFilterBar()
        self.filter_bar.changed.connect(self.apply_filters)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for col, width in enumerate((136, 152, 62, 80, 64, 62, 48, 66)):
            header.resizeSection(col, width)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.detail_holder = QWidget()
        QVBoxLayout(self.detail_holder).setContentsMargins(0, 0, 0, 0)
        self.charts_holder = QWidget()
        QVBoxLayout(self.charts_holder).setContentsMargins(0, 0, 0, 0)
        self.top = QSplitter(Qt.Orientation.Horizontal)
        self.top.addWidget(self.table)
        self.top.addWidget(self.detail_holder)
        self.top.setStretchFactor(0, 3)
        self.top.setStretchFactor(1, 2)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.top)
        self.split.addWidget(self.charts_holder)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 1)
        self.split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addLayout(head)
        layout.addWidget(self.filter_bar)
        if self.engine is None:
            layout.addWidget(EmptyState("History is not available",
                                        "Past runs are listed here when the engine runs."), 1)
            self.split.hide()
        layout.addWidget(self.split, 1)

    # -- life cycle ----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self.activate()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            QTimer.singleShot(0, self, self._restyle)

    def _restyle(self) -> None:
        self.setStyleSheet(view_stylesheet())
        for part in (self.detail, self.charts):
            if part is not None:
                part.restyle()
        self.table.viewport().update()

    def activate(self) -> None:
        """First show: the first page at once; the detail pane and charts once pyqtgraph
        is imported (in a worker thread, see format.charts_ready)."""
        if self.activated or self.engine is None or not loop_running():
            return
        self.activated = True
        first_page = asyncio.Event()
        self.model.page_loaded.connect(lambda _n: first_page.set())
        self.reload_workflows()
        self.apply_filters()
        self._graphs = self.bridge.run_task(self._build_graphs(first_page),
                                            title="The history charts failed")

    async def _build_graphs(self, first_page: asyncio.Event) -> None:
        await charts_ready()
        with contextlib.suppress(TimeoutError):  # rows first, then the heavier widgets
            await asyncio.wait_for(first_page.wait(), 2.0)
        if not shiboken6.isValid(self):
            return
        from agentic_desktop.ui.history.charts import MetricsCharts
        from agentic_desktop.ui.history.detail import ExecutionDetail

        # One part per loop turn: each builds and paints in its own short frame.
        self.detail = ExecutionDetail()
        self._place(self.detail_holder, self.detail)
        self.top.setSizes([700, 580])
        await asyncio.sleep(0.03)
        if not shiboken6.isValid(self):
            return
        self.charts = MetricsCharts()
        self._place(self.charts_holder, self.charts)
        self.split.setSizes([560, 220])
        self.load_charts()

    @staticmethod
    def _place(holder: QWidget, part: QWidget) -> None:
        box = holder.layout()
        assert box is not None
        box.addWidget(part)

    def reload_workflows(self) -> None:
        workflows = self.workflows

        def names() -> list[tuple[int, str]]:
            return [(s.id, s.workflow.name) for s in workflows.list()]

        read_off_thread(self.bridge, self, names, on_done=self.filter_bar.set_workflows)

    # -- filters, table, charts ----------------------------------------------------------

    def current_filters(self) -> ExecutionFilter:
        return self.filter_bar.filters()

    def apply_filters(self) -> None:
        if not self.activated:
            return
        self.count_label.setText("counting…")
        self.model.set_filter(self.current_filters())
        self.load_charts()

    def _show_count(self, total: int) -> None:
        self.count_label.setText(f"{total:,} execution{'s' if total != 1 else ''}")

    def load_charts(self) -> None:
        if self.engine is None or self.charts is None:
            return
        from agentic_desktop.ui.history.charts import MetricsData

        repo, filters = self.engine.executions, self.current_filters()
        offset = datetime.now().astimezone().utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset else 0

        def read() -> MetricsData:
            return MetricsData(durations=repo.duration_series(filters, limit=1000),
                               days=repo.daily_outcomes(filters, days=30,
                                                        utc_offset_minutes=minutes),
                               node_types=repo.time_per_node_type(filters, last=1000))

        def loaded(data: MetricsData) -> None:
            self.charts.show_data(data)
            self.charts_loaded.emit()

        read_off_thread(self.bridge, self, read, on_done=loaded)

    def _on_event(self, event: Event) -> None:
        if not self.activated:
            return
        if isinstance(event, RunStarted | RunFinished | JobFinished):
            self._head_timer.start()
        if isinstance(event, RunFinished):
            if not self._charts_timer.isActive():
                self._charts_timer.start()
            shown = self.detail.result if self.detail is not None else None
            if shown is not None and shown.execution_id == event.result.execution_id:
                self.show_execution(shown.execution_id)

    # -- detail --------------------------------------------------------------------------

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = current.data(ROW_ROLE) if current.isValid() else None
        if row is not None:
            self.show_execution(row.execution_id)

    def show_execution(self, execution_id: int) -> asyncio.Task[Any] | None:
        if self.engine is None:
            return None
        self.activate()
        self._detail_request += 1
        request, engine = self._detail_request, self.engine

        async def load() -> tuple[ExecutionResult, list[Any]]:
            from agentic_desktop.ui.history.detail import orders_of

            if self._graphs is not None:
                await asyncio.shield(self._graphs)  # the detail pane exists from here on
            result = await asyncio.to_thread(engine.scheduling.get_execution, execution_id)
            recent = await engine.broker.recent_orders(RECENT_ORDERS)
            return result, orders_of(result, recent)

        def shown(value: tuple[ExecutionResult, list[Any]]) -> None:
            if (shiboken6.isValid(self) and request == self._detail_request
                    and self.detail is not None):
                self.detail.show_execution(*value)
                self.detail_shown.emit(execution_id)

        return self.bridge.run_task(load(), title="Opening the execution failed",
                                    on_done=shown)

    def open_execution(self, execution_id: int) -> None:
        """From the queue monitor: all executions, that one selected and shown."""
        self.activate()
        self._pending_select = execution_id
        self.filter_bar.reset()
        self.show_execution(execution_id)

    def open_history(self, schedule_id: int, label: str = "") -> None:
        """From the Schedules view: only that schedule's runs."""
        self.activate()
        self.filter_bar.set_schedule(schedule_id, label)

    def _select_pending(self) -> None:
        if self._pending_select is None:
            return
        row = self.model.row_of(self._pending_select)
        if row is not None:
            self._pending_select = None
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    # -- export --------------------------------------------------------------------------

    def choose_export_file(self) -> None:
        """Ask where to save (non-blocking). One dialog per view, reused: creating and
        deleting file dialogs (each with its own file-system model and watcher threads) is
        what the export must not cost."""
        if self.export_dialog is None:
            dialog = QFileDialog(self, "Export executions as CSV", str(self.export_dir),
                                 "CSV files (*.csv)")
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setDefaultSuffix("csv")
            dialog.fileSelected.connect(lambda path: self.export_to(Path(path)))
            self.export_dialog = dialog
        self.export_dialog.selectFile("executions.csv")
        self.export_dialog.open()

    def export_to(self, path: Path) -> asyncio.Task[Any] | None:
        if self.engine is None:
            return None
        repo, filters = self.engine.executions, self.current_filters()
        self.export_button.setEnabled(False)
        self.status_label.setText("Exporting…")

        def done(rows: int) -> None:
            self.export_button.setEnabled(True)
            self.status_label.setText(f"Exported {rows:,} rows to {path.name}")
            self.exported.emit(str(path), rows)

        def failed(_message: str) -> None:
            self.export_button.setEnabled(True)
            self.status_label.setText("Export failed")

        return read_off_thread(self.bridge, self, write_csv, repo, filters, path,
                               on_done=done, on_error=failed, title="CSV export failed")
