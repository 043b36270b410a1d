"""Run now from the editor: validate first (problems listed and highlighted, run refused),
then start the engine run as an asyncio task through the bridge and mirror its events on the
canvas (status badges, durations, port values) and in the Run log."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from agentic_desktop.domain.runs import ExecutionResult
from agentic_desktop.domain.workflow import validate
from agentic_desktop.engine.events import NodeFinished, NodeStarted, RunFinished
from agentic_desktop.ui.bridge import EngineBridge
from agentic_desktop.ui.editor.editor_widget import WorkflowEditor
from agentic_desktop.ui.run_log import RunLogWidget
from agentic_desktop.ui.services import UiServices


class RunController(QObject):
    running_changed = Signal(bool)
    finished = Signal(object)  # ExecutionResult

    def __init__(self, services: UiServices, bridge: EngineBridge, editor: WorkflowEditor,
                 log: RunLogWidget, status: Callable[[str], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.bridge = bridge
        self.editor = editor
        self.log = log
        self.status = status
        self.task: asyncio.Task[Any] | None = None
        # The key of the editor's current run: the engine's events carry it (it is the run's
        # idempotency key), so a scheduled run of the same workflow never paints our canvas.
        self.run_key: str | None = None
        self.last_result: ExecutionResult | None = None
        bridge.node_started.connect(self._on_node_started)
        bridge.node_finished.connect(self._on_node_finished)
        bridge.run_finished.connect(self._on_run_finished)
        # A new model invalidates the last run's badges and problem marks.
        editor.document.reset.connect(lambda _wf: self.editor.scene.show_problems([]))

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def run(self) -> bool:
        """Start a run of the current workflow; False when refused (invalid or running)."""
        if self.running:
            self.status("A run of this workflow is already in progress")
            return False
        wf = self.editor.document.workflow
        symbols = frozenset(self.services.symbols()) or None
        problems = validate(wf, self.services.catalog, symbols=symbols)
        self.editor.scene.show_problems(problems)
        if problems:
            self.log.show_problems(wf.name, problems)
            self.status(f"Run refused: {len(problems)} problem(s), see the Run log")
            return False
        if not wf.nodes:
            self.status("Nothing to run: add nodes first")
            return False
        self.editor.scene.clear_run_state()
        self.log.run_started(wf.name)
        self.run_key = f"editor:{uuid.uuid4().hex}"
        self.task = self.bridge.run_task(
            self.services.run_workflow(wf, self.editor.document.stored_id, self.run_key),
            title=f"Run of {wf.name!r} failed", on_done=self._on_done,
            on_error=self._on_error,
        )
        self.task.add_done_callback(lambda _t: self.running_changed.emit(False))
        self.running_changed.emit(True)
        self.status(f"Running {wf.name!r}…")
        return True

    def _mine(self, run_key: str) -> bool:
        return self.run_key is not None and run_key == self.run_key

    def _on_node_started(self, event: NodeStarted) -> None:
        if self._mine(event.run_key):
            self.editor.scene.set_node_status(event.node_id, "running", None)

    def _on_node_finished(self, event: NodeFinished) -> None:
        if not self._mine(event.run_key):
            return
        run = event.node_run
        self.editor.scene.set_node_status(run.node_id, run.status, run.duration_ms)
        self.editor.scene.set_port_values(run.node_id, event.outputs)
        self.log.node_finished(run)

    def _on_run_finished(self, event: RunFinished) -> None:
        if not self._mine(event.run_key):
            return
        result = event.result
        # Nodes skipped because an earlier one failed publish no event of their own.
        for run in result.node_runs:
            item = self.editor.scene.nodes.get(run.node_id)
            if item is not None and item.status in (None, "running"):
                item.set_status(run.status, run.duration_ms)
        self.log.run_finished(result)
        self.last_result = result
        self.status(f"Run of {result.workflow_name!r}: {result.status}")
        self.finished.emit(result)

    def _on_done(self, result: ExecutionResult) -> None:
        self.last_result = result

    def _on_error(self, message: str) -> None:
        self.log.run_error(message)
