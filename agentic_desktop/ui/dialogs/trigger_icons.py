"""Trigger-type icons drawn with QPainter (crisp at any scale, no image files to ship): a
rounded tile in the type's colour with a simple white glyph."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

TRIGGER_COLORS = {
    "cron": "#3d7bfd", "time": "#0f9d8a", "price": "#e0821e", "indicator": "#8e5cd9",
    "webhook": "#d6457a", "manual": "#5f6b7a",
}


def _glyph(p: QPainter, kind: str, s: float) -> None:
    c = s / 2
    if kind == "cron":  # clock face
        p.drawEllipse(QPointF(c, c), s * 0.28, s * 0.28)
        p.drawLine(QPointF(c, c), QPointF(c, c - s * 0.17))
        p.drawLine(QPointF(c, c), QPointF(c + s * 0.13, c + s * 0.05))
    elif kind == "time":  # circular arrow
        p.drawArc(QRectF(c - s * 0.26, c - s * 0.26, s * 0.52, s * 0.52), 60 * 16, 280 * 16)
        tip = QPointF(c + s * 0.13, c - s * 0.225)
        p.drawLine(tip, tip + QPointF(s * 0.12, s * 0.0))
        p.drawLine(tip, tip + QPointF(s * 0.03, s * 0.12))
    elif kind == "price":  # rising zig-zag
        p.drawPolyline(QPolygonF([QPointF(s * 0.2, s * 0.7), QPointF(s * 0.4, s * 0.48),
                                  QPointF(s * 0.55, s * 0.6), QPointF(s * 0.8, s * 0.3)]))
        p.drawLine(QPointF(s * 0.2, s * 0.38), QPointF(s * 0.8, s * 0.38))
    elif kind == "indicator":  # wave over bars
        path = QPainterPath(QPointF(s * 0.18, s * 0.45))
        path.cubicTo(QPointF(s * 0.35, s * 0.15), QPointF(s * 0.5, s * 0.7),
                     QPointF(s * 0.82, s * 0.35))
        p.drawPath(path)
        for i, h in enumerate((0.12, 0.2, 0.08)):
            x = s * (0.3 + 0.2 * i)
            p.drawLine(QPointF(x, s * 0.8), QPointF(x, s * (0.8 - h)))
    elif kind == "webhook":  # two linked rings
        p.drawEllipse(QPointF(c - s * 0.1, c + s * 0.08), s * 0.14, s * 0.14)
        p.drawEllipse(QPointF(c + s * 0.1, c - s * 0.08), s * 0.14, s * 0.14)
    else:  # manual: play
        p.setBrush(QColor("white"))
        p.drawPolygon(QPolygonF([QPointF(s * 0.38, s * 0.28), QPointF(s * 0.38, s * 0.72),
                                 QPointF(s * 0.74, s * 0.5)]))


@cache
def trigger_pixmap(kind: str, size: int = 32) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(TRIGGER_COLORS.get(kind, "#5f6b7a")))
    p.drawRoundedRect(QRectF(0, 0, size, size), size * 0.22, size * 0.22)
    pen = QPen(QColor("white"), max(1.5, size / 14))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    _glyph(p, kind, float(size))
    p.end()
    return pixmap


def trigger_icon(kind: str) -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32, 48):
        icon.addPixmap(trigger_pixmap(kind, size))
    return icon
