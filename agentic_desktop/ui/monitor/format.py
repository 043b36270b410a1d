"""Shared by the queue monitor and the history: status colours that read on both themes,
local-time and duration text, and off-thread reads whose result reaches a live widget only."""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QColor

from agentic_desktop.ui import theme
from agentic_desktop.ui.bridge import EngineBridge

T = TypeVar("T")

_DARK = {
    "pending": "#9db0cc", "running": "#5b9bff", "retrying": "#f0b429", "completed": "#3fb950",
    "succeeded": "#3fb950", "failed": "#ff6b6b", "timed_out": "#f0883e", "rejected": "#ff6b6b",
    "cancelled": "#9aa1ab", "missed": "#9aa1ab", "skipped": "#7d8590",
}
_LIGHT = {
    "pending": "#4f6480", "running": "#1f6feb", "retrying": "#9a6700", "completed": "#1a7f37",
    "succeeded": "#1a7f37", "failed": "#cf222e", "timed_out": "#bc4c00", "rejected": "#cf222e",
    "cancelled": "#5c6470", "missed": "#5c6470", "skipped": "#6e7781",
}
STATUS_LABELS = {"timed_out": "timed out"}


def status_hex(status: str) -> str:
    table = _DARK if theme.current_colors().name == "dark" else _LIGHT
    return table.get(status, table["cancelled"])


def status_color(status: str) -> QColor:
    return QColor(status_hex(status))


def status_text(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def local_time(value: datetime | None, *, date: bool = True) -> str:
    if value is None:
        return "—"
    local = value.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S")


def duration_text(ms: float | None) -> str:
    if ms is None:
        return "—"
    if ms < 10:
        return f"{ms:.2f} ms" if ms < 1 else f"{ms:.1f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} m {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} m"


def read_off_thread(bridge: EngineBridge, owner: QObject, fn: Callable[..., T], *args: Any,
                    on_done: Callable[[T], None], title: str = "Reading the history failed",
                    on_error: Callable[[str], None] | None = None) -> asyncio.Task[Any] | None:
    """Run a blocking store read in a worker thread; deliver the result on the GUI thread,
    unless `owner` was deleted meanwhile (a closed window). Without a running loop (a timer
    firing while the app shuts down) nothing is started and None is returned."""
    if not loop_running():
        if on_error is not None:
            on_error("the event loop is not running")
        return None

    def done(result: T) -> None:
        if shiboken6.isValid(owner):
            on_done(result)

    return bridge.run_task(asyncio.to_thread(fn, *args), title=title, on_done=done,
                           on_error=on_error)


def view_stylesheet() -> str:
    """Local stylesheet of the monitor and history pages (cards, headers), from the theme."""
    c = theme.current_colors()
    return f"""
QFrame#StatCard {{ background: {c.alt_base}; border: 1px solid {c.border}; border-radius: 6px; }}
QLabel#StatTitle {{ color: {c.muted}; font-size: 8pt; font-weight: 600; }}
QLabel#StatValue {{ color: {c.text}; font-size: 17pt; font-weight: 600; }}
QLabel#StatNote {{ color: {c.muted}; font-size: 8.5pt; }}
QProgressBar#LimitBar {{ background: {c.border}; border: none; border-radius: 2px; }}
QProgressBar#LimitBar::chunk {{ background: {c.highlight}; border-radius: 2px; }}
QProgressBar#LimitBar[near="true"]::chunk {{ background: #e5484d; }}
QLabel#PageTitle {{ font-size: 13pt; font-weight: 600; color: {c.text}; }}
QLabel#SectionTitle {{ font-weight: 600; color: {c.text}; }}
QLabel#Hint {{ color: {c.muted}; }}
QTableView {{ gridline-color: {c.alt_base}; }}
"""


_CHART_MODULES = ("pyqtgraph", "agentic_desktop.ui.monitor.chart",
                  "agentic_desktop.ui.history.charts", "agentic_desktop.ui.history.detail")
_charts_import: dict[asyncio.AbstractEventLoop, asyncio.Future[None]] = {}


def _import_chart_modules() -> None:
    for name in _CHART_MODULES:
        importlib.import_module(name)


def charts_ready() -> asyncio.Future[None]:
    """pyqtgraph and the chart widgets' modules (~0.4 s of imports), imported once in a
    worker thread: the Queue and History pages await this before building their charts, so
    neither start-up nor opening a page freezes the GUI for it."""
    loop = asyncio.get_running_loop()
    if all(name in sys.modules for name in _CHART_MODULES):
        done: asyncio.Future[None] = loop.create_future()
        done.set_result(None)
        return done
    if loop not in _charts_import:
        _charts_import.clear()  # a previous loop (tests) is gone
        _charts_import[loop] = asyncio.ensure_future(asyncio.to_thread(_import_chart_modules))
    return _charts_import[loop]


def loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def preload_charts_soon(owner: QObject, delay_ms: int = 1500) -> None:
    """Start the chart imports in the background shortly after start-up (when idle)."""

    def start() -> None:
        if shiboken6.isValid(owner) and loop_running():
            charts_ready()

    QTimer.singleShot(delay_ms, owner, start)
