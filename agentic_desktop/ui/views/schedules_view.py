"""Schedules view: every schedule with its trigger, next and last run, counts and state
(active, paused, auto-paused with the reason), and the actions on it: new, edit,
pause/resume, run now, delete (confirmed without blocking) and open history.

Live: the bridge's engine events name the schedule that changed, and only that row is read
again. `open_history(schedule_id)` is for the History view to take."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.jobs import ScheduledJob
from agentic_desktop.engine.events import Event, JobFinished, ScheduleChanged, SchedulePaused
from agentic_desktop.ui.bridge import EngineBridge
from agentic_desktop.ui.empty_state import EmptyState
from agentic_desktop.ui.services import EngineAdmin, UiServices
from agentic_desktop.ui.views.schedules_model import ScheduleRow, SchedulesModel

EMPTY_TITLE = "Nothing scheduled yet"
EMPTY_BODY = ("Schedule a workflow to run on a cron, every few minutes, when a price or an "
              "indicator crosses a level, on a webhook (TradingView) or by hand from the "
              "tray. Schedules keep running while the window is closed to the tray.")


class SchedulesView(QWidget):
    open_history = Signal(int)  # schedule id
    message = Signal(str)  # status-bar text
    error = Signal(str, str)  # (title, message)

    def __init__(self, services: UiServices, bridge: EngineBridge,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        assert services.engine is not None, "the schedules view needs the engine"
        self.services = services
        self.engine: EngineAdmin = services.engine
        self.model = SchedulesModel()
        self.dialog: QWidget | None = None
        self._names: dict[int, str] = {}
        self._build()
        bridge.engine_event.connect(self._on_event)
        self.reload()

    # -- construction --------------------------------------------------------------------

    def _action(self, text: str, slot: object, tip: str) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.triggered.connect(lambda _c=False: slot())  # type: ignore[operator]
        return action

    def _build(self) -> None:
        self.actions_by_name = {
            "new": self._action("New schedule…", self.new_schedule, "Schedule a workflow"),
            "edit": self._action("Edit…", self.edit_selected, "Change the selected schedule"),
            "toggle": self._action("Pause", self.toggle_selected,
                                   "Pause or resume the selected schedule"),
            "run": self._action("Run now", self.run_selected,
                                "Queue a run of the selected schedule's workflow now"),
            "delete": self._action("Delete…", self.delete_selected,
                                   "Delete the selected schedule (its runs stay in History)"),
            "history": self._action("History", self.history_selected,
                                    "Show the selected schedule's runs"),
        }
        bar = QToolBar("Schedules")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        a = self.actions_by_name
        bar.addAction(a["new"])
        bar.addSeparator()
        bar.addActions([a["edit"], a["toggle"], a["run"], a["history"]])
        bar.addSeparator()
        bar.addAction(a["delete"])
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(30)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((230, 340, 130, 130, 85, 50, 65)):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.empty = EmptyState(EMPTY_TITLE, EMPTY_BODY)
        create = QPushButton("New schedule…")
        create.clicked.connect(self.new_schedule)
        column = self.empty.body.parentWidget().layout()
        column.addSpacing(12)
        column.addWidget(create, 0, Qt.AlignmentFlag.AlignHCenter)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self.table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(bar)
        layout.addWidget(self.pages, 1)
        self._update_actions()

    # -- data ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Read every schedule once (at start and when asked); events update rows after."""
        self._names = {s.id: s.workflow.name for s in self.services.workflows.list()}
        scheduling = self.engine.scheduling
        self.model.set_rows([self._row(s) for s in scheduling.list_schedules()])
        self._update_actions()

    def _row(self, schedule: ScheduledJob) -> ScheduleRow:
        name = self._names.get(schedule.workflow_id)
        if name is None:
            try:
                name = self.services.workflows.get(schedule.workflow_id).workflow.name
            except NotFoundError:
                name = f"(deleted workflow {schedule.workflow_id})"
            self._names[schedule.workflow_id] = name
        return ScheduleRow(schedule, name, self.engine.scheduling.describe(schedule))

    def reload_schedule(self, schedule_id: int) -> None:
        try:
            schedule = self.engine.scheduling.get_schedule(schedule_id)
        except NotFoundError:
            self.model.remove(schedule_id)
        else:
            self.model.upsert(self._row(schedule))
        self._update_actions()

    def _on_event(self, event: Event) -> None:
        if isinstance(event, ScheduleChanged):
            if event.change == "deleted":
                self.model.remove(event.schedule_id)
                self._update_actions()
            else:
                self.reload_schedule(event.schedule_id)
        elif isinstance(event, SchedulePaused):
            self.reload_schedule(event.schedule_id)
        elif isinstance(event, JobFinished) and event.scheduled_job_id is not None:
            self.reload_schedule(event.scheduled_job_id)

    def workflows_changed(self) -> None:
        """Workflows were renamed or deleted in the editor: names may have changed."""
        self.reload()

    # -- selection and actions -----------------------------------------------------------

    def selected(self) -> ScheduledJob | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.schedule_at(rows[0].row()) if rows else None

    def select_schedule(self, schedule_id: int) -> None:
        row = self.model.row_of(schedule_id)
        if row >= 0:
            self.table.selectRow(row)

    def _update_actions(self) -> None:
        self.pages.setCurrentIndex(1 if self.model.rows else 0)
        schedule = self.selected()
        for name in ("edit", "toggle", "run", "delete", "history"):
            self.actions_by_name[name].setEnabled(schedule is not None)
        toggle = self.actions_by_name["toggle"]
        toggle.setText("Resume" if schedule is not None and not schedule.is_active
                       else "Pause")

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if index.isValid():
            self.table.selectRow(index.row())
        menu = QMenu(self)
        a = self.actions_by_name
        menu.addActions([a["edit"], a["toggle"], a["run"], a["history"]])
        menu.addSeparator()
        menu.addAction(a["delete"])
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def new_schedule(self, workflow_id: int | None = None) -> None:
        self._open_dialog(workflow_id=workflow_id)

    def edit_selected(self) -> None:
        schedule = self.selected()
        if schedule is not None:
            self._open_dialog(schedule=schedule)

    def _open_dialog(self, **kwargs: object) -> None:
        from agentic_desktop.ui.dialogs.schedule_dialog import ScheduleDialog

        dialog = ScheduleDialog(self.services, self.window(), **kwargs)  # type: ignore[arg-type]
        dialog.saved.connect(lambda s: (self.reload_schedule(s.id), self.select_schedule(s.id)))
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def toggle_selected(self) -> None:
        schedule = self.selected()
        if schedule is None:
            return
        try:
            saved = self.engine.scheduling.toggle_schedule(schedule.id)
        except UserError as exc:
            self.error.emit("Pause/resume failed", str(exc))
            return
        self.reload_schedule(saved.id)
        self.message.emit(f"Schedule {saved.id} {'resumed' if saved.is_active else 'paused'}")

    def run_selected(self) -> None:
        schedule = self.selected()
        if schedule is None:
            return
        try:
            job = self.engine.scheduling.run_now(schedule_id=schedule.id)
        except UserError as exc:
            self.error.emit("Run now failed", str(exc))
            return
        self.message.emit(f"Queued job {job.id} for schedule {schedule.id}")

    def history_selected(self) -> None:
        schedule = self.selected()
        if schedule is not None:
            self.open_history.emit(schedule.id)

    def delete_selected(self) -> None:
        schedule = self.selected()
        if schedule is None:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete schedule",
                          f"Delete schedule {schedule.id} ({self._row(schedule).description})?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self)
        box.setInformativeText("It stops firing at once. Its past runs stay in History.")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(button: object) -> None:
            if box.standardButton(button) != QMessageBox.StandardButton.Yes:  # type: ignore[arg-type]
                return
            try:
                self.engine.scheduling.delete_schedule(schedule.id)
            except UserError as exc:
                self.error.emit("Delete failed", str(exc))
                return
            self.model.remove(schedule.id)
            self._update_actions()

        box.buttonClicked.connect(answered)
        box.finished.connect(box.deleteLater)
        self.dialog = box
        box.open()
