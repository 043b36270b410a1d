"""The executions table: a QAbstractTableModel paged lazily with canFetchMore/fetchMore.

Pages come from ExecutionRepository.page (keyset on the id, 200 light rows) in a worker
thread, so neither opening a 100,000-row history nor scrolling deep into it blocks the GUI.
A generation number drops pages that arrive after the filter changed. New runs are merged
at the top from engine events (refresh_head) without reloading what is already shown.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont

from agentic_desktop.engine.ports import ExecutionFilter, ExecutionRepository, ExecutionSummary
from agentic_desktop.ui.bridge import EngineBridge
from agentic_desktop.ui.monitor.format import (
    duration_text,
    local_time,
    read_off_thread,
    status_color,
    status_text,
)

Index = QModelIndex | QPersistentModelIndex
PAGE_SIZE = 200
HEAD_SIZE = 100
COLUMNS = ("Time", "Workflow", "Trigger", "Status", "Duration", "Nodes ok", "Failed",
           "Memory", "Error")
COL_STATUS = 3
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
RIGHT = (4, 5, 6, 7)


def duration_ms(row: ExecutionSummary) -> float | None:
    if row.total_time_ms is not None:
        return row.total_time_ms
    if row.finished_at is None:
        return None
    return (row.finished_at - row.started_at).total_seconds() * 1000.0


class ExecutionsModel(QAbstractTableModel):
    page_loaded = Signal(int)  # rows added by a page
    count_changed = Signal(int)  # matching executions (all pages)

    def __init__(self, repo: ExecutionRepository | None, bridge: EngineBridge,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.repo = repo
        self.bridge = bridge
        self.filters = ExecutionFilter()
        self.rows: list[ExecutionSummary] = []
        self.total: int | None = None
        self.pages_fetched = 0
        self.loading = False
        self.exhausted = repo is None
        self._generation = 0
        self._head_pending = False
        self._bold = QFont()
        self._bold.setBold(True)

    # -- loading --------------------------------------------------------------------------

    def set_filter(self, filters: ExecutionFilter) -> None:
        """Show the first page for `filters` (and count them), dropping anything in flight."""
        self._generation += 1
        self.beginResetModel()
        self.filters = filters
        self.rows = []
        self.total = None
        self.pages_fetched = 0
        self.loading = False
        self.exhausted = self.repo is None
        self.endResetModel()
        if self.repo is not None:
            self._request_page(None)
            self._request_count()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and not self.exhausted and not self.loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802
        if self.canFetchMore(parent):
            self._request_page(self.rows[-1].execution_id if self.rows else None)

    def _request_page(self, before_id: int | None) -> asyncio.Task[Any] | None:
        repo, filters, generation = self.repo, self.filters, self._generation
        if repo is None:
            return None
        self.loading = True

        def read() -> list[ExecutionSummary]:
            return repo.page(filters, limit=PAGE_SIZE, before_id=before_id)

        def arrived(rows: list[ExecutionSummary]) -> None:
            if generation != self._generation:
                return
            self.loading = False
            self.exhausted = len(rows) < PAGE_SIZE
            self.pages_fetched += 1
            if rows:
                first = len(self.rows)
                self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
                self.rows.extend(rows)
                self.endInsertRows()
            self.page_loaded.emit(len(rows))
            if self._head_pending:
                self.refresh_head()

        def failed(_message: str) -> None:
            if generation == self._generation:
                self.loading = False

        return read_off_thread(self.bridge, self, read, on_done=arrived, on_error=failed)

    def _request_count(self) -> None:
        repo, filters, generation = self.repo, self.filters, self._generation
        if repo is None:
            return

        def counted(total: int) -> None:
            if generation == self._generation:
                self.total = total
                self.count_changed.emit(total)

        read_off_thread(self.bridge, self, repo.count, filters, on_done=counted)

    def refresh_head(self) -> None:
        """Merge the newest rows: new executions go on top, changed ones (a run that
        finished) are replaced in place. More than a page of news reloads the first page."""
        repo, filters, generation = self.repo, self.filters, self._generation
        if repo is None:
            return
        if self.loading:
            self._head_pending = True
            return
        self._head_pending = False

        def read() -> tuple[list[ExecutionSummary], int]:
            return repo.page(filters, limit=HEAD_SIZE), repo.count(filters)

        def merge(result: tuple[list[ExecutionSummary], int]) -> None:
            if generation != self._generation:
                return
            head, total = result
            self._merge(head)
            self.total = total
            self.count_changed.emit(total)

        read_off_thread(self.bridge, self, read, on_done=merge)

    def _merge(self, head: list[ExecutionSummary]) -> None:
        top = self.rows[0].execution_id if self.rows else 0
        fresh = [r for r in head if r.execution_id > top]
        if self.rows and len(fresh) >= HEAD_SIZE:
            self.set_filter(self.filters)
            return
        if fresh:
            self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
            self.rows[:0] = fresh
            self.endInsertRows()
        if not self.rows and not fresh:
            return
        position = {r.execution_id: i for i, r in enumerate(self.rows[:HEAD_SIZE * 2])}
        for row in head:
            i = position.get(row.execution_id)
            if i is not None and self.rows[i] != row:
                self.rows[i] = row
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def row_of(self, execution_id: int) -> int | None:
        return next((i for i, r in enumerate(self.rows) if r.execution_id == execution_id),
                    None)

    # -- Qt model -------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
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
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(row, col)
        if role == ROW_ROLE:
            return row
        if col == COL_STATUS and role == Qt.ItemDataRole.ForegroundRole:
            return status_color(row.status)
        if col == COL_STATUS and role == Qt.ItemDataRole.FontRole:
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole and col in RIGHT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and col == len(COLUMNS) - 1 and row.error:
            return row.error
        return None


def cell_text(row: ExecutionSummary, col: int) -> str:
    if col == 0:
        return local_time(row.started_at)
    if col == 1:
        return row.workflow_name
    if col == 2:
        return row.trigger
    if col == COL_STATUS:
        return status_text(row.status)
    if col == 4:
        return duration_text(duration_ms(row))
    if col == 5:
        return str(row.successful_nodes) if row.total_nodes else "—"
    if col == 6:
        return str(row.failed_nodes) if row.total_nodes else "—"
    if col == 7:
        return "—" if row.memory_used_mb is None else f"{row.memory_used_mb:.1f} MB"
    error = row.error or ""
    return error.splitlines()[0] if error else ""
