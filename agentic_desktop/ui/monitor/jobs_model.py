"""The queue monitor's job table: newest first, updated row by row from engine events, with
a status/workflow filter proxy. Elapsed time of running jobs ticks from a cheap 1 s timer
that repaints one column (no database reads)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont

from agentic_desktop.domain.jobs import TERMINAL_STATUSES, JobStatus, QueuedJob
from agentic_desktop.engine.events import Event, JobFinished, JobQueued, JobStarted
from agentic_desktop.ui.monitor.format import duration_text, local_time, status_color, status_text

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Job", "Workflow", "Status", "Priority", "Attempt", "Retries", "Trigger",
           "Scheduled", "Started", "Elapsed", "Error")
COL_STATUS, COL_ELAPSED, COL_ERROR = 2, 9, 10
JOB_ROLE = Qt.ItemDataRole.UserRole + 1
MAX_ROWS = 1000  # the oldest finished jobs drop off; History keeps everything

# Status filter choices: (label, statuses or None for all).
STATUS_FILTERS: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("All jobs", None),
    ("Active (pending, running, retrying)", frozenset({"pending", "running", "retrying"})),
    ("Pending", frozenset({"pending"})),
    ("Running", frozenset({"running"})),
    ("Retrying", frozenset({"retrying"})),
    ("Completed", frozenset({"completed"})),
    ("Failed or timed out", frozenset({"failed", "timed_out"})),
    ("Cancelled", frozenset({"cancelled"})),
    ("Missed or rejected", frozenset({"missed", "rejected"})),
)
ACTIVE = frozenset({"pending", "running", "retrying"})
JobEvents = JobQueued | JobStarted | JobFinished


def elapsed_ms(job: QueuedJob, now: datetime) -> float | None:
    if job.started_at is None:
        return None
    end = job.completed_at if job.status != "running" and job.completed_at else now
    if job.status in ("pending", "retrying"):
        return None  # waiting again: the last attempt's time is in History
    return max((end - job.started_at).total_seconds() * 1000.0, 0.0)


class JobsModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: list[QueuedJob] = []
        self._names: dict[int, str] = {}
        self._bold = QFont()
        self._bold.setBold(True)

    # -- content --------------------------------------------------------------------------

    def set_workflow_names(self, names: dict[int, str]) -> None:
        self._names = dict(names)
        if self._jobs:
            self.dataChanged.emit(self.index(0, 1), self.index(len(self._jobs) - 1, 1))

    def workflow_name(self, workflow_id: int) -> str:
        return self._names.get(workflow_id, f"workflow {workflow_id}")

    def set_jobs(self, jobs: list[QueuedJob]) -> None:
        self.beginResetModel()
        self._jobs = sorted(jobs, key=lambda j: j.id, reverse=True)[:MAX_ROWS]
        self.endResetModel()

    def upsert(self, job: QueuedJob) -> None:
        row = self.row_of(job.id)
        if row is not None:
            self._jobs[row] = job
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            return
        row = next((i for i, j in enumerate(self._jobs) if j.id < job.id), len(self._jobs))
        self.beginInsertRows(QModelIndex(), row, row)
        self._jobs.insert(row, job)
        self.endInsertRows()
        if len(self._jobs) > MAX_ROWS:
            self._drop_oldest_finished()

    def _drop_oldest_finished(self) -> None:
        for row in range(len(self._jobs) - 1, -1, -1):
            if self._jobs[row].status not in ACTIVE:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._jobs[row]
                self.endRemoveRows()
                return

    def apply_event(self, event: Event) -> None:
        """Show a queue event at once (the debounced re-read then fills in the rest), so
        even a 20 ms run is seen pending, running and finished."""
        row = self.row_of(event.job_id) if isinstance(event, JobEvents) else None
        if isinstance(event, JobQueued):
            current = self._jobs[row] if row is not None else None
            self.upsert(replace(current, status="pending", error_message=None)
                        if current is not None else QueuedJob(
                            id=event.job_id, workflow_id=event.workflow_id, status="pending",
                            created_at=event.time, scheduled_at=event.time,
                            scheduled_job_id=event.scheduled_job_id,
                            trigger_type=event.trigger_type))
        elif row is not None and isinstance(event, JobStarted):
            self.upsert(replace(self._jobs[row], status="running", attempt=event.attempt,
                                started_at=event.time, completed_at=None))
        elif row is not None and isinstance(event, JobFinished):
            job = self._jobs[row]
            self.upsert(replace(
                job, status=cast(JobStatus, event.status), error_message=event.error,
                execution_id=event.execution_id or job.execution_id,
                completed_at=event.time if event.status in TERMINAL_STATUSES else None))

    def row_of(self, job_id: int) -> int | None:
        return next((i for i, j in enumerate(self._jobs) if j.id == job_id), None)

    def job(self, row: int) -> QueuedJob:
        return self._jobs[row]

    def jobs(self) -> list[QueuedJob]:
        return list(self._jobs)

    def tick(self) -> None:
        """Repaint the elapsed time of running jobs."""
        rows = [i for i, j in enumerate(self._jobs) if j.status == "running"]
        if rows:
            self.dataChanged.emit(self.index(min(rows), COL_ELAPSED),
                                  self.index(max(rows), COL_ELAPSED),
                                  [Qt.ItemDataRole.DisplayRole])

    # -- Qt model -------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._jobs)

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
        job = self._jobs[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(job, col)
        if role == JOB_ROLE:
            return job
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_STATUS:
            return status_color(job.status)
        if role == Qt.ItemDataRole.FontRole and col == COL_STATUS:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_ERROR and job.error_message:
                return job.error_message
            if col == COL_STATUS and job.outcome_reason:
                return job.outcome_reason
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 3, 4, 5, COL_ELAPSED):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, job: QueuedJob, col: int) -> str:
        if col == 0:
            return str(job.id)
        if col == 1:
            return self.workflow_name(job.workflow_id)
        if col == COL_STATUS:
            return status_text(job.status)
        if col == 3:
            return str(job.priority)
        if col == 4:
            return str(job.attempt)
        if col == 5:
            return f"{job.retry_count} / {job.max_retries}"
        if col == 6:
            return job.trigger_type
        if col == 7:
            return local_time(job.scheduled_at)
        if col == 8:
            return local_time(job.started_at)
        if col == COL_ELAPSED:
            return duration_text(elapsed_ms(job, datetime.now(UTC)))
        error = job.error_message or ""
        return error.splitlines()[0] if error else ""


class JobsFilter(QSortFilterProxyModel):
    """Rows whose status is in the chosen set and whose workflow is the chosen one."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._statuses: frozenset[str] | None = None
        self._workflow_id: int | None = None

    def set_statuses(self, statuses: frozenset[str] | None) -> None:
        self.beginFilterChange()
        self._statuses = statuses
        self.endFilterChange()

    def set_workflow(self, workflow_id: int | None) -> None:
        self.beginFilterChange()
        self._workflow_id = workflow_id
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        model = self.sourceModel()
        assert isinstance(model, JobsModel)
        job = model.job(source_row)
        if self._statuses is not None and job.status not in self._statuses:
            return False
        return self._workflow_id is None or job.workflow_id == self._workflow_id
