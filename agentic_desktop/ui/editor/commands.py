"""Undo commands. Every edit is one command holding the workflow before and after it: the
domain Workflow is immutable, so both snapshots share all untouched nodes and cost little.

Consecutive edits of the same field (typing in the inspector) merge into one command through
`id()`/`mergeWith`, keyed by `merge_key`.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from agentic_desktop.domain.workflow import Workflow

if TYPE_CHECKING:
    from agentic_desktop.ui.editor.document import EditorDocument

_MERGEABLE_ID = 4242


class RenameWorkflow(QUndoCommand):
    """The workflow's name. Not a graph edit: it never makes the document dirty (a stored
    workflow's new name is written at once, see ui/files.py), but Ctrl+Z takes it back."""

    def __init__(self, document: EditorDocument, before: str, after: str) -> None:
        super().__init__(f"Rename to {after!r}")
        self.document = document
        self.before = before
        self.after = after

    def redo(self) -> None:
        self.document.set_name(self.after)

    def undo(self) -> None:
        self.document.set_name(self.before)


class WorkflowEdit(QUndoCommand):
    def __init__(self, document: EditorDocument, before: Workflow, after: Workflow, text: str,
                 *, merge_key: Hashable | None = None) -> None:
        super().__init__(text)
        self.document = document
        self.before = before
        self.after = after
        self.merge_key = merge_key

    def redo(self) -> None:
        self.document.apply(self.after)

    def undo(self) -> None:
        self.document.apply(self.before)

    def id(self) -> int:
        return _MERGEABLE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt API name)
        if not isinstance(other, WorkflowEdit) or other.merge_key != self.merge_key:
            return False
        self.after = other.after
        return True
