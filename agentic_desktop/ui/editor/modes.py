"""Mouse interaction modes of the canvas, one object per mode (the Orange canvas pattern):
the scene forwards press/move/release to the active mode, and each mode turns a gesture into
at most one undo command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF

from agentic_desktop.domain.workflow import Edge, can_connect
from agentic_desktop.ui.editor import edits
from agentic_desktop.ui.editor.edge_item import DragEdgeItem
from agentic_desktop.ui.editor.node_item import NodeItem, PortItem
from agentic_desktop.ui.editor.note_item import NoteItem

if TYPE_CHECKING:
    from agentic_desktop.ui.editor.scene import EditorScene


class ConnectDrag:
    """Drag from a port to a port of the other direction. While dragging, the rubber edge
    turns red with the reason `can_connect` gives when the drop would be refused."""

    def __init__(self, scene: EditorScene, start: PortItem) -> None:
        self.scene = scene
        self.start = start
        self.target: PortItem | None = None
        self.refusal: str | None = None
        self.item = DragEdgeItem(start.anchor(), start.color)
        scene.addItem(self.item)

    def _edge_to(self, other: PortItem) -> Edge:
        out, inp = (self.start, other) if self.start.is_output else (other, self.start)
        return Edge(source_node=out.node_item.node_id, source_port=out.name,
                    target_node=inp.node_item.node_id, target_port=inp.name)

    def refusal_for(self, other: PortItem) -> str | None:
        if other.is_output == self.start.is_output:
            return "connect an output (right side) to an input (left side)"
        e = self._edge_to(other)
        return can_connect(self.scene.document.workflow, self.scene.catalog,
                           e.source_node, e.source_port, e.target_node, e.target_port)

    def move(self, pos: QPointF) -> None:
        self.target = self.scene.port_at(pos, exclude=self.start)
        self.refusal = self.refusal_for(self.target) if self.target else None
        end = self.target.anchor() if self.target else pos
        self.item.update_to(end, reverse=not self.start.is_output, refusal=self.refusal)

    def finish(self, pos: QPointF) -> None:
        self.move(pos)
        self.scene.removeItem(self.item)
        if self.target is None:
            return
        if self.refusal:
            self.scene.connection_refused.emit(self.refusal)
            return
        e = self._edge_to(self.target)
        self.scene.document.edit(
            edits.add_edge(self.scene.document.workflow, e),
            f"Connect {e.source_node}.{e.source_port} → {e.target_node}.{e.target_port}",
        )

    def cancel(self) -> None:
        self.scene.removeItem(self.item)


class MoveTracker:
    """Remembers where the selection was at mouse press; at release, one Move command for
    everything that moved (the items already sit at their new place, so redo is a no-op for
    the scene)."""

    def __init__(self, scene: EditorScene) -> None:
        self.scene = scene
        self.before = {self._key(i): (i.pos().x(), i.pos().y())
                       for i in scene.selectedItems() if isinstance(i, (NodeItem, NoteItem))}

    @staticmethod
    def _key(item: NodeItem | NoteItem) -> str:
        return item.node_id if isinstance(item, NodeItem) else item.note_id

    def finish(self) -> None:
        after: dict[str, tuple[float, float]] = {}
        for item in self.scene.selectedItems():
            if isinstance(item, (NodeItem, NoteItem)):
                key = self._key(item)
                pos = (item.pos().x(), item.pos().y())
                if key in self.before and self.before[key] != pos:
                    after[key] = pos
        if after:
            noun = "item" if len(after) == 1 else "items"
            self.scene.document.edit(edits.move(self.scene.document.workflow, after),
                                     f"Move {len(after)} {noun}")
