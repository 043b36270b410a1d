"""GUI entry point, called by the composition root (app.py).

Order matters: the single-instance check runs before anything is built, so a second launch
only asks the first to raise its window and exits without starting a second engine. Then one
qasync loop runs the main coroutine (DESIGN.md §8): show the window, start the engine, wait
for a quit request, stop the engine cleanly, return.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from agentic_desktop.ui import startup
from agentic_desktop.ui.main_window import MainWindow
from agentic_desktop.ui.services import UiServices
from agentic_desktop.ui.settings import APPLICATION, ORGANIZATION, open_settings
from agentic_desktop.ui.single_instance import SingleInstance

if TYPE_CHECKING:
    from agentic_desktop.ui.tray import AppTray

log = logging.getLogger(__name__)


def make_application(argv: list[str]) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    return app


def run_gui(make_services: Callable[[], UiServices], *, data_dir: Path, argv: list[str]) -> int:
    app = make_application(argv)
    instance = SingleInstance(data_dir)
    if not instance.claim():
        print("Agentic Desktop is already running for this data folder: raised its window.",
              file=sys.stderr)
        return 0
    try:
        services = make_services()
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        quit_event = asyncio.Event()
        keep_alive = _quit_on_signals(loop, quit_event)
        with loop:
            code = loop.run_until_complete(
                main_coroutine(app, services, instance, quit_event=quit_event))
        keep_alive.stop()
        return code
    finally:
        instance.release()


def _quit_on_signals(loop: asyncio.AbstractEventLoop, quit_event: asyncio.Event) -> QTimer:
    """SIGTERM (logout, shutdown, `kill`) and Ctrl+C quit the way File → Quit does: the engine
    stops cleanly and running jobs are released. Python runs signal handlers only when it has
    control, and Qt's loop sits in C, so a short timer hands control back to Python."""

    def request_quit(signum: int, _frame: object) -> None:
        log.info("signal %d: quitting", signum)
        loop.call_soon_threadsafe(quit_event.set)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, request_quit)
    timer = QTimer()
    timer.timeout.connect(lambda: None)
    timer.start(250)
    return timer


def _make_tray(window: MainWindow, request_quit: Callable[[], None]) -> AppTray | None:
    """The tray (it exists even where the platform shows none) when the engine runs here."""
    if window.services.engine is None:
        return None
    from agentic_desktop.ui.tray import AppTray

    return AppTray(window, request_quit, window.settings)


async def main_coroutine(app: QApplication, services: UiServices,
                         instance: SingleInstance | None = None,
                         *, quit_event: asyncio.Event | None = None,
                         on_window: Callable[[MainWindow], None] | None = None) -> int:
    """The app's life: returns when File → Quit, the window's close button, the tray's Quit
    (later) or the session's end sets the quit event."""
    quit_requested = quit_event or asyncio.Event()
    # The tray keeps the app alive without windows; quitting is always explicit.
    app.setQuitOnLastWindowClosed(False)
    app.aboutToQuit.connect(quit_requested.set)
    window = MainWindow(services, open_settings(services.data_dir), quit_requested.set)
    if instance is not None:
        instance.raise_requested.connect(window.bring_to_front)
    window.open_initial_workflow()
    startup.install_probe(window, quit_requested.set)
    tray = _make_tray(window, quit_requested.set)
    if tray is None or not tray.starts_hidden():
        window.show()
    if on_window is not None:
        on_window(window)
    # The engine (workers, scheduler, API server imports) starts after the first frame, so
    # the trader sees the window as early as possible.
    if window.isVisible():
        await startup.first_paint(window)
    try:
        await services.start_engine()
        window.set_engine_state("running")
    except Exception as exc:  # the editor stays usable without an engine
        log.exception("engine failed to start")
        window.set_engine_state("failed")
        window.show_error("Engine failed to start", str(exc))
    await quit_requested.wait()
    window.set_engine_state("stopping")
    window.save_layout()
    if tray is not None:
        tray.close()
    await window.bridge.cancel_all()
    try:
        await services.stop_engine()
    except Exception:
        log.exception("engine did not stop cleanly")
    window.close_for_quit()
    window.deleteLater()
    return 0
