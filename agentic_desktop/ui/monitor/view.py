"""The Queue page: header cards, the live job table with filters and context actions, and
the queue chart. One initial load when first shown, then engine events drive every update:
an event marks its job dirty, and a short debounce re-reads just those jobs and the queue
status off the GUI thread (no polling loop over the database)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from agentic_desktop.domain.errors import NotFoundError
from agentic_desktop.domain.jobs import QueuedJob, QueueStatus
from agentic_desktop.engine.events import (
    Event,
    JobFinished,
    JobQueued,
    JobStarted,
    LimitHit,
    ScheduleChanged,
    SchedulePaused,
)
from agentic_desktop.engine.ports import WorkflowRepository
from agentic_desktop.ui.bridge import EngineBridge
from agentic_desktop.ui.empty_state import EmptyState
from agentic_desktop.ui.monitor.actions import JobActionsMixin
from agentic_desktop.ui.monitor.cards import StatusCards
from agentic_desktop.ui.monitor.format import (
    charts_ready,
    loop_running,
    preload_charts_soon,
    read_off_thread,
    view_stylesheet,
)
from agentic_desktop.ui.monitor.jobs_model import (
    STATUS_FILTERS,
    JobsFilter,
    JobsModel,
)
from agentic_desktop.ui.monitor.series import FINISHED, QueueSeries
from agentic_desktop.ui.services import EngineAdmin

INITIAL_JOBS = 500
DEBOUNCE_MS = 40
EMPTY_TITLE = "Nothing queued"
EMPTY_BODY = ("Schedule a workflow or press Run now in the editor: its jobs appear here "
              "live with their status, attempts and timing, and finished runs open in "
              "History.")


class QueueMonitorView(JobActionsMixin, QWidget):
    open_execution = Signal(int)  # execution id

    def __init__(self, engine: EngineAdmin | None, workflows: WorkflowRepository,
                 bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("QueueMonitor")
        self.engine = engine
        self.workflows = workflows
        self.bridge = bridge
        self.model = JobsModel(self)
        self.proxy = JobsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.series = QueueSeries()
        self.chart: Any = None  # QueueChart, built on first show (pyqtgraph is imported then)
        self._chart_task: asyncio.Task[Any] | None = None
        self.loaded = False
        self.loading = False
        self.updates = 0  # event-driven refreshes applied (tests and benchmarks read it)
        self._dirty: set[int] = set()
        self._flushing = False
        self._build()
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._flush)
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self._on_tick)
        self._ticks = 0
        bridge.engine_event.connect(self._on_event)
        self._restyle()
        preload_charts_soon(self)

    # -- construction --------------------------------------------------------------------

    def _build(self) -> None:
        self.cards = StatusCards()
        self.status_filter = QComboBox()
        for label, statuses in STATUS_FILTERS:
            self.status_filter.addItem(label, statuses)
        self.status_filter.currentIndexChanged.connect(
            lambda i: self.proxy.set_statuses(self.status_filter.itemData(i)))
        self.workflow_filter = QComboBox()
        self.workflow_filter.addItem("All workflows", None)
        self.workflow_filter.setMinimumWidth(200)
        self.workflow_filter.currentIndexChanged.connect(
            lambda i: self.proxy.set_workflow(self.workflow_filter.itemData(i)))
        self.buttons = {
            "cancel": QPushButton("Cancel job"),
            "retry": QPushButton("Retry"),
            "open": QPushButton("Open execution"),
        }
        self.buttons["cancel"].clicked.connect(self.cancel_selected)
        self.buttons["retry"].clicked.connect(self.retry_selected)
        self.buttons["open"].clicked.connect(self.open_selected_execution)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show"))
        bar.addWidget(self.status_filter)
        bar.addWidget(self.workflow_filter)
        bar.addStretch(1)
        for button in self.buttons.values():
            bar.addWidget(button)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for col, width in enumerate((56, 190, 90, 60, 64, 64, 76, 150, 150, 80)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_context_menu)
        self.table.doubleClicked.connect(lambda _i: self.open_selected_execution())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.empty = EmptyState(EMPTY_TITLE, EMPTY_BODY)
        if self.engine is None:
            self.empty = EmptyState("The engine is not available",
                                    "The queue is shown when the scheduler and workers run.")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        self.stack.setCurrentWidget(self.empty)
        self.chart_holder = QWidget()
        QVBoxLayout(self.chart_holder).setContentsMargins(0, 0, 0, 0)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.chart_holder)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        title = QLabel("Job queue")
        title.setObjectName("PageTitle")
        self.live_note = QLabel("Live from the engine")
        self.live_note.setObjectName("Hint")
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(self.live_note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addWidget(self.cards)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)
        self._update_buttons()

    # -- life cycle ----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self.activate()
        self._tick.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        super().hideEvent(event)
        self._tick.stop()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            # The theme's name is set after its palette: restyle once it is.
            QTimer.singleShot(0, self, self._restyle)

    def _restyle(self) -> None:
        self.setStyleSheet(view_stylesheet())
        if self.chart is not None:
            self.chart.restyle()
        self.table.viewport().update()

    def activate(self) -> None:
        """First show: load the recent jobs once; build the chart once pyqtgraph is in."""
        if not loop_running():
            return  # shown before the loop runs: the next show activates
        if self.engine is not None and not self.loaded and not self.loading:
            self.reload()
        if self._chart_task is None:
            self._chart_task = self.bridge.run_task(self._build_chart(),
                                                    title="The queue chart failed")

    async def _build_chart(self) -> None:
        await charts_ready()
        if not shiboken6.isValid(self):
            return
        from agentic_desktop.ui.monitor.chart import QueueChart

        self.chart = QueueChart(self.series)
        holder = self.chart_holder.layout()
        assert holder is not None
        holder.addWidget(self.chart)
        self.splitter.setSizes([420, 200])

    def reload(self) -> asyncio.Task[Any] | None:
        if self.engine is None:
            return None
        self.loading = True
        scheduling, workflows = self.engine.scheduling, self.workflows

        def read() -> tuple[dict[int, str], list[QueuedJob], QueueStatus]:
            names = {s.id: s.workflow.name for s in workflows.list()}
            return names, scheduling.jobs(limit=INITIAL_JOBS), scheduling.queue_status()

        def loaded(result: tuple[dict[int, str], list[QueuedJob], QueueStatus]) -> None:
            names, jobs, status = result
            self.loading, self.loaded = False, True
            self.model.set_workflow_names(names)
            self.model.set_jobs(jobs)
            self._fill_workflow_filter(names)
            self.series.backfill(jobs, datetime.now(UTC))
            self._show_status(status)
            self._update_empty()
            if self._dirty:
                self._debounce.start()

        def failed(_message: str) -> None:
            self.loading = False

        return read_off_thread(self.bridge, self, read, on_done=loaded, on_error=failed,
                               title="Loading the queue failed")

    def _fill_workflow_filter(self, names: dict[int, str]) -> None:
        current = self.workflow_filter.currentData()
        self.workflow_filter.blockSignals(True)
        self.workflow_filter.clear()
        self.workflow_filter.addItem("All workflows", None)
        for workflow_id, name in sorted(names.items(), key=lambda kv: kv[1].lower()):
            self.workflow_filter.addItem(name, workflow_id)
        index = max(self.workflow_filter.findData(current), 0)
        self.workflow_filter.setCurrentIndex(index)
        self.workflow_filter.blockSignals(False)

    # -- engine events -------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if isinstance(event, JobQueued | JobStarted | JobFinished):
            self._dirty.add(event.job_id)
            if self.loaded:
                self.model.apply_event(event)
                self._update_empty()
                self._update_buttons()
            if isinstance(event, JobFinished) and event.status in FINISHED:
                self.series.record_finished(event.time)
        elif not isinstance(event, LimitHit | ScheduleChanged | SchedulePaused):
            return
        if self.loaded:
            self._debounce.start()

    def _flush(self) -> None:
        if self.engine is None or self._flushing:
            if self._flushing:
                self._debounce.start()
            return
        ids, self._dirty = sorted(self._dirty), set()
        scheduling, workflows, known = self.engine.scheduling, self.workflows, self.model

        def read() -> tuple[list[QueuedJob], QueueStatus, dict[int, str]]:
            jobs = [scheduling.get_job(i) for i in ids]
            names: dict[int, str] = {}
            for wf_id in {j.workflow_id for j in jobs}:
                if known.workflow_name(wf_id) == f"workflow {wf_id}":
                    try:
                        names[wf_id] = workflows.get(wf_id).workflow.name
                    except NotFoundError:  # deleted meanwhile: keep showing its id
                        continue
            return jobs, scheduling.queue_status(), names

        def apply(result: tuple[list[QueuedJob], QueueStatus, dict[int, str]]) -> None:
            self._flushing = False
            jobs, status, names = result
            if names:
                merged = {**{j.workflow_id: self.model.workflow_name(j.workflow_id)
                             for j in self.model.jobs()}, **names}
                self.model.set_workflow_names(merged)
                self._fill_workflow_filter(merged)
            for job in jobs:
                self.model.upsert(job)
            self._show_status(status)
            self._update_empty()
            self._update_buttons()
            self.updates += 1

        def failed(_message: str) -> None:
            self._flushing = False

        self._flushing = True
        read_off_thread(self.bridge, self, read, on_done=apply, on_error=failed,
                        title="Updating the queue failed")

    def _show_status(self, status: QueueStatus) -> None:
        self.cards.show_status(status)
        self.series.record_depth(datetime.now(UTC), status.pending + status.retrying)
        if self.chart is not None:
            self.chart.redraw()

    def _on_tick(self) -> None:
        self.model.tick()
        self._ticks += 1
        if self._ticks % 15 == 0 and self.chart is not None:
            self.chart.redraw()  # slide the one-hour window
        if self._ticks % 60 == 0 and self.loaded:
            self._debounce.start()  # today's counters roll over at midnight

    def _update_empty(self) -> None:
        self.stack.setCurrentWidget(self.table if self.model.rowCount() else self.empty)

    def _changed(self, job: QueuedJob) -> None:
        self.model.upsert(job)
        self._dirty.add(job.id)  # the status cards and chart follow
        self._debounce.start()
        self._update_buttons()

