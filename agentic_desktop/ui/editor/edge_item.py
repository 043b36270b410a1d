"""Edges: cubic bezier curves from an output port to an input port, coloured by the value
type they carry. `DragEdgeItem` is the rubber edge shown while a connection is being drawn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsSimpleTextItem

from agentic_desktop.domain.workflow import Edge
from agentic_desktop.ui.editor.node_item import WIDTH, NodeItem, PortItem

if TYPE_CHECKING:
    from agentic_desktop.ui.editor.scene import EditorScene


def bezier(start: QPointF, end: QPointF) -> QPainterPath:
    # Horizontal tangents at both ends read as "left to right" even when the target is behind.
    bend = max(40.0, abs(end.x() - start.x()) * 0.5)
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x() + bend, start.y()), QPointF(end.x() - bend, end.y()), end)
    return path


class EdgeItem(QGraphicsPathItem):
    def __init__(self, edge: Edge, source: NodeItem, target: NodeItem) -> None:
        super().__init__()
        self.edge = edge
        self.source = source
        self.target = target
        self.source_port: PortItem | None = source.port(edge.source_port, output=True)
        self.target_port: PortItem | None = target.port(edge.target_port, output=False)
        color = self.source_port.color if self.source_port else QColor("#adb5bd")
        self._pen = QPen(color, 2.2)
        self._pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self.setPen(self._pen)
        self.setZValue(-1)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        source.edges.add(self)
        target.edges.add(self)
        self.refresh()

    def detach(self) -> None:
        self.source.edges.discard(self)
        self.target.edges.discard(self)

    def endpoints(self) -> tuple[QPointF, QPointF]:
        start = (self.source_port.anchor() if self.source_port
                 else self.source.scenePos() + QPointF(WIDTH, 20))
        end = self.target_port.anchor() if self.target_port else self.target.scenePos()
        return start, end

    def refresh(self) -> None:
        self.setPath(bezier(*self.endpoints()))

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(12)  # easier to hover and click than the 2 px line
        return stroker.createStroke(self.path())

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:  # noqa: N802
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            pen = QPen(self._pen)
            if value:
                pen.setWidthF(3.6)
                pen.setColor(self._pen.color().lighter(130))
            self.setPen(pen)
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event: Any) -> None:  # noqa: N802
        scene: EditorScene | None = self.scene()  # type: ignore[assignment]
        if scene is not None and self.source_port is not None:
            scene.show_port_value(self.source_port, event.scenePos())

    def hoverLeaveEvent(self, event: Any) -> None:  # noqa: N802
        scene: EditorScene | None = self.scene()  # type: ignore[assignment]
        if scene is not None:
            scene.hide_value_preview()


class DragEdgeItem(QGraphicsPathItem):
    """The edge under the mouse while connecting; red with the reason when it would be
    refused."""

    def __init__(self, start: QPointF, color: QColor) -> None:
        super().__init__()
        self.start = start
        self.ok_pen = QPen(color, 2.2, Qt.PenStyle.DashLine)
        self.refused_pen = QPen(QColor("#e03131"), 2.2, Qt.PenStyle.DashLine)
        self.setPen(self.ok_pen)
        self.setZValue(10)
        self.label = QGraphicsSimpleTextItem(self)
        self.label.setBrush(QColor("#ff8787"))
        self.label.setZValue(11)

    def update_to(self, end: QPointF, *, reverse: bool, refusal: str | None) -> None:
        self.setPath(bezier(end, self.start) if reverse else bezier(self.start, end))
        self.setPen(self.refused_pen if refusal else self.ok_pen)
        self.label.setText(f"✕ {refusal}" if refusal else "")
        self.label.setPos(end + QPointF(14, 8))
