"""Table model of the schedules: one row per schedule, updated row by row from engine events
(the view reloads only the schedule an event names; nothing polls the database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from agentic_desktop.domain.jobs import ScheduledJob
from agentic_desktop.ui.dialogs.trigger_icons import trigger_icon

COLUMNS = ("Workflow", "Trigger", "Next run", "Last run", "Result", "Runs", "Failures",
           "State")
TRIGGER_TITLES = {"cron": "Cron", "time": "Interval", "price": "Price",
                  "indicator": "Indicator", "webhook": "Webhook", "manual": "Manual"}
RESULT_COLORS = {"completed": "#2fa56a", "failed": "#e5484d", "timed_out": "#e5484d",
                 "cancelled": "#d99a1e", "rejected": "#d99a1e", "missed": "#8a93a0"}
STATE_COLORS = {"active": "#2fa56a", "paused": "#d99a1e", "auto-paused": "#e5484d"}
Index = QModelIndex | QPersistentModelIndex


def schedule_state(schedule: ScheduledJob) -> str:
    if schedule.is_active:
        return "active"
    if (schedule.paused_reason or "").startswith("paused after"):
        return "auto-paused"
    return "paused"


def local_time(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone()  # the machine's zone: what the trader's clock shows
    today = datetime.now(local.tzinfo).date()
    if local.date() == today:
        return f"today {local:%H:%M:%S}"
    return f"{local:%a %d %b %Y %H:%M}"


@dataclass(frozen=True)
class ScheduleRow:
    schedule: ScheduledJob
    workflow_name: str
    description: str

    @property
    def state(self) -> str:
        return schedule_state(self.schedule)


class SchedulesModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[ScheduleRow] = []

    # -- updates -------------------------------------------------------------------------

    def set_rows(self, rows: list[ScheduleRow]) -> None:
        self.beginResetModel()
        self.rows = sorted(rows, key=lambda r: r.schedule.id)
        self.endResetModel()

    def row_of(self, schedule_id: int) -> int:
        return next((i for i, r in enumerate(self.rows) if r.schedule.id == schedule_id), -1)

    def upsert(self, row: ScheduleRow) -> None:
        index = self.row_of(row.schedule.id)
        if index >= 0:
            self.rows[index] = row
            self.dataChanged.emit(self.index(index, 0),
                                  self.index(index, len(COLUMNS) - 1))
            return
        at = next((i for i, r in enumerate(self.rows) if r.schedule.id > row.schedule.id),
                  len(self.rows))
        self.beginInsertRows(QModelIndex(), at, at)
        self.rows.insert(at, row)
        self.endInsertRows()

    def remove(self, schedule_id: int) -> None:
        index = self.row_of(schedule_id)
        if index < 0:
            return
        self.beginRemoveRows(QModelIndex(), index, index)
        del self.rows[index]
        self.endRemoveRows()

    def schedule_at(self, row: int) -> ScheduledJob | None:
        return self.rows[row].schedule if 0 <= row < len(self.rows) else None

    # -- Qt model ------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 4 and row.schedule.last_status in RESULT_COLORS:
                return QColor(RESULT_COLORS[row.schedule.last_status])
            if column == 7:
                return QColor(STATE_COLORS[row.state])
            if column == 6 and row.schedule.consecutive_failures:
                return QColor(RESULT_COLORS["failed"])
        if role == Qt.ItemDataRole.DecorationRole and column == 1:
            return trigger_icon(row.schedule.trigger_type)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (5, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, row: ScheduleRow, column: int) -> str:
        s = row.schedule
        if column == 0:
            return f"{row.workflow_name} — {s.name}" if s.name else row.workflow_name
        if column == 1:
            return f"{TRIGGER_TITLES.get(s.trigger_type, s.trigger_type)}: {row.description}"
        if column == 2:
            if not s.is_active:
                return "—"
            if s.next_run is None:
                return "on event" if s.trigger_type != "manual" else "when started"
            return local_time(s.next_run)
        if column == 3:
            return local_time(s.last_run)
        if column == 4:
            return (s.last_status or "—").replace("_", " ")
        if column == 5:
            return str(s.run_count)
        if column == 6:
            return str(s.consecutive_failures)
        reason = s.paused_reason or ""
        if row.state == "auto-paused":  # the reason reads "paused after 5 consecutive…"
            return f"Auto-{reason}"
        return "Active" if row.state == "active" else "Paused"

    def _tooltip(self, row: ScheduleRow, column: int) -> str | None:
        s = row.schedule
        if column == 7 and s.paused_reason:
            return s.paused_reason
        if column == 1:
            return row.description
        if column == 2 and s.next_run is not None:
            return f"{s.next_run:%Y-%m-%d %H:%M:%S} UTC"
        return None
