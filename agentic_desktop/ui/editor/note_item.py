"""Sticky-note comments (domain Note). They never run; double-click edits the text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from agentic_desktop.domain.workflow import Note

if TYPE_CHECKING:
    from agentic_desktop.ui.editor.scene import EditorScene


class NoteItem(QGraphicsItem):
    def __init__(self, note: Note) -> None:
        super().__init__()
        self.note = note
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

    def update_note(self, note: Note) -> None:
        if note.size != self.note.size:
            self.prepareGeometryChange()
        self.note = note
        self.setPos(*note.position)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        w, h = self.note.size
        return QRectF(-1, -1, w + 2, h + 2)

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
        w, h = self.note.size
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(colors.highlight if colors else "#3d7bfd"), 2)
                       if self.isSelected() else QPen(fill.darker(130), 1))
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(0, 0, w, h), 4, 4)
        painter.setPen(ink)
        painter.drawText(QRectF(10, 8, w - 20, h - 16),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                         | int(Qt.TextFlag.TextWordWrap), self.note.text)

    def mouseDoubleClickEvent(self, event: Any) -> None:  # noqa: N802
        scene = self.scene()
        if scene is not None:
            scene.note_edit_requested.emit(self.note.id)
        event.accept()
