"""The Workflows editor: canvas view over the scene over the document, plus the editing
actions (undo/redo, copy/paste/duplicate, delete, zoom, snap, auto-layout, notes). The main
window places this widget and the palette/inspector docks; it does not implement them."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QInputDialog, QVBoxLayout, QWidget
from shiboken6 import isValid

from agentic_desktop.engine.ports import NodeCatalog
from agentic_desktop.ui.editor import edits
from agentic_desktop.ui.editor.clipboard import copy_to_clipboard, read_clipboard
from agentic_desktop.ui.editor.document import EditorDocument
from agentic_desktop.ui.editor.layout import layered_positions
from agentic_desktop.ui.editor.quick_add import QuickAddPopup
from agentic_desktop.ui.editor.scene import EditorScene
from agentic_desktop.ui.editor.view import EditorView

PASTE_OFFSET = 40.0


class WorkflowEditor(QWidget):
    selection_changed = Signal(object)  # the single selected node id, or None
    status_message = Signal(str)

    def __init__(self, catalog: NodeCatalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.document = EditorDocument(self)
        self.scene = EditorScene(self.document, catalog)
        self.view = EditorView(self.scene)
        self.quick_add = QuickAddPopup(catalog, self)
        self._quick_add_at = QPointF()
        self.note_dialog: QInputDialog | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.actions_by_name: dict[str, QAction] = {}
        self._make_actions()
        self.scene.selectionChanged.connect(self._on_selection)
        self.scene.quick_add_requested.connect(self.open_quick_add)
        self.scene.connection_refused.connect(
            lambda why: self.status_message.emit(f"Connection refused: {why}"))
        self.scene.note_edit_requested.connect(self.edit_note)
        self.view.quick_add_requested.connect(self.open_quick_add)
        self.view.node_dropped.connect(self.add_node)
        self.quick_add.chosen.connect(lambda t: self.add_node(t, self._quick_add_at))

    # -- actions ---------------------------------------------------------------------------

    def _action(self, name: str, text: str, shortcut: QKeySequence | str | None,
                slot: object, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        # Editor shortcuts work when the canvas or its docks have focus, not in dialogs.
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(tip or text)
        action.triggered.connect(slot)
        self.actions_by_name[name] = action
        return action

    def _make_actions(self) -> None:
        stack = self.document.undo_stack
        undo = stack.createUndoAction(self, "Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = stack.createRedoAction(self, "Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        self.actions_by_name["undo"], self.actions_by_name["redo"] = undo, redo
        key = QKeySequence.StandardKey
        self._action("copy", "Copy", QKeySequence(key.Copy), self.copy)
        self._action("paste", "Paste", QKeySequence(key.Paste), self.paste)
        self._action("duplicate", "Duplicate", "Ctrl+D", self.duplicate)
        delete = self._action("delete", "Delete", QKeySequence(key.Delete),
                              self.scene.delete_selection)
        delete.setShortcuts([QKeySequence(key.Delete), QKeySequence("Backspace")])
        self._action("select_all", "Select All", QKeySequence(key.SelectAll), self.select_all)
        self._action("fit", "Fit All", "F", self.view.fit_all)
        self._action("reset_zoom", "Reset Zoom", "1", self.view.reset_zoom)
        self._action("zoom_in", "Zoom In", QKeySequence(key.ZoomIn),
                     lambda: self.view.zoom_by(1.25))
        self._action("zoom_out", "Zoom Out", QKeySequence(key.ZoomOut),
                     lambda: self.view.zoom_by(0.8))
        snap = self._action("snap", "Snap to Grid", "Ctrl+G", self._toggle_snap)
        snap.setCheckable(True)
        snap.setChecked(True)
        self._action("layout", "Auto-Layout", "Ctrl+L", self.auto_layout,
                     "Arrange nodes in layers, left to right")
        self._action("note", "Add Note", "N", self.add_note_at_cursor, "Add a sticky note")
        self._action("quick_add", "Quick Add…", "Tab",
                     lambda: self.open_quick_add(self.view.cursor_scene_pos()))
        for action in self.actions_by_name.values():
            self.addAction(action)

    def _toggle_snap(self) -> None:
        self.scene.snap_enabled = self.actions_by_name["snap"].isChecked()

    # -- edits -----------------------------------------------------------------------------

    def add_node(self, type_id: str, at: QPointF | None = None) -> str | None:
        spec = self.catalog.get(type_id)
        if spec is None:
            return None
        pos = at if at is not None else self.view.mapToScene(self.view.viewport().rect().center())
        point = (edits.snap(pos.x()), edits.snap(pos.y())) if self.scene.snap_enabled \
            else (pos.x(), pos.y())
        after, node_id = edits.add_node(self.document.workflow, spec, point)
        self.document.edit(after, f"Add {spec.title}", select=[node_id])
        return node_id

    def open_quick_add(self, at: QPointF) -> None:
        self._quick_add_at = at
        global_pos = self.view.viewport().mapToGlobal(self.view.mapFromScene(at))
        self.quick_add.popup_at(global_pos)

    def select_all(self) -> None:
        for item in [*self.scene.nodes.values(), *self.scene.notes.values()]:
            item.setSelected(True)

    def copy(self) -> bool:
        nodes, notes = self.scene.selected_node_ids(), self.scene.selected_note_ids()
        if not (nodes or notes):
            return False
        copy_to_clipboard(edits.fragment(self.document.workflow, nodes, notes))
        self.status_message.emit(f"Copied {len(nodes)} node(s)")
        return True

    def paste(self) -> list[str]:
        piece = read_clipboard()
        if piece is None or not (piece.nodes or piece.notes):
            return []
        after, node_ids, note_ids = edits.paste(self.document.workflow, piece,
                                                (PASTE_OFFSET, PASTE_OFFSET))
        self.document.edit(after, f"Paste {len(node_ids)} node(s)", select=node_ids + note_ids)
        return node_ids

    def duplicate(self) -> list[str]:
        return self.paste() if self.copy() else []

    def auto_layout(self) -> None:
        wf = self.document.workflow
        if not wf.nodes:
            return
        positions = layered_positions(wf, lambda i: self.scene.nodes[i].size()
                                      if i in self.scene.nodes else (190.0, 100.0))
        self.document.edit(edits.move(wf, positions), "Auto-layout")
        self.view.fit_all()

    def add_note_at_cursor(self) -> None:
        pos = self.view.cursor_scene_pos()
        after, note_id = edits.add_note(self.document.workflow, "Note",
                                        (edits.snap(pos.x()), edits.snap(pos.y())))
        self.document.edit(after, "Add note", select=[note_id])
        self.edit_note(note_id)

    def edit_note(self, note_id: str) -> None:
        note = next((c for c in self.document.workflow.notes if c.id == note_id), None)
        if note is None:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Edit note")
        dialog.setLabelText("Note text:")
        dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
        dialog.setTextValue(note.text)

        def accepted(text: str) -> None:
            if text != note.text:
                self.document.edit(edits.set_note_text(self.document.workflow, note_id, text),
                                   "Edit note")

        dialog.textValueSelected.connect(accepted)
        self.note_dialog = dialog
        dialog.open()  # never exec(): a nested loop would stall the asyncio tasks

    def _on_selection(self) -> None:
        if not isValid(self.scene):
            return  # the scene emits while it is being destroyed at shutdown
        nodes = self.scene.selected_node_ids()
        self.selection_changed.emit(nodes[0] if len(nodes) == 1 else None)
