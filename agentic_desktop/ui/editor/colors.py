"""One colour per node category and per port type, shared by the canvas and the palette."""

from __future__ import annotations

from PySide6.QtGui import QColor

CATEGORY_COLORS = {
    "Triggers": "#e64980",
    "Market Data": "#3b82f6",
    "Technical Indicators": "#9b6cff",
    "Risk Management": "#f08c00",
    "Conditions": "#12b886",
    "Orders": "#e8590c",
    "Notifications": "#15aabf",
}
PORT_COLORS = {
    "series": "#4dabf7",
    "number": "#fcc419",
    "bool": "#51cf66",
    "signal": "#ff6b6b",
    "order": "#ff922b",
    "candles": "#b197fc",
    "account": "#38d9a9",
    "payload": "#f783ac",
    "text": "#ced4da",
    "any": "#adb5bd",
}
STATUS_COLORS = {
    "running": "#3b82f6",
    "succeeded": "#2f9e44",
    "failed": "#e03131",
    "skipped": "#868e96",
    "cancelled": "#868e96",
    "invalid": "#e03131",
}


def category_color(category: str) -> QColor:
    return QColor(CATEGORY_COLORS.get(category, "#868e96"))


def port_color(port_type: str) -> QColor:
    return QColor(PORT_COLORS.get(port_type, "#adb5bd"))
