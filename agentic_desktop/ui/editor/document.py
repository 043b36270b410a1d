"""The editor's model holder: owns the current domain Workflow and its undo stack, and tells
Python-side listeners (the scene, the inspector, the title bar) what changed.

Views never edit the model: they push commands (commands.py), and commands call `apply`.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from agentic_desktop.domain.workflow import Workflow
from agentic_desktop.ui.editor.commands import RenameWorkflow, WorkflowEdit


class EditorDocument(QObject):
    # (old Workflow, new Workflow): an edit, undo or redo.
    changed = Signal(object, object)
    # A different workflow was loaded: rebuild everything.
    reset = Signal(object)
    dirty_changed = Signal(bool)
    # The name changed by Rename, its undo or its redo (not by load or save).
    renamed = Signal(str)
    # Ask views to select these node/note ids (after add or paste).
    select_requested = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workflow = Workflow(name="Untitled")
        self.undo_stack = QUndoStack(self)
        # A workflow that never reached the database (new, imported) counts as unsaved once
        # it has content; the undo stack alone cannot say that.
        self._unsaved_import = False
        # A bound method (not a lambda) is disconnected by Qt when the document is destroyed;
        # the stack emits cleanChanged while it is torn down.
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.undo_stack.indexChanged.connect(self._on_index_changed)
        self._was_dirty = False

    def _on_clean_changed(self, _clean: bool) -> None:
        self._emit_dirty()

    def _on_index_changed(self, _index: int) -> None:
        self._emit_dirty()

    def _emit_dirty(self) -> None:
        dirty = self.dirty
        if dirty != self._was_dirty:
            self._was_dirty = dirty
            self.dirty_changed.emit(dirty)

    @property
    def stored_id(self) -> int | None:
        return self.workflow.id

    @property
    def dirty(self) -> bool:
        if self._unsaved_import:
            return True
        stack = self.undo_stack
        clean, now = stack.cleanIndex(), stack.index()
        if clean < 0:  # the saved state was dropped from the stack
            return any(not isinstance(stack.command(i), RenameWorkflow)
                       for i in range(stack.count()))
        low, high = min(clean, now), max(clean, now)
        # Renames between the saved state and now change no graph: still clean.
        return any(not isinstance(stack.command(i), RenameWorkflow) for i in range(low, high))

    def load(self, workflow: Workflow, *, unsaved: bool = False) -> None:
        self.undo_stack.clear()
        self.workflow = workflow
        self._unsaved_import = unsaved
        self.reset.emit(workflow)
        self._was_dirty = self.dirty
        self.dirty_changed.emit(self.dirty)

    def mark_saved(self, workflow: Workflow) -> None:
        """After a save: adopt the stored id/name without an undo step."""
        old = self.workflow
        self.workflow = workflow
        self._unsaved_import = False
        self.undo_stack.setClean()
        self.changed.emit(old, workflow)
        self._was_dirty = self.dirty
        self.dirty_changed.emit(self.dirty)

    def rename(self, name: str) -> None:
        """Rename as an undo step that never marks the document dirty."""
        if name != self.workflow.name:
            self.undo_stack.push(RenameWorkflow(self, self.workflow.name, name))

    def set_name(self, name: str) -> None:
        """Only RenameWorkflow calls this."""
        old = self.workflow
        self.workflow = replace(old, name=name)
        self.changed.emit(old, self.workflow)
        self.renamed.emit(name)
        self._emit_dirty()

    def apply(self, workflow: Workflow) -> None:
        """Only commands call this."""
        old = self.workflow
        if workflow.id != old.id or workflow.name != old.name:
            # Snapshots taken before a save or rename must not undo the stored id or name.
            workflow = replace(workflow, id=old.id, name=old.name)
        self.workflow = workflow
        self.changed.emit(old, workflow)

    def edit(self, after: Workflow, text: str, *, merge_key: Hashable | None = None,
             select: list[str] | None = None) -> None:
        if after is self.workflow:
            return
        self.undo_stack.push(WorkflowEdit(self, self.workflow, after, text, merge_key=merge_key))
        if select is not None:
            self.select_requested.emit(select)
