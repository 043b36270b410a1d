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
from agentic_desktop.ui.editor.commands import WorkflowEdit


class EditorDocument(QObject):
    # (old Workflow, new Workflow): an edit, undo or redo.
    changed = Signal(object, object)
    # A different workflow was loaded: rebuild everything.
    reset = Signal(object)
    dirty_changed = Signal(bool)
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

    def _on_clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(self._unsaved_import or not clean)

    @property
    def stored_id(self) -> int | None:
        return self.workflow.id

    @property
    def dirty(self) -> bool:
        return self._unsaved_import or not self.undo_stack.isClean()

    def load(self, workflow: Workflow, *, unsaved: bool = False) -> None:
        self.undo_stack.clear()
        self.workflow = workflow
        self._unsaved_import = unsaved
        self.reset.emit(workflow)
        self.dirty_changed.emit(self.dirty)

    def mark_saved(self, workflow: Workflow) -> None:
        """After a save: adopt the stored id/name without an undo step."""
        old = self.workflow
        self.workflow = workflow
        self._unsaved_import = False
        self.undo_stack.setClean()
        self.changed.emit(old, workflow)
        self.dirty_changed.emit(self.dirty)

    def rename(self, name: str) -> None:
        """A name change is not a graph edit: no undo step, no dirty flag."""
        old = self.workflow
        self.workflow = replace(old, name=name)
        self.changed.emit(old, self.workflow)
        self.dirty_changed.emit(self.dirty)

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
