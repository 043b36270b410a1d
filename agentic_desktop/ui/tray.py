"""The tray: the app's face while the window is closed (schedules keep running).

- The icon shows the state: idle, running, paused (nothing active) or error (a run failed
  or a schedule auto-paused since the window was last shown).
- Menu: Show/Hide, Run ▸ (workflows with a manual schedule, and "Run workflow…"), Pause all
  schedules / Resume all, Open queue monitor, Quit.
- Notifications become tray messages, each switchable in Settings (AppSettings.notify).
- Closing the window hides it here. Where the platform has no tray (offscreen, bare Xvfb,
  some Linux desktops) the object still exists with its menu, and closing the window asks,
  without blocking, whether to quit or keep running minimised: never a silent exit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache

from PySide6.QtCore import QObject, QPointF, QRectF, QSettings, Qt
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox, QSystemTrayIcon

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.settings import AppSettings
from agentic_desktop.domain.trading import Notification, Order
from agentic_desktop.engine.events import (
    Event,
    JobFinished,
    JobStarted,
    NodeFinished,
    ScheduleChanged,
    WebhookRejected,
)
from agentic_desktop.ui.main_window import APP_TITLE, MainWindow
from agentic_desktop.ui.services import EngineAdmin

log = logging.getLogger(__name__)
STATE_COLORS = {"idle": "#3d7bfd", "running": "#2fa56a", "paused": "#d99a1e",
                "error": "#e5484d"}
PAUSED_BY_TRAY = "tray/paused_by_pause_all"
CLOSE_HINT_SHOWN = "tray/close_hint_shown"
# The engine's own notifications, by title → the Settings switch that governs them.
_TITLES = {"Schedule paused": "schedule_paused", "Daily run limit reached": "daily_limit",
           "Position closed": "order_placed", "Order filled": "order_placed"}
_FINAL_FAILURES = frozenset({"failed", "timed_out"})


@cache
def state_icon(state: str) -> QIcon:
    icon = QIcon()
    for size in (16, 22, 32, 64):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(STATE_COLORS[state]))
        p.drawEllipse(QRectF(1, 1, size - 2, size - 2))
        pen = QPen(QColor("white"), max(1.5, size / 10))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        s = float(size)
        if state == "paused":
            for x in (0.4, 0.6):
                p.drawLine(QPointF(s * x, s * 0.32), QPointF(s * x, s * 0.68))
        elif state == "error":
            p.drawLine(QPointF(s / 2, s * 0.26), QPointF(s / 2, s * 0.58))
            p.drawPoint(QPointF(s / 2, s * 0.74))
        elif state == "running":
            p.setBrush(QColor("white"))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawPolygon([QPointF(s * 0.4, s * 0.3), QPointF(s * 0.4, s * 0.7),
                           QPointF(s * 0.72, s * 0.5)])
        else:
            p.drawEllipse(QPointF(s / 2, s / 2), s * 0.16, s * 0.16)
        p.end()
        icon.addPixmap(pixmap)
    return icon


class AppTray(QObject):
    def __init__(self, window: MainWindow, request_quit: Callable[[], None],
                 settings: QSettings) -> None:
        super().__init__(window)
        assert window.services.engine is not None, "the tray needs the engine"
        self.window = window
        self.engine: EngineAdmin = window.services.engine
        self.ui_settings = settings
        self._request_quit = request_quit
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.state = "idle"
        self.error = False
        self.running_jobs: set[int] = set()
        self.messages: list[tuple[str, str]] = []  # every notification shown (or not shown)
        self.dialog: QInputDialog | QMessageBox | None = None
        self.app_settings: AppSettings = self.engine.settings.load()
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        self._build_menu()
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        window.bridge.engine_event.connect(self._on_event)
        window.bridge.active_runs_changed.connect(lambda _n: self.update_state())
        window.settings_applied.connect(self.settings_changed)
        self._detach = self.engine.notifier.attach_desktop(self._on_notification)
        window.close_handler = self.handle_close
        self.rebuild_run_menu()
        self.update_state()
        if self.available:
            self.icon.show()

    # -- menu ----------------------------------------------------------------------------

    def _action(self, name: str, text: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda _c=False: slot())
        self.actions_by_name[name] = action
        return action

    def _build_menu(self) -> None:
        self.actions_by_name: dict[str, QAction] = {}
        m = self.menu
        m.addAction(self._action("show", "Show window", self.toggle_window))
        self.run_menu = m.addMenu("Run")
        self.run_menu.aboutToShow.connect(self.rebuild_run_menu)
        m.addSeparator()
        m.addAction(self._action("pause_all", "Pause all schedules", self.pause_all))
        m.addAction(self._action("resume_all", "Resume all", self.resume_all))
        m.addSeparator()
        m.addAction(self._action("queue", "Open queue monitor", self.open_queue))
        m.addSeparator()
        m.addAction(self._action("quit", "Quit Agentic Desktop", self.quit))
        self.menu.aboutToShow.connect(self._refresh_menu)

    def _refresh_menu(self) -> None:
        self.actions_by_name["show"].setText(
            "Hide window" if self.window.isVisible() and not self.window.isMinimized()
            else "Show window")
        schedules = self.engine.scheduling.list_schedules()
        self.actions_by_name["pause_all"].setEnabled(any(s.is_active for s in schedules))
        paused = self._paused_by_tray()
        self.actions_by_name["resume_all"].setEnabled(bool(paused))
        self.actions_by_name["resume_all"].setText(
            f"Resume all ({len(paused)})" if paused else "Resume all")

    def rebuild_run_menu(self) -> None:
        """Workflows with a manual schedule (run through that schedule's options), then
        "Run workflow…" for any workflow."""
        self.run_menu.clear()
        self.run_actions: dict[int, QAction] = {}
        names = {s.id: s.workflow.name for s in self.window.services.workflows.list()}
        manual = [s for s in self.engine.scheduling.list_schedules()
                  if s.trigger_type == "manual"]
        for schedule in manual:
            label = names.get(schedule.workflow_id, f"workflow {schedule.workflow_id}")
            if schedule.name:
                label = f"{label} — {schedule.name}"
            action = self.run_menu.addAction(label)
            action.triggered.connect(lambda _c=False, sid=schedule.id: self.run_schedule(sid))
            self.run_actions[schedule.id] = action
        if not manual:
            hint = self.run_menu.addAction("No manual schedules yet")
            hint.setEnabled(False)
        self.run_menu.addSeparator()
        self.run_menu.addAction(self._action("run_workflow", "Run workflow…",
                                             self.ask_workflow))

    # -- actions -------------------------------------------------------------------------

    def run_schedule(self, schedule_id: int) -> None:
        try:
            job = self.engine.scheduling.run_now(schedule_id=schedule_id)
        except UserError as exc:
            self.notify("Run failed to start", str(exc), None)
            return
        self.window.show_message(f"Queued job {job.id}")

    def ask_workflow(self) -> None:
        stored = sorted(self.window.services.workflows.list(),
                        key=lambda s: s.workflow.name.lower())
        if not stored:
            self.notify("Nothing to run", "Save a workflow first.", None)
            return
        by_name = {s.workflow.name: s.id for s in stored}
        dialog = QInputDialog(self.window if self.window.isVisible() else None)
        dialog.setWindowTitle("Run workflow")
        dialog.setLabelText("Queue a run of:")
        dialog.setComboBoxItems(list(by_name))
        dialog.textValueSelected.connect(lambda name: self.run_workflow(by_name[name]))
        self._show(dialog)

    def run_workflow(self, workflow_id: int) -> None:
        try:
            job = self.engine.scheduling.run_now(workflow_id=workflow_id)
        except UserError as exc:
            self.notify("Run failed to start", str(exc), None)
            return
        self.window.show_message(f"Queued job {job.id}")

    def _paused_by_tray(self) -> list[int]:
        raw = self.ui_settings.value(PAUSED_BY_TRAY, "")
        return [int(x) for x in str(raw or "").split(",") if x.strip().isdigit()]

    def pause_all(self) -> None:
        """Pause every active schedule; "Resume all" resumes exactly these (schedules paused
        by hand or auto-paused stay paused)."""
        paused = self._paused_by_tray()
        for schedule in self.engine.scheduling.list_schedules():
            if schedule.is_active:
                self.engine.scheduling.toggle_schedule(schedule.id, False)
                paused.append(schedule.id)
        self.ui_settings.setValue(PAUSED_BY_TRAY, ",".join(map(str, sorted(set(paused)))))
        self.update_state()

    def resume_all(self) -> None:
        scheduling = self.engine.scheduling
        existing = {s.id: s for s in scheduling.list_schedules()}
        for schedule_id in self._paused_by_tray():
            schedule = existing.get(schedule_id)
            if schedule is not None and not schedule.is_active:
                scheduling.toggle_schedule(schedule_id, True)
        self.ui_settings.setValue(PAUSED_BY_TRAY, "")
        self.update_state()

    def open_queue(self) -> None:
        self.show_window()
        self.window.show_area("Queue")

    def show_window(self) -> None:
        self.window.bring_to_front()
        self.error = False  # the trader is looking now
        self.update_state()

    def toggle_window(self) -> None:
        if self.window.isVisible() and not self.window.isMinimized():
            self.window.hide()
        else:
            self.show_window()

    def quit(self) -> None:
        if self.window.document.dirty:
            self.window.bring_to_front()  # the save prompt needs its window
        self.window.request_close()  # offers to save unsaved edits, then quits

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window()

    # -- closing the window --------------------------------------------------------------

    def handle_close(self) -> None:
        if self.available:
            self.window.hide()
            if not self.ui_settings.value(CLOSE_HINT_SHOWN, False, type=bool):
                self.ui_settings.setValue(CLOSE_HINT_SHOWN, True)
                self.notify(APP_TITLE, "Still running in the tray: schedules keep running. "
                            "Quit from the tray menu.", None)
            return
        active = sum(s.is_active for s in self.engine.scheduling.list_schedules())
        box = QMessageBox(QMessageBox.Icon.Question, "Keep running?",
                          "This desktop has no system tray, so closing the window cannot "
                          "hide it there.", QMessageBox.StandardButton.Cancel, self.window)
        box.setInformativeText(
            f"{active} active schedule(s) run only while Agentic Desktop runs. Keep it running "
            "minimised, or quit and stop them?")
        keep = box.addButton("Keep running minimised", QMessageBox.ButtonRole.AcceptRole)
        quit_button = box.addButton("Quit", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(keep)

        def answered(button: object) -> None:
            if button is keep:
                self.window.showMinimized()
            elif button is quit_button:
                self.quit()

        box.buttonClicked.connect(answered)
        self._show(box)

    def _show(self, dialog: QInputDialog | QMessageBox) -> None:
        self.dialog = dialog
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    # -- state and notifications ---------------------------------------------------------

    def starts_hidden(self) -> bool:
        """Settings → Start minimised, honoured only where a tray can bring it back."""
        return self.available and self.app_settings.start_minimized

    def settings_changed(self, settings: AppSettings) -> None:
        self.app_settings = settings

    def notify(self, title: str, message: str, kind: str | None,
               level: str = "info") -> bool:
        """Show a tray message unless Settings switched `kind` off. Returns whether shown."""
        if kind is not None and not self.app_settings.notify.get(kind, True):
            return False
        self.messages.append((title, message))
        if self.available and self.icon.isVisible():
            icon = {"warning": QSystemTrayIcon.MessageIcon.Warning,
                    "error": QSystemTrayIcon.MessageIcon.Critical}.get(
                level, QSystemTrayIcon.MessageIcon.Information)
            self.icon.showMessage(title, message, icon, 8000)
        else:
            self.window.show_message(f"{title}: {message}")
        return True

    def _on_notification(self, notification: Notification) -> None:
        kind = _TITLES.get(notification.title)
        if kind is not None and notification.level != "info":
            self.error = True
        self.notify(notification.title, notification.message, kind, notification.level)
        self.update_state()

    def _on_event(self, event: Event) -> None:
        if isinstance(event, JobStarted):
            self.running_jobs.add(event.job_id)
        elif isinstance(event, JobFinished):
            self.running_jobs.discard(event.job_id)
            if event.status in _FINAL_FAILURES:
                self.error = True
                self.notify("Run failed", f"Job {event.job_id}: {event.error or event.status}",
                            "run_failed", "error")
        elif isinstance(event, NodeFinished):
            for value in event.outputs.values():
                if isinstance(value, Order) and not value.existing \
                        and value.status != "rejected":
                    self.notify("Order placed", f"{value.side} {value.volume:g} "
                                f"{value.symbol} ({value.type}, {value.status})", "order_placed")
        elif isinstance(event, ScheduleChanged):
            self.rebuild_run_menu()
        elif isinstance(event, WebhookRejected):
            self.notify("Webhook rejected", event.reason, "webhook_rejected", "warning")
        else:
            return
        self.update_state()

    def update_state(self) -> None:
        if self.error:
            state = "error"
        elif self.running_jobs or self.window.bridge.active_runs:
            state = "running"
        else:
            schedules = self.engine.scheduling.list_schedules()
            state = "paused" if schedules and not any(s.is_active for s in schedules) \
                else "idle"
        self.state = state
        self.icon.setIcon(state_icon(state))
        tips = {"idle": "idle", "running": "running", "paused": "all schedules paused",
                "error": "a run failed or a schedule was paused"}
        self.icon.setToolTip(f"{APP_TITLE}: {tips[state]}")

    def close(self) -> None:
        self._detach()
        self.icon.hide()
        self.menu.deleteLater()
