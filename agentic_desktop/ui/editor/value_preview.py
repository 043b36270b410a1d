"""The hover card for a port or edge: the last value it carried in the latest run, with a
small sparkline when the value is a Series (or the closes of Candles)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from agentic_desktop.domain.trading import Candles, Series
from agentic_desktop.engine.summary import summarize

SPARK_W, SPARK_H, MAX_POINTS = 180.0, 44.0, 120
_FONT = QFont()
_FONT.setPointSizeF(8.5)


def describe_value(value: Any) -> str:
    if isinstance(value, Series):
        last = value.last
        return f"series · {len(value)} bars · last {_fmt(last)}"
    if isinstance(value, Candles):
        return (f"{value.symbol} {value.timeframe} · {len(value)} bars · "
                f"last close {_fmt(float(value.close[-1])) if len(value) else '—'}")
    summary = summarize(value)
    if isinstance(summary, dict):
        return ", ".join(f"{k}={_fmt(v)}" for k, v in list(summary.items())[:6])
    return _fmt(summary)


def sparkline_values(value: Any) -> list[float]:
    if isinstance(value, Series):
        raw = value.values
    elif isinstance(value, Candles):
        raw = value.close
    else:
        return []
    try:
        arr = np.asarray(raw, dtype=float)[-MAX_POINTS:]
    except (TypeError, ValueError):
        return []
    return [float(v) for v in arr if math.isfinite(v)]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.5g}"
    return str(value)


class ValuePreviewItem(QGraphicsItem):
    def __init__(self) -> None:
        super().__init__()
        # Readable at any zoom level.
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(100)
        self.title = ""
        self.text = ""
        self.points: list[float] = []
        self._rect = QRectF()
        self.hide()

    def show_value(self, title: str, text: str, points: list[float], at: QPointF) -> None:
        self.prepareGeometryChange()
        self.title, self.text, self.points = title, text, points
        metrics = QFontMetricsF(_FONT)
        width = max(metrics.horizontalAdvance(title), metrics.horizontalAdvance(text),
                    SPARK_W if points else 0.0) + 16
        height = 2 * metrics.height() + 12 + (SPARK_H + 6 if len(points) > 1 else 0)
        self._rect = QRectF(0, 0, min(width, 420.0), height)
        self.setPos(at + QPointF(12, 12))
        self.show()
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("#495057"), 1))
        painter.setBrush(QColor(33, 37, 41, 235))
        painter.drawRoundedRect(self._rect, 5, 5)
        painter.setFont(_FONT)
        metrics = QFontMetricsF(_FONT)
        line = metrics.height()
        painter.setPen(QColor("#f1f3f5"))
        painter.drawText(QPointF(8, 6 + metrics.ascent()), self.title)
        painter.setPen(QColor("#ced4da"))
        painter.drawText(QPointF(8, 6 + line + metrics.ascent()),
                         metrics.elidedText(self.text, Qt.TextElideMode.ElideRight,
                                            self._rect.width() - 16))
        if len(self.points) > 1:
            top = 10 + 2 * line
            lo, hi = min(self.points), max(self.points)
            span = (hi - lo) or 1.0
            step = SPARK_W / (len(self.points) - 1)
            path = QPainterPath()
            for i, v in enumerate(self.points):
                p = QPointF(8 + i * step, top + SPARK_H - (v - lo) / span * SPARK_H)
                if i == 0:
                    path.moveTo(p)
                else:
                    path.lineTo(p)
            painter.setPen(QPen(QColor("#4dabf7"), 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
