"""Sticky-note comments (domain Note). They never run; double-click edits the text, the
corner grip resizes them (one undo step per drag)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from agentic_desktop.domain.workflow import Note
from agentic_desktop.ui.editor import edits

if TYPE_CHECKING:
    from agentic_desktop.ui.editor.scene import EditorScene


GRIP = 14.0
MIN_SIZE = (100.0, 50.0)


class NoteItem(QGraphicsItem):
    def __init__(self, note: Note) -> None:
        super().__init__()
        self.note = note
        # While the grip is dragged: where the drag started and the size shown meanwhile.
        self._resize_from: tuple[QPointF, tuple[float, float]] | None = None
        self._live_size: tuple[float, float] | None = None
        self.setAcceptHoverEvents(True)
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setZValue(-2)  # behind edges and nodes
        self.setPos(*note.position)

    @property
    def note_id(self) -> str:
        return self.note.id

    def size(self) -> tuple[float, float]:
        return self._live_size or self.note.size

    def update_note(self, note: Note) -> None:
        if note.size != self.size():
            self.prepareGeometryChange()
        self.note = note
        self._live_size = None
        self.setPos(*note.position)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        w, h = self.size()
        return QRectF(-1, -1, w + 2, h + 2)

    def grip_rect(self) -> QRectF:
        w, h = self.size()
        return QRectF(w - GRIP, h - GRIP, GRIP, GRIP)

    # -- resizing ------------------------------------------------------------------------

    def hoverMoveEvent(self, event: Any) -> None:  # noqa: N802
        if self.grip_rect().contains(event.pos()):
            self.setCursor(Qt.CursorShape.SizeFDiagCursor)
        else:
            self.unsetCursor()
        super().hoverMoveEvent(event)

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.grip_rect().contains(event.pos()):
            self._resize_from = (event.scenePos(), self.note.size)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: Any) -> None:  # noqa: N802
        if self._resize_from is None:
            super().mouseMoveEvent(event)
            return
        start, (w, h) = self._resize_from
        delta = event.scenePos() - start
        size = (max(MIN_SIZE[0], edits.snap(w + delta.x())),
                max(MIN_SIZE[1], edits.snap(h + delta.y())))
        if size != self.size():
            self.prepareGeometryChange()
            self._live_size = size
            self.update()
        event.accept()

    def mouseReleaseEvent(self, event: Any) -> None:  # noqa: N802
        if self._resize_from is None:
            super().mouseReleaseEvent(event)
            return
        self._resize_from = None
        size = self._live_size
        scene = self.scene()
        if size is not None and size != self.note.size and scene is not None:
            document = scene.document  # type: ignore[attr-defined]
            document.edit(edits.resize_note(document.workflow, self.note.id, size),
                          "Resize note")
        elif size is not None:
            self.prepareGeometryChange()
            self._live_size = None
        event.accept()

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:  # noqa: N802
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange:
            scene = self.scene()
            if scene is not None and scene.snap_while_dragging():
                return scene.snapped(value)
        return super().itemChange(change, value)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        scene: EditorScene | None = self.scene()  # type: ignore[assignment]
        colors = scene.colors if scene is not None else None
        fill = QColor(colors.note if colors else "#fff3b0")
        ink = QColor(colors.note_text if colors else "#3b3310")
        w, h = self.size()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(colors.highlight if colors else "#3d7bfd"), 2)
                       if self.isSelected() else QPen(fill.darker(130), 1))
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(0, 0, w, h), 4, 4)
        painter.setPen(ink)
        painter.drawText(QRectF(10, 8, w - 20, h - 16),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                         | int(Qt.TextFlag.TextWordWrap), self.note.text)
        # the resize grip: three short diagonal lines in the corner
        painter.setPen(QPen(fill.darker(150), 1))
        for k in (4.0, 8.0, 12.0):
            painter.drawLine(QPointF(w - k, h - 2), QPointF(w - 2, h - k))

    def mouseDoubleClickEvent(self, event: Any) -> None:  # noqa: N802
        scene = self.scene()
        if scene is not None:
            scene.note_edit_requested.emit(self.note.id)
        event.accept()
