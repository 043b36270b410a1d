"""The history's filter bar: workflow, status, trigger, date range (local days), and the
schedule a Schedules view "Open history" asked for (shown as a removable chip)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel, QPushButton, QWidget

from agentic_desktop.engine.ports import ExecutionFilter

STATUSES = (("All statuses", None), ("Completed", "completed"), ("Failed", "failed"),
            ("Timed out", "timed_out"), ("Cancelled", "cancelled"), ("Running", "running"))
TRIGGERS = (("All triggers", None), ("Cron", "cron"), ("Interval", "time"), ("Price", "price"),
            ("Indicator", "indicator"), ("Webhook", "webhook"), ("Manual", "manual"))
RANGES = ("All time", "Today", "Last 7 days", "Last 30 days", "Custom range")


def local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time()).astimezone().astimezone(UTC)


class HistoryFilterBar(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.schedule_id: int | None = None
        self.workflow = QComboBox()
        self.workflow.addItem("All workflows", None)
        self.workflow.setMinimumWidth(190)
        self.status = QComboBox()
        for label, value in STATUSES:
            self.status.addItem(label, value)
        self.trigger = QComboBox()
        for label, value in TRIGGERS:
            self.trigger.addItem(label, value)
        self.range = QComboBox()
        self.range.addItems(RANGES)
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-7))
        self.date_to = QDateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setVisible(False)
        self.to_label = QLabel("to")
        self.to_label.setVisible(False)
        self.schedule_chip = QPushButton()
        self.schedule_chip.setToolTip("Showing one schedule's runs: click to show all")
        self.schedule_chip.setVisible(False)
        self.schedule_chip.clicked.connect(lambda: self.set_schedule(None))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.workflow, self.status, self.trigger, self.range, self.date_from,
                       self.to_label, self.date_to, self.schedule_chip):
            layout.addWidget(widget)
        layout.addStretch(1)
        for combo in (self.workflow, self.status, self.trigger):
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.range.currentIndexChanged.connect(self._range_changed)
        self.date_from.dateChanged.connect(lambda _d: self._custom_changed())
        self.date_to.dateChanged.connect(lambda _d: self._custom_changed())

    def set_workflows(self, names: list[tuple[int, str]]) -> None:
        current = self.workflow.currentData()
        self.workflow.blockSignals(True)
        self.workflow.clear()
        self.workflow.addItem("All workflows", None)
        for workflow_id, name in sorted(names, key=lambda item: item[1].lower()):
            self.workflow.addItem(name, workflow_id)
        self.workflow.setCurrentIndex(max(self.workflow.findData(current), 0))
        self.workflow.blockSignals(False)

    def set_schedule(self, schedule_id: int | None, label: str = "") -> None:
        self.schedule_id = schedule_id
        self.schedule_chip.setText(f"{label or f'Schedule {schedule_id}'}  ✕")
        self.schedule_chip.setVisible(schedule_id is not None)
        self.changed.emit()

    def reset(self) -> None:
        """All executions (used before opening one from the queue monitor)."""
        for combo in (self.workflow, self.status, self.trigger, self.range):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self._show_dates(False)
        self.schedule_id = None
        self.schedule_chip.setVisible(False)
        self.changed.emit()

    def _range_changed(self, index: int) -> None:
        self._show_dates(RANGES[index] == "Custom range")
        self.changed.emit()

    def _custom_changed(self) -> None:
        if self.range.currentText() == "Custom range":
            self.changed.emit()

    def _show_dates(self, visible: bool) -> None:
        for widget in (self.date_from, self.to_label, self.date_to):
            widget.setVisible(visible)

    def filters(self, today: date | None = None) -> ExecutionFilter:
        today = today or date.today()
        start: date | None = None
        end: date | None = None  # exclusive
        choice = self.range.currentText()
        if choice == "Today":
            start = today
        elif choice == "Last 7 days":
            start = today - timedelta(days=6)
        elif choice == "Last 30 days":
            start = today - timedelta(days=29)
        elif choice == "Custom range":
            start = self.date_from.date().toPython()  # type: ignore[assignment]
            end = self.date_to.date().toPython() + timedelta(days=1)  # type: ignore[operator]
        return ExecutionFilter(
            workflow_id=self.workflow.currentData(), status=self.status.currentData(),
            trigger=self.trigger.currentData(), schedule_id=self.schedule_id,
            started_from=local_midnight_utc(start) if start else None,
            started_before=local_midnight_utc(end) if end else None,
        )
