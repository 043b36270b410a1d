"""The main window wires the parts together: navigation and pages, the editor with its docks,
menus, toolbar, status bar, theme and saved layout. Views live in their own modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QToolButton,
    QWidget,
)

from agentic_desktop.domain.settings import AppSettings
from agentic_desktop.ui import theme
from agentic_desktop.ui.bridge import EngineBridge
from agentic_desktop.ui.dialogs.about import AboutDialog
from agentic_desktop.ui.dialogs.shortcuts import ShortcutsDialog
from agentic_desktop.ui.editor.editor_widget import WorkflowEditor
from agentic_desktop.ui.editor.inspector import InspectorWidget
from agentic_desktop.ui.editor.palette import PaletteWidget
from agentic_desktop.ui.empty_state import PENDING_AREAS, EmptyState
from agentic_desktop.ui.files import FileController
from agentic_desktop.ui.page_stack import PageStack
from agentic_desktop.ui.run_controller import RunController
from agentic_desktop.ui.run_log import RunLogWidget
from agentic_desktop.ui.services import UiServices
from agentic_desktop.ui.status_bar import AppStatusBar
from agentic_desktop.ui.workflow_list import WorkflowListWidget

if TYPE_CHECKING:
    from agentic_desktop.ui.views.schedules_view import SchedulesView

STATE_VERSION = 1
APP_TITLE = "Agentic Desktop"


class MainWindow(QMainWindow):
    settings_applied = Signal(object)  # AppSettings saved in Settings (the tray listens)

    def __init__(self, services: UiServices, settings: QSettings,
                 request_quit: Callable[[], None]) -> None:
        super().__init__()
        self.services = services
        self.settings = settings
        self._request_quit = request_quit
        self.setObjectName("MainWindow")
        self.bridge = EngineBridge(services.events, self)
        self.editor = WorkflowEditor(services.catalog)
        self.document = self.editor.document
        self.palette = PaletteWidget(services.catalog)
        self.inspector = InspectorWidget(self.document, services.catalog, services.symbols)
        self.workflow_list = WorkflowListWidget(services.workflows)
        self.run_log = RunLogWidget()
        self.status = AppStatusBar(services.api_address, self)
        self.setStatusBar(self.status)
        self.files = FileController(self.document, services.workflows, self)
        self.runs = RunController(services, self.bridge, self.editor, self.run_log,
                                  self.show_message, self)
        self.dialog: QWidget | None = None
        # Set by the tray: what the close button does instead of quitting (hide to the tray,
        # or ask where there is no tray).
        self.close_handler: Callable[[], None] | None = None
        self.last_error: tuple[str, str] | None = None
        self._build_pages()
        self.docks = self._build_docks()
        self._build_actions()
        self._install_schedules()
        self._install_queue_and_history()
        self._connect()
        self._apply_theme(self._initial_theme(), save=False)
        self._restore_layout()
        self._update_title()

    # -- construction --------------------------------------------------------------------

    def _build_pages(self) -> None:
        # Navigation is a vertical toolbar at the far left, outside the editor's docks.
        self.nav = QToolBar("Navigation")
        self.nav.setObjectName("Navigation")
        self.nav.setMovable(False)
        self.nav.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.nav_group = QActionGroup(self)
        self.pages = PageStack()
        self.area_names: list[str] = []
        self.empty_pages: dict[str, EmptyState] = {}
        pages: list[tuple[str, QWidget]] = [("Workflows", self.editor)]
        for label, title, body in PENDING_AREAS:
            page = EmptyState(title, body)
            self.empty_pages[label] = page
            pages.append((label, page))
        for index, (label, page) in enumerate(pages):
            self.pages.addWidget(page)
            action = self.nav.addAction(label)
            action.setCheckable(True)
            action.setChecked(index == 0)
            action.setShortcut(QKeySequence(f"Alt+{index + 1}"))
            action.setToolTip(f"{label} ({action.shortcut().toString()})")
            action.triggered.connect(lambda _c=False, i=index: self._show_page(i))
            self.nav_group.addAction(action)
            self.addAction(action)
            self.area_names.append(label)
        for button in self.nav.findChildren(QToolButton):
            button.setMinimumWidth(112)
        self.addToolBar(Qt.ToolBarArea.LeftToolBarArea, self.nav)
        self.setCentralWidget(self.pages)

    def replace_page(self, name: str, page: QWidget) -> None:
        """Put a real view where an area's empty state was."""
        index = self.area_names.index(name)
        old = self.pages.widget(index)
        self.pages.insertWidget(index, page)
        self.pages.removeWidget(old)
        old.deleteLater()
        self.empty_pages.pop(name, None)

    def _install_schedules(self) -> None:
        self.schedules_view: SchedulesView | None = None
        if self.services.engine is None:
            return
        from agentic_desktop.ui.views.schedules_view import SchedulesView

        view = SchedulesView(self.services, self.bridge)
        view.message.connect(self.show_message)
        view.error.connect(self.show_error)
        self.files.stored_changed.connect(view.workflows_changed)
        self.replace_page("Schedules", view)
        self.schedules_view = view

    def _install_queue_and_history(self) -> None:
        from agentic_desktop.ui.history.view import HistoryView
        from agentic_desktop.ui.monitor.view import QueueMonitorView

        engine, workflows = self.services.engine, self.services.workflows
        self.queue_view = QueueMonitorView(engine, workflows, self.bridge)
        self.history_view = HistoryView(engine, workflows, self.bridge)
        self.replace_page("Queue", self.queue_view)
        self.replace_page("History", self.history_view)
        self.queue_view.open_execution.connect(self.open_execution)
        self.files.stored_changed.connect(self.history_view.reload_workflows)
        if self.schedules_view is not None:
            self.schedules_view.open_history.connect(self.open_history)

    def open_execution(self, execution_id: int) -> None:
        """Queue monitor → Open execution: History with that run selected and shown."""
        self.show_area("History")
        self.history_view.open_execution(execution_id)

    def open_history(self, schedule_id: int) -> None:
        """Schedules → History: the History page filtered to that schedule's runs."""
        self.show_area("History")
        self.history_view.open_history(schedule_id)

    def schedule_current(self) -> None:
        """Editor → Schedule…: schedules run the saved workflow, so save it first."""
        if self.schedules_view is None:
            self.show_error("Schedule", "The scheduler is not available in this session.")
            return
        doc = self.document
        if doc.stored_id is not None and not doc.dirty:
            self._open_schedule_dialog()
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Save before scheduling",
                          f"Save {doc.workflow.name!r} before scheduling it?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
                          self)
        box.setInformativeText("Schedules run the saved version of a workflow.")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        box.buttonClicked.connect(lambda button: self.files.save(
            then=self._open_schedule_dialog)
            if box.standardButton(button) == QMessageBox.StandardButton.Save else None)
        self._open_dialog(box)

    def _open_schedule_dialog(self) -> None:
        assert self.schedules_view is not None
        self.schedules_view.new_schedule(self.document.stored_id)
        self.dialog = self.schedules_view.dialog

    def show_area(self, name: str) -> None:
        index = self.area_names.index(name)
        self.nav_group.actions()[index].setChecked(True)
        self._show_page(index)

    def current_area(self) -> str:
        return self.area_names[self.pages.currentIndex()]

    def _dock(self, name: str, title: str, widget: QWidget,
              area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # saveState/restoreState match docks by object name
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> dict[str, QDockWidget]:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        docks = {
            "workflows": self._dock("WorkflowsDock", "Workflows", self.workflow_list, left),
            "palette": self._dock("PaletteDock", "Nodes", self.palette, left),
            "inspector": self._dock("InspectorDock", "Inspector", self.inspector, right),
            "run_log": self._dock("RunLogDock", "Run log", self.run_log,
                                  Qt.DockWidgetArea.BottomDockWidgetArea),
        }
        self.resizeDocks([docks["workflows"], docks["palette"]], [180, 420],
                         Qt.Orientation.Vertical)
        self.resizeDocks([docks["palette"], docks["inspector"]], [220, 280],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([docks["run_log"]], [170], Qt.Orientation.Vertical)
        return docks

    def _act(self, text: str, slot: Callable[[], object], shortcut: object = None,
             tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))  # type: ignore[call-overload]
        action.setToolTip(tip or text.replace("&", "").rstrip("…"))
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        key = QKeySequence.StandardKey
        f, e = self.files, self.editor.actions_by_name
        self.actions_by_name = {
            "new": self._act("&New", f.new, key.New),
            "open": self._act("&Open…", f.open_dialog, key.Open),
            "save": self._act("&Save", f.save, key.Save),
            "save_as": self._act("Save &As…", f.save_as, "Ctrl+Shift+S"),
            "rename": self._act("&Rename…", f.rename, "F2"),
            "delete_workflow": self._act("&Delete Workflow…", f.delete),
            "import": self._act("&Import JSON…", f.import_json, "Ctrl+I"),
            "export": self._act("&Export JSON…", f.export_json, "Ctrl+E"),
            "quit": self._act("&Quit", self.request_close, key.Quit),
            "settings": self._act("Se&ttings…", self.show_settings, key.Preferences),
            "run": self._act("&Run Now", self.runs.run, "Ctrl+R",
                             "Run the workflow now (manual trigger)"),
            "schedule": self._act("Sc&hedule…", self.schedule_current, "Ctrl+Shift+R",
                                  "Schedule this workflow: cron, interval, price, indicator, "
                                  "webhook or manual"),
            "shortcuts": self._act("&Keyboard Shortcuts", self.show_shortcuts, "F1"),
            "about": self._act("&About Agentic Desktop", self.show_about),
        }
        a = self.actions_by_name
        menu = self.menuBar().addMenu("&File")
        for name in ("new", "open", "save", "save_as", "rename", "delete_workflow"):
            menu.addAction(a[name])
        menu.addSeparator()
        menu.addActions([a["import"], a["export"]])
        menu.addSeparator()
        menu.addAction(a["settings"])
        menu.addSeparator()
        menu.addAction(a["quit"])
        menu = self.menuBar().addMenu("&Edit")
        menu.addActions([e["undo"], e["redo"]])
        menu.addSeparator()
        menu.addActions([e["copy"], e["paste"], e["duplicate"], e["delete"], e["select_all"]])
        menu.addSeparator()
        menu.addActions([e["quick_add"], e["connect"], e["note"]])
        menu = self.menuBar().addMenu("&View")
        menu.addActions([e["fit"], e["reset_zoom"], e["zoom_in"], e["zoom_out"]])
        menu.addSeparator()
        menu.addActions([e["snap"], e["layout"]])
        menu.addSeparator()
        theme_menu = menu.addMenu("&Theme")
        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name in theme.THEMES:
            action = theme_menu.addAction(name.capitalize())
            action.setCheckable(True)
            action.triggered.connect(lambda _c=False, n=name: self._apply_theme(n))
            self.theme_group.addAction(action)
            self.theme_actions[name] = action
        docks_menu = menu.addMenu("&Panels")
        for dock in self.docks.values():
            docks_menu.addAction(dock.toggleViewAction())
        menu = self.menuBar().addMenu("&Run")
        menu.addActions([a["run"], a["schedule"]])
        menu = self.menuBar().addMenu("&Help")
        menu.addActions([a["shortcuts"], a["about"]])
        bar = QToolBar("Main toolbar")
        bar.setObjectName("MainToolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.addActions([a["new"], a["save"]])
        bar.addSeparator()
        bar.addActions([e["undo"], e["redo"]])
        bar.addSeparator()
        bar.addActions([e["layout"], e["fit"], e["note"]])
        bar.addSeparator()
        bar.addActions([a["run"], a["schedule"]])
        self.addToolBar(bar)
        self.toolbar = bar
        for name in ("new", "import"):
            self.workflow_list.add_button(a[name])

    def _connect(self) -> None:
        self.palette.node_activated.connect(lambda t: self.editor.add_node(t))
        self.editor.selection_changed.connect(self.inspector.show_node)
        self.editor.status_message.connect(self.show_message)
        self.editor.edit_params_requested.connect(self._edit_params)
        self.inspector.done_editing.connect(lambda: self.editor.view.setFocus())
        self.run_log.node_clicked.connect(self.focus_node)
        self.workflow_list.open_requested.connect(self.files.open_id)
        self.files.stored_changed.connect(self._refresh_list)
        self.files.error.connect(self.show_error)
        self.bridge.task_failed.connect(self.show_error)
        self.bridge.active_runs_changed.connect(self.status.set_active_runs)
        self.document.dirty_changed.connect(lambda _d: self._update_title())
        self.document.changed.connect(lambda _o, _n: self._update_title())
        self.document.reset.connect(self._on_document_reset)
        self.runs.running_changed.connect(lambda r: self.actions_by_name["run"].setEnabled(not r))

    # -- behaviour -----------------------------------------------------------------------

    def open_initial_workflow(self) -> None:
        stored = self.services.workflows.list()
        last = self.settings.value("editor/last_workflow_id")
        chosen = next((s for s in stored if str(s.id) == str(last)), None)
        chosen = chosen or (min(stored, key=lambda s: s.id) if stored else None)
        if chosen is not None:
            self.document.load(chosen.workflow.with_id(chosen.id))
        self._refresh_list()

    def _edit_params(self, node_id: str) -> None:
        self.docks["inspector"].show()
        self.inspector.focus_first_field(node_id)

    def show_message(self, text: str) -> None:
        self.status.showMessage(text, 6000)

    def show_error(self, title: str, message: str) -> None:
        self.last_error = (title, message)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                          QMessageBox.StandardButton.Ok, self)
        box.finished.connect(box.deleteLater)
        self.dialog = box
        box.open()

    def show_settings(self) -> None:
        if self.services.engine is None:
            self.show_error("Settings", "Settings need the engine, which is not part of this "
                            "session.")
            return
        from agentic_desktop.ui.dialogs.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.services, self)
        dialog.applied.connect(self._settings_applied)
        self._open_dialog(dialog)

    def _settings_applied(self, settings: AppSettings) -> None:
        name = settings.theme if settings.theme in theme.THEMES else theme.system_theme()
        if name != self.theme_name:
            self._apply_theme(name)
        self.settings_applied.emit(settings)

    def show_about(self) -> None:
        self._open_dialog(AboutDialog(self.services.version, self.services.data_dir, self))

    def show_shortcuts(self) -> None:
        actions = [*self.actions(), *self.editor.actions()]
        self._open_dialog(ShortcutsDialog(actions, self))

    def _open_dialog(self, dialog: QWidget) -> None:
        self.dialog = dialog
        dialog.finished.connect(dialog.deleteLater)  # type: ignore[attr-defined]
        dialog.open()  # type: ignore[attr-defined]

    def focus_node(self, node_id: str) -> None:
        self.show_area("Workflows")
        self.editor.scene.select_ids([node_id])
        item = self.editor.scene.nodes.get(node_id)
        if item is not None:
            self.editor.view.centerOn(item)

    def request_close(self) -> None:
        """Window close and File → Quit: offer to save, then ask the app to quit."""
        self.files.confirm_discard(self._request_quit)

    def set_engine_state(self, state: str) -> None:
        self.status.set_engine_state(state)

    def bring_to_front(self) -> None:
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def _show_page(self, row: int) -> None:
        if row == self.pages.currentIndex():
            return
        self.pages.setCurrentIndex(row)
        # Editor docks mean nothing on the other pages; hide them there, keep their state.
        editing = row == 0
        for dock in self.docks.values():
            if editing:
                dock.setVisible(dock.property("was_visible") is not False)
            else:
                dock.setProperty("was_visible", dock.isVisible())
                dock.hide()
        self.toolbar.setVisible(editing)

    def _refresh_list(self) -> None:
        self.workflow_list.refresh(self.document.stored_id)

    def _on_document_reset(self, _wf: object) -> None:
        self.workflow_list.select_id(self.document.stored_id)
        if self.document.stored_id is not None:
            self.settings.setValue("editor/last_workflow_id", self.document.stored_id)
        # Fit once the view has its real size (on first load it is not laid out yet).
        QTimer.singleShot(0, self.editor.view.fit_readable)
        self._update_title()

    def _update_title(self) -> None:
        marker = "*" if self.document.dirty else ""
        self.setWindowTitle(f"{self.document.workflow.name}{marker} — {APP_TITLE}")

    # -- theme and layout ----------------------------------------------------------------

    def _initial_theme(self) -> str:
        saved = self.settings.value("ui/theme")
        return saved if saved in theme.THEMES else theme.system_theme()

    def _apply_theme(self, name: str, *, save: bool = True) -> None:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        colors = theme.apply_theme(app, name)
        self.theme_name = name
        self.theme_actions[name].setChecked(True)
        self.editor.scene.set_colors(colors)
        self.palette.populate()
        if save:
            self.settings.setValue("ui/theme", name)

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self._first_start_size()
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state, STATE_VERSION)

    def _first_start_size(self) -> None:
        # Most of a laptop screen (the canvas needs room beside the docks), centred.
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            self.resize(1360, 820)
            return
        area = screen.availableGeometry()
        self.resize(min(1600, int(area.width() * 0.94)), min(1000, int(area.height() * 0.92)))
        self.move(area.center() - self.rect().center())

    def save_layout(self) -> None:
        if self.pages.currentIndex() != 0:
            self.show_area("Workflows")  # save the editor's dock layout, not the hidden one
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(STATE_VERSION))
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        # Closing is a request: unsaved changes are offered for saving, then the main
        # coroutine stops the engine cleanly and closes the window itself.
        if getattr(self, "_closing", False):
            event.accept()
            return
        event.ignore()
        (self.close_handler or self.request_close)()

    def close_for_quit(self) -> None:
        self._closing = True
        self.bridge.close()
        self.close()
