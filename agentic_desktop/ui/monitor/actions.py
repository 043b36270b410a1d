"""Job actions of the queue monitor: cancel, retry and open execution, from the buttons and
the table's context menu. The changed job goes back into the table at once (the engine's events
then confirm it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QModelIndex, QPoint, SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QPushButton, QTableView

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.jobs import RETRYABLE_STATUSES, QueuedJob
from agentic_desktop.ui.bridge import EngineBridge
from agentic_desktop.ui.monitor.jobs_model import JOB_ROLE, JobsFilter, JobsModel
from agentic_desktop.ui.services import EngineAdmin

T = TypeVar("T")
CANCELLABLE = frozenset({"pending", "retrying", "running"})


class JobActionsMixin:
    """Mixed into QueueMonitorView (a QWidget), which provides these."""

    engine: EngineAdmin | None
    bridge: EngineBridge
    table: QTableView
    model: JobsModel
    proxy: JobsFilter
    buttons: dict[str, QPushButton]
    open_execution: SignalInstance

    def _changed(self, job: QueuedJob) -> None:
        raise NotImplementedError

    def selected_job(self) -> QueuedJob | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        job = rows[0].data(JOB_ROLE)
        return job if isinstance(job, QueuedJob) else None

    def select_job(self, job_id: int) -> bool:
        row = self.model.row_of(job_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.selectRow(index.row())
        self._update_buttons()
        return True

    def _update_buttons(self) -> None:
        job = self.selected_job()
        self.buttons["cancel"].setEnabled(job is not None and job.status in CANCELLABLE)
        self.buttons["retry"].setEnabled(job is not None and job.status in RETRYABLE_STATUSES)
        self.buttons["open"].setEnabled(job is not None and job.execution_id is not None)

    def context_menu(self, job: QueuedJob) -> QMenu:
        menu = QMenu(self)  # type: ignore[call-overload]
        actions: list[tuple[str, bool, Any]] = [
            ("Cancel job", job.status in CANCELLABLE, lambda: self.cancel(job.id)),
            ("Retry", job.status in RETRYABLE_STATUSES, lambda: self.retry(job.id)),
            ("Open execution", job.execution_id is not None,
             lambda: self.open_execution.emit(job.execution_id)),
        ]
        for text, enabled, slot in actions:
            action = QAction(text, menu)
            action.setEnabled(enabled)
            action.triggered.connect(lambda _c=False, s=slot: s())
            menu.addAction(action)
        return menu

    def _show_context_menu(self, pos: QPoint) -> None:
        index: QModelIndex = self.table.indexAt(pos)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        job = index.data(JOB_ROLE)
        if isinstance(job, QueuedJob):
            menu = self.context_menu(job)
            menu.aboutToHide.connect(menu.deleteLater)
            menu.popup(self.table.viewport().mapToGlobal(pos))

    def cancel_selected(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.cancel(job.id)

    def retry_selected(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.retry(job.id)

    def open_selected_execution(self) -> None:
        job = self.selected_job()
        if job is not None and job.execution_id is not None:
            self.open_execution.emit(job.execution_id)

    def cancel(self, job_id: int) -> bool:
        """Cancel a pending or retrying job, or tell the worker running it to stop."""
        if self.engine is None:
            return False
        outcome = self._engine_call(self.engine.scheduling.cancel_job, job_id,
                                    f"Job {job_id} could not be cancelled")
        if outcome is not None:
            self._changed(outcome.job)
        return outcome is not None

    def retry(self, job_id: int) -> bool:
        """Put a failed, cancelled or timed-out job back in the queue."""
        if self.engine is None:
            return False
        job = self._engine_call(self.engine.scheduling.retry_job, job_id,
                                f"Job {job_id} could not be retried")
        if job is not None:
            self._changed(job)
        return job is not None

    def _engine_call(self, fn: Callable[[int], T], job_id: int, title: str) -> T | None:
        # On the loop thread, like the API's routes: cancelling a running job cancels its
        # asyncio task and retrying wakes the workers, neither of which is thread-safe. Each
        # is one short write transaction.
        try:
            return fn(job_id)
        except UserError as exc:
            self.bridge.task_failed.emit(title, str(exc))
            return None
