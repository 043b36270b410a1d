"""The Workflows editor: canvas view over the scene over the document, plus the editing
actions (undo/redo, copy/paste/duplicate, delete, zoom, snap, auto-layout, notes). The main
window places this widget and the palette/inspector docks; it does not implement them."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QInputDialog, QVBoxLayout, QWidget
from shiboken6 import isValid

from agentic_desktop.domain.workflow import Edge
from agentic_desktop.engine.ports import NodeCatalog
from agentic_desktop.ui.editor import edits
from agentic_desktop.ui.editor.clipboard import copy_to_clipboard, read_clipboard
from agentic_desktop.ui.editor.document import EditorDocument
from agentic_desktop.ui.editor.keyboard import (
    connection_candidates,
    first_connection,
    free_spot_at,
    free_spot_right_of,
    nearest_in_direction,
)
from agentic_desktop.ui.editor.layout import layered_positions
from agentic_desktop.ui.editor.node_item import WIDTH, node_height
from agentic_desktop.ui.editor.quick_add import ConnectPopup, Entry, QuickAddPopup
from agentic_desktop.ui.editor.scene import EditorScene
from agentic_desktop.ui.editor.view import EditorView

PASTE_OFFSET = 40.0


class WorkflowEditor(QWidget):
    selection_changed = Signal(object)  # the single selected node id, or None
    status_message = Signal(str)
    # Enter on the canvas with one node selected: the inspector takes the keyboard.
    edit_params_requested = Signal(str)

    def __init__(self, catalog: NodeCatalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.document = EditorDocument(self)
        self.scene = EditorScene(self.document, catalog)
        self.view = EditorView(self.scene)
        self.quick_add = QuickAddPopup(catalog, self)
        self.connect_popup = ConnectPopup(self)
        self._quick_add_at = QPointF()
        # Set when quick-add was opened from the keyboard with one node selected: the new
        # node goes right of it and is connected to it.
        self._quick_add_after: str | None = None
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
        self.view.quick_add_requested.connect(self.open_quick_add_from_keyboard)
        self.view.navigate_requested.connect(self.select_towards)
        self.view.activate_requested.connect(self._activate_selection)
        self.view.node_dropped.connect(self.add_node)
        self.quick_add.chosen.connect(self._quick_add_chosen)
        self.connect_popup.chosen.connect(self._connect_chosen)

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
        self._action("fit", "Fit All", "F", lambda: self.view.fit_all())
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
        self._action("quick_add", "Quick Add…", "Tab", lambda: self.open_quick_add_from_keyboard(),
                     "Add a node (after the selected one, connected to it)")
        self._action("connect", "Connect…", "C", lambda: self.open_connect(),
                     "Connect the selected node to another node, by keyboard")
        # Plain keys act on the canvas only: elsewhere Tab moves between fields, letters type
        # and Delete edits text (the menus still trigger them from anywhere).
        for name in ("quick_add", "connect", "fit", "reset_zoom", "note", "delete"):
            self.actions_by_name[name].setShortcutContext(
                Qt.ShortcutContext.WidgetWithChildrenShortcut)
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
        self._quick_add_after = None
        self._popup(self.quick_add, at)

    def open_quick_add_from_keyboard(self, at: QPointF | None = None) -> None:
        selected = self.scene.selected_node_ids()
        if len(selected) == 1 and selected[0] in self.scene.nodes:
            item = self.scene.nodes[selected[0]]
            self._quick_add_at = item.pos() + QPointF(item.size()[0] + 20, 0)
            self._quick_add_after = selected[0]
            self._popup(self.quick_add, self._quick_add_at)
            return
        self.open_quick_add(at if at is not None else self.view.cursor_scene_pos())

    def _popup(self, popup: QWidget, at: QPointF) -> None:
        global_pos = self.view.viewport().mapToGlobal(self.view.mapFromScene(at))
        popup.popup_at(global_pos)  # type: ignore[attr-defined]

    def _quick_add_chosen(self, type_id: object) -> None:
        after = self._quick_add_after
        if after is None or after not in self.scene.nodes:
            spec = self.catalog.get(str(type_id))
            at = self._quick_add_at
            if spec is not None:  # never on top of another node
                x, y = free_spot_at(self.document.workflow, (at.x(), at.y()), self._size,
                                    (WIDTH, node_height(spec)))
                at = QPointF(x, y)
            self.add_node(str(type_id), at)
            return
        self.add_node_after(str(type_id), after)

    def _size(self, node_id: str) -> tuple[float, float]:
        item = self.scene.nodes.get(node_id)
        return item.size() if item is not None else (WIDTH, 100.0)

    def add_node_after(self, type_id: str, source_id: str) -> str | None:
        """Add a node right of `source_id` and connect its first compatible output to the
        new node, as one undo step."""
        spec = self.catalog.get(type_id)
        wf = self.document.workflow
        if spec is None or wf.node(source_id) is None:
            return None
        spot = free_spot_right_of(wf, source_id, self._size, (WIDTH, node_height(spec)))
        after, node_id = edits.add_node(wf, spec, (edits.snap(spot[0]), edits.snap(spot[1])))
        edge = first_connection(after, self.catalog, source_id, node_id)
        if edge is not None:
            after = edits.add_edge(after, edge)
        self.document.edit(after, f"Add {spec.title}", select=[node_id])
        item = self.scene.nodes.get(node_id)
        if item is not None:
            self.view.ensureVisible(item, 60, 60)
        self.status_message.emit(
            f"Added {spec.title}, connected {edge.source_port} → {edge.target_port}"
            if edge is not None else f"Added {spec.title} (no compatible port to connect)")
        return node_id

    def open_connect(self) -> None:
        selected = self.scene.selected_node_ids()
        if len(selected) != 1:
            self.status_message.emit("Connect: select one node first (arrow keys move the "
                                     "selection)")
            return
        node_id = selected[0]
        found = connection_candidates(self.document.workflow, self.catalog, node_id,
                                      lambda i: self.scene.nodes[i].title
                                      if i in self.scene.nodes else i)
        self.connect_popup.candidates = [
            Entry(label, edge, keywords=f"{edge.source_node} {edge.target_node}")
            for edge, label in found]
        item = self.scene.nodes[node_id]
        self.view.ensureVisible(item, 60, 60)
        self._popup(self.connect_popup, item.pos() + QPointF(item.size()[0] + 20, 0))

    def _connect_chosen(self, edge: object) -> None:
        assert isinstance(edge, Edge)
        self.document.edit(
            edits.add_edge(self.document.workflow, edge),
            f"Connect {edge.source_node}.{edge.source_port} → "
            f"{edge.target_node}.{edge.target_port}")

    def select_towards(self, dx: int, dy: int) -> None:
        """Arrow keys: move the selection to the nearest node in that direction (the
        first node when nothing is selected)."""
        positions = {i: (item.pos().x(), item.pos().y()) for i, item in self.scene.nodes.items()}
        if not positions:
            return
        selected = self.scene.selected_node_ids()
        if len(selected) != 1:
            target = min(positions, key=lambda i: (positions[i][0], positions[i][1]))
        else:
            target = nearest_in_direction(positions, selected[0], dx, dy) or selected[0]
        self.scene.select_ids([target])
        self.view.ensureVisible(self.scene.nodes[target], 60, 60)

    def _activate_selection(self) -> None:
        selected = self.scene.selected_node_ids()
        if len(selected) == 1:
            self.edit_params_requested.emit(selected[0])

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
        self.view.fit_readable()

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
