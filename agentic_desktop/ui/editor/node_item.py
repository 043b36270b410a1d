"""A node on the canvas: header in its category colour, title, a one-line summary of its key
params ("RSI 14"), typed ports, and a run-status badge with duration. Everything is painted by
one item plus one small child per port, so 1,000 nodes stay cheap to build and to pan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from agentic_desktop.domain.nodespec import NodeSpec, PortSpec
from agentic_desktop.domain.workflow import Node
from agentic_desktop.ui.editor.colors import STATUS_COLORS, category_color, port_color

if TYPE_CHECKING:
    from agentic_desktop.ui.editor.edge_item import EdgeItem
    from agentic_desktop.ui.editor.scene import EditorScene

WIDTH = 190.0
HEADER = 26.0
SUMMARY = 20.0
ROW = 20.0
PAD = 6.0
PORT_RADIUS = 5.5
BADGE_H = 18.0

_TITLE_FONT = QFont()
_TITLE_FONT.setBold(True)
_SMALL_FONT = QFont()
_SMALL_FONT.setPointSizeF(8.0)


def node_height(spec: NodeSpec | None) -> float:
    rows = max(len(spec.inputs), len(spec.outputs)) if spec else 0
    return HEADER + SUMMARY + rows * ROW + PAD


class PortItem(QGraphicsItem):
    def __init__(self, parent: NodeItem, spec: PortSpec, *, is_output: bool, row: int) -> None:
        super().__init__(parent)
        self.node_item = parent
        self.spec = spec
        self.is_output = is_output
        self.color = port_color(spec.type)
        self.setPos(WIDTH if is_output else 0.0, HEADER + SUMMARY + row * ROW + ROW / 2)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        kind = "output" if is_output else "input"
        gate = " (gate: a false value skips this node)" if spec.gate else ""
        help_text = f"\n{spec.help}" if spec.help else ""
        self.setToolTip(f"{spec.name}: {spec.type} {kind}{gate}{help_text}")

    @property
    def name(self) -> str:
        return self.spec.name

    def boundingRect(self) -> QRectF:  # noqa: N802
        r = PORT_RADIUS + 4
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(self.color.darker(160), 1.2))
        painter.setBrush(self.color)
        painter.drawEllipse(QPointF(0, 0), PORT_RADIUS, PORT_RADIUS)

    def anchor(self) -> QPointF:
        return self.scenePos()

    def hoverEnterEvent(self, event: Any) -> None:  # noqa: N802
        scene = self.scene()
        if scene is not None:
            scene.show_port_value(self, event.scenePos())

    def hoverLeaveEvent(self, event: Any) -> None:  # noqa: N802
        scene = self.scene()
        if scene is not None:
            scene.hide_value_preview()


class NodeItem(QGraphicsItem):
    def __init__(self, node: Node, spec: NodeSpec | None) -> None:
        super().__init__()
        self.node = node
        self.spec = spec
        self.edges: set[EdgeItem] = set()
        self.inputs: dict[str, PortItem] = {}
        self.outputs: dict[str, PortItem] = {}
        self.status: str | None = None
        self.duration_ms: float | None = None
        self.problems: list[str] = []
        self._height = node_height(spec)
        self._color = category_color(spec.category) if spec else QColor("#868e96")
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        # Pixmap cache per item: panning a big graph repaints from cache, not from QPainter.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        if spec is not None:
            for row, port in enumerate(spec.inputs):
                self.inputs[port.name] = PortItem(self, port, is_output=False, row=row)
            for row, port in enumerate(spec.outputs):
                self.outputs[port.name] = PortItem(self, port, is_output=True, row=row)
        self.setPos(*node.position)
        self._refresh_tooltip()

    @property
    def node_id(self) -> str:
        return self.node.id

    @property
    def title(self) -> str:
        if self.node.title:
            return self.node.title
        return self.spec.title if self.spec else self.node.type

    @property
    def summary(self) -> str:
        if self.spec is None:
            return f"unknown type {self.node.type}"
        return self.spec.describe(self.node.params)

    def size(self) -> tuple[float, float]:
        return (WIDTH, self._height)

    def port(self, name: str, *, output: bool) -> PortItem | None:
        return (self.outputs if output else self.inputs).get(name)

    def update_node(self, node: Node) -> None:
        self.node = node
        if self.pos() != QPointF(*node.position):
            self.setPos(*node.position)
        self._refresh_tooltip()
        self.update()

    def set_status(self, status: str | None, duration_ms: float | None = None) -> None:
        self.status, self.duration_ms = status, duration_ms
        self.update()

    def set_problems(self, problems: list[str]) -> None:
        if problems != self.problems:
            self.problems = problems
            self._refresh_tooltip()
            self.update()

    def badge_text(self) -> str:
        if self.status is None:
            return ""
        if self.duration_ms is None or self.status in ("running", "skipped"):
            return self.status
        return f"{self.status} · {_duration(self.duration_ms)}"

    def _refresh_tooltip(self) -> None:
        lines = [f"{self.title}  ({self.node.id})"]
        if self.spec is not None and self.spec.description:
            lines.append(self.spec.description)
        lines.extend(f"⚠ {p}" for p in self.problems)
        self.setToolTip("\n".join(lines))

    # -- Qt ------------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:  # noqa: N802
        # Room above for the status badge, and at the sides for the port circles.
        return QRectF(-PORT_RADIUS - 2, -BADGE_H - 4, WIDTH + 2 * PORT_RADIUS + 4,
                      self._height + BADGE_H + 6)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:  # noqa: N802
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange:
            scene = self.scene()
            if scene is not None and scene.snap_while_dragging():
                return scene.snapped(value)
        elif change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.refresh()
        return super().itemChange(change, value)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        scene: EditorScene | None = self.scene()  # type: ignore[assignment]
        colors = scene.colors if scene is not None else None
        body = QColor(colors.node if colors else "#2a2d33")
        text = QColor(colors.node_text if colors else "#eeeeee")
        muted = QColor(colors.muted if colors else "#999999")
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(0, 0, WIDTH, self._height)
        if self.problems:
            border = QPen(QColor(STATUS_COLORS["invalid"]), 2.4)
        elif self.isSelected():
            border = QPen(QColor(colors.highlight if colors else "#3d7bfd"), 2.4)
        else:
            border = QPen(QColor(colors.border if colors else "#444"), 1.0)
        painter.setPen(border)
        painter.setBrush(body)
        painter.drawRoundedRect(rect, 6, 6)
        header = QRectF(0, 0, WIDTH, HEADER)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._color)
        painter.drawRoundedRect(header, 6, 6)
        painter.drawRect(QRectF(0, HEADER - 6, WIDTH, 6))
        painter.setPen(QColor("#ffffff"))
        painter.setFont(_TITLE_FONT)
        title_rect = header.adjusted(8, 0, -8, 0)
        elided = QFontMetricsF(_TITLE_FONT).elidedText(
            self.title, Qt.TextElideMode.ElideRight, title_rect.width())
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         elided)
        painter.setFont(_SMALL_FONT)
        painter.setPen(muted)
        summary_rect = QRectF(8, HEADER, WIDTH - 16, SUMMARY)
        small = QFontMetricsF(_SMALL_FONT)
        painter.drawText(summary_rect, Qt.AlignmentFlag.AlignVCenter,
                         small.elidedText(self.summary, Qt.TextElideMode.ElideRight,
                                          summary_rect.width()))
        painter.setPen(text)
        half = WIDTH / 2 - 12
        for port in self.inputs.values():
            r = QRectF(10, port.y() - ROW / 2, half, ROW)
            painter.drawText(r, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             small.elidedText(port.name, Qt.TextElideMode.ElideRight, half))
        for port in self.outputs.values():
            r = QRectF(WIDTH - 10 - half, port.y() - ROW / 2, half, ROW)
            painter.drawText(r, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                             small.elidedText(port.name, Qt.TextElideMode.ElideRight, half))
        self._paint_badge(painter, small)

    def _paint_badge(self, painter: QPainter, metrics: QFontMetricsF) -> None:
        label = "invalid" if self.problems and self.status is None else self.badge_text()
        if not label:
            return
        key = "invalid" if label == "invalid" else (self.status or "skipped")
        w = metrics.horizontalAdvance(label) + 14
        badge = QRectF(WIDTH - w, -BADGE_H - 3, w, BADGE_H)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(QColor(STATUS_COLORS.get(key, "#868e96"))))
        painter.drawRoundedRect(badge, BADGE_H / 2, BADGE_H / 2)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)


def _duration(ms: float) -> str:
    if ms < 1:
        return f"{ms:.2f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.1f} s"
