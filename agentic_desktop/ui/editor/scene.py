"""The canvas scene: mirrors the EditorDocument. It builds items for a loaded workflow in one
linear pass, and after each edit/undo/redo it diffs old and new workflow by object identity
(edits share untouched nodes), touching only the items that changed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from agentic_desktop.domain.errors import Problem
from agentic_desktop.domain.workflow import Edge, SpecLookup, Workflow
from agentic_desktop.ui.editor import edits
from agentic_desktop.ui.editor.document import EditorDocument
from agentic_desktop.ui.editor.edge_item import EdgeItem
from agentic_desktop.ui.editor.modes import ConnectDrag, MoveTracker
from agentic_desktop.ui.editor.node_item import NodeItem, PortItem
from agentic_desktop.ui.editor.note_item import NoteItem
from agentic_desktop.ui.editor.value_preview import (
    ValuePreviewItem,
    describe_value,
    sparkline_values,
)
from agentic_desktop.ui.theme import ThemeColors, current_colors


class EditorScene(QGraphicsScene):
    connection_refused = Signal(str)
    quick_add_requested = Signal(QPointF)
    note_edit_requested = Signal(str)

    def __init__(self, document: EditorDocument, catalog: SpecLookup) -> None:
        super().__init__()
        self.document = document
        self.catalog = catalog
        self.colors: ThemeColors = current_colors()
        self.snap_enabled = True
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[Edge, EdgeItem] = {}
        self.notes: dict[str, NoteItem] = {}
        # (node id, port) -> last value from the latest run, for hover previews.
        self.port_values: dict[tuple[str, str], Any] = {}
        self.last_refusal: str | None = None
        self._connect: ConnectDrag | None = None
        self._move: MoveTracker | None = None
        self.preview = ValuePreviewItem()
        self.addItem(self.preview)
        self.setSceneRect(QRectF(-5000, -5000, 10000, 10000))
        self.setBackgroundBrush(QColor(self.colors.canvas))
        self.connection_refused.connect(self._remember_refusal)
        document.reset.connect(self.rebuild)
        document.changed.connect(self.apply_change)
        document.select_requested.connect(self.select_ids)
        self.rebuild(document.workflow)

    # -- mirroring the model ---------------------------------------------------------------

    def rebuild(self, wf: Workflow) -> None:
        self.clearSelection()
        for item in [*self.edges.values(), *self.nodes.values(), *self.notes.values()]:
            self.removeItem(item)
        self.nodes.clear()
        self.edges.clear()
        self.notes.clear()
        self.port_values.clear()
        for node in wf.nodes:
            self._add_node(node)
        for edge in wf.edges:
            self._add_edge(edge)
        for note in wf.notes:
            self._add_note(note)
        self._grow_scene_rect()

    def apply_change(self, old: Workflow, new: Workflow) -> None:
        if old.edges is not new.edges:
            new_edges = set(new.edges)
            for edge in [e for e in self.edges if e not in new_edges]:
                item = self.edges.pop(edge)
                item.detach()
                self.removeItem(item)
        if old.nodes is not new.nodes:
            before = {n.id: n for n in old.nodes}
            current = {n.id for n in new.nodes}
            for node_id in [i for i in self.nodes if i not in current]:
                item = self.nodes.pop(node_id)
                for edge_item in list(item.edges):
                    self.edges.pop(edge_item.edge, None)
                    edge_item.detach()
                    self.removeItem(edge_item)
                self.removeItem(item)
            for node in new.nodes:
                if node.id not in self.nodes:
                    self._add_node(node)
                elif before.get(node.id) is not node:
                    self.nodes[node.id].update_node(node)
        if old.edges is not new.edges:
            for edge in new.edges:
                if edge not in self.edges:
                    self._add_edge(edge)
        if old.notes is not new.notes:
            current_notes = {c.id for c in new.notes}
            for note_id in [i for i in self.notes if i not in current_notes]:
                self.removeItem(self.notes.pop(note_id))
            for note in new.notes:
                if note.id not in self.notes:
                    self._add_note(note)
                elif self.notes[note.id].note is not note:
                    self.notes[note.id].update_note(note)
        self._grow_scene_rect()

    def _add_node(self, node: Any) -> None:
        item = NodeItem(node, self.catalog.get(node.type))
        self.nodes[node.id] = item
        self.addItem(item)

    def _add_edge(self, edge: Edge) -> None:
        source, target = self.nodes.get(edge.source_node), self.nodes.get(edge.target_node)
        if source is None or target is None:
            return  # validation reports dangling edges; nothing to draw
        item = EdgeItem(edge, source, target)
        self.edges[edge] = item
        self.addItem(item)

    def _add_note(self, note: Any) -> None:
        item = NoteItem(note)
        self.notes[note.id] = item
        self.addItem(item)

    def _grow_scene_rect(self) -> None:
        # A fixed generous rect, grown when content leaves it, keeps scrollbars stable
        # instead of recomputing the bounding rect of every item on each change.
        bounds = self.itemsBoundingRect().adjusted(-2000, -2000, 2000, 2000)
        self.setSceneRect(self.sceneRect().united(bounds))

    # -- selection -------------------------------------------------------------------------

    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_note_ids(self) -> list[str]:
        return [i.note_id for i in self.selectedItems() if isinstance(i, NoteItem)]

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_ids(self, ids: list[str]) -> None:
        self.clearSelection()
        for i in ids:
            item = self.nodes.get(i) or self.notes.get(i)
            if item is not None:
                item.setSelected(True)

    def delete_selection(self) -> None:
        nodes, edges, notes = (self.selected_node_ids(), self.selected_edges(),
                               self.selected_note_ids())
        if not (nodes or edges or notes):
            return
        count = len(nodes) + len(edges) + len(notes)
        self.document.edit(edits.remove(self.document.workflow, nodes, edges, notes),
                           f"Delete {count} item{'s' if count != 1 else ''}")

    # -- run state and validation ------------------------------------------------------------

    def clear_run_state(self) -> None:
        self.port_values.clear()
        for item in self.nodes.values():
            if item.status is not None:
                item.set_status(None)

    def set_node_status(self, node_id: str, status: str, duration_ms: float | None) -> None:
        item = self.nodes.get(node_id)
        if item is not None:
            item.set_status(status, duration_ms)

    def set_port_values(self, node_id: str, outputs: dict[str, Any]) -> None:
        for port, value in outputs.items():
            self.port_values[(node_id, port)] = value

    def show_problems(self, problems: list[Problem]) -> None:
        by_node: dict[str, list[str]] = {}
        for p in problems:
            if p.node_id is not None:
                where = p.param or p.port
                by_node.setdefault(p.node_id, []).append(
                    f"{where}: {p.message}" if where else p.message)
        for node_id, item in self.nodes.items():
            item.set_problems(by_node.get(node_id, []))

    # -- hover previews ------------------------------------------------------------------

    def show_port_value(self, port: PortItem, at: QPointF) -> None:
        node_id = port.node_item.node_id
        title = f"{node_id}.{port.name} ({port.spec.type})"
        if port.is_output:
            key: tuple[str, str] | None = (node_id, port.name)
        else:
            key = next(((e.source_node, e.source_port) for e in self.document.workflow.edges
                        if e.target_node == node_id and e.target_port == port.name), None)
        if key is None or key not in self.port_values:
            self.preview.show_value(title, "no value yet: run the workflow", [], at)
            return
        value = self.port_values[key]
        self.preview.show_value(title, describe_value(value), sparkline_values(value), at)

    def hide_value_preview(self) -> None:
        self.preview.hide()

    # -- theme -----------------------------------------------------------------------------

    def set_colors(self, colors: ThemeColors) -> None:
        self.colors = colors
        self.setBackgroundBrush(QColor(colors.canvas))
        for item in [*self.nodes.values(), *self.notes.values()]:
            item.update()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        super().drawBackground(painter, rect)
        view_scale = painter.worldTransform().m11()
        if view_scale < 0.35:
            return  # a grid denser than a few pixels is noise and costs frame time
        grid = edits.GRID * (1 if view_scale > 0.7 else 5)
        left = int(rect.left() // grid) * grid
        top = int(rect.top() // grid) * grid
        painter.setPen(QPen(QColor(self.colors.grid), 0))
        lines = []
        x = left
        while x < rect.right():
            lines.append((QPointF(x, rect.top()), QPointF(x, rect.bottom())))
            x += grid
        y = top
        while y < rect.bottom():
            lines.append((QPointF(rect.left(), y), QPointF(rect.right(), y)))
            y += grid
        for a, b in lines:
            painter.drawLine(a, b)

    # -- mouse -----------------------------------------------------------------------------

    def port_at(self, pos: QPointF, *, exclude: PortItem | None = None) -> PortItem | None:
        area = QRectF(pos.x() - 8, pos.y() - 8, 16, 16)
        ports = [i for i in self.items(area) if isinstance(i, PortItem) and i is not exclude]
        if not ports:
            return None
        return min(ports, key=lambda p: (p.anchor() - pos).manhattanLength())

    def snap_while_dragging(self) -> bool:
        return self.snap_enabled and self._move is not None

    def snapped(self, value: QPointF) -> QPointF:
        return QPointF(edits.snap(value.x()), edits.snap(value.y()))

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            port = self.port_at(event.scenePos())
            if port is not None:
                self._connect = ConnectDrag(self, port)
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._move = MoveTracker(self)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._connect is not None:
            self._connect.move(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._connect is not None:
            mode, self._connect = self._connect, None
            mode.finish(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if self._move is not None:
            mode, self._move = self._move, None
            mode.finish()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        item = self.itemAt(event.scenePos(), self.views()[0].transform()) if self.views() else None
        if item is None or item is self.preview:
            self.quick_add_requested.emit(event.scenePos())
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def _remember_refusal(self, reason: str) -> None:
        self.last_refusal = reason

