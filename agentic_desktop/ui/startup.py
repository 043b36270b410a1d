"""Start-up helpers: wait for the window's first paint before starting heavy work, and a
hidden, harmless way to measure cold start as a trader sees it.

With ``AGENTIC_DESKTOP_STARTUP_PROBE=1`` in the environment, the app prints

    window-shown <seconds since process start>

to stderr once the main window has painted for the first time (with the initial workflow on
the canvas), then asks to quit the normal way (engine stopped cleanly). Used by
tests/benchmarks/bench_ui.py; nothing else changes when the variable is unset.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

ENV_STARTUP_PROBE = "AGENTIC_DESKTOP_STARTUP_PROBE"
_FALLBACK_T0 = time.perf_counter()


def probe_enabled() -> bool:
    return os.environ.get(ENV_STARTUP_PROBE, "") not in ("", "0")


def seconds_since_process_start() -> float:
    """Wall time since the OS started this process (Linux: /proc), so interpreter start-up
    and every import count. Elsewhere: since this module was first imported."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 of stat(5); fields[0] is field 3
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - _FALLBACK_T0


class _FirstPaint(QObject):
    """Calls `on_painted` once, on the event-loop turn after the window's first paint."""

    def __init__(self, window: QWidget, on_painted: Callable[[], None]) -> None:
        super().__init__(window)
        self._on_painted = on_painted
        self._window = window
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self._window.removeEventFilter(self)
            # After this paint pass (the children paint in the same pass) has finished.
            QTimer.singleShot(0, self._on_painted)
        return False


def on_first_paint(window: QWidget, callback: Callable[[], None]) -> None:
    _FirstPaint(window, callback)


async def first_paint(window: QWidget, *, timeout: float = 2.0) -> None:
    """Wait until `window` (shown just before) has painted, so work started next does not
    delay the first frame. Gives up after `timeout` (a minimised or hidden window)."""
    painted: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def done() -> None:
        if not painted.done():
            painted.set_result(None)

    on_first_paint(window, done)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(painted, timeout)


def install_probe(window: QWidget, request_quit: Callable[[], None]) -> None:
    """When the probe is on: report the first paint of `window`, then request quit."""
    if not probe_enabled():
        return

    def report() -> None:
        print(f"window-shown {seconds_since_process_start():.3f}", file=sys.stderr, flush=True)
        request_quit()

    on_first_paint(window, report)
