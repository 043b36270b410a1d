"""Fixtures for the queue monitor and history tests: the main window over a real engine
(scheduler, worker pool, scheduling use cases) and real SQLite in a temp data dir, with the
three example workflows installed as 1-3. Import the fixtures into a test module to use them.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync

from agentic_desktop.ui.main_window import MainWindow
from agentic_desktop.ui.services import EngineAdmin
from agentic_desktop.ui.settings import open_settings
from agentic_desktop.ui.theme import apply_theme
from tests.ui.services_kit import Kit, build_kit


@pytest.fixture(autouse=True)
def collect_on_the_gui_thread() -> Iterator[None]:
    """Autouse, so set up before qloop and torn down after it: collect the closed loop and
    the cancelled tasks' cycles here, on the GUI thread. Left to the cyclic GC, they may be
    collected by whatever thread allocates next (a worker in a later test), and a QObject
    with live timers (qasync's loop timer) destroyed off its thread leaves a dangling timer
    that crashes a later test's event processing."""
    yield
    gc.collect()


@pytest.fixture
def engine_kit(data_dir: Path) -> Iterator[Kit]:
    kit = build_kit(data_dir, seed_examples=True, engine=True)
    yield kit
    kit.db.close()


@pytest.fixture
def engine_window(qapp: Any, qtbot: Any, engine_kit: Kit,
                  qloop: qasync.QEventLoop) -> Iterator[MainWindow]:
    apply_theme(qapp, "dark")
    window = MainWindow(engine_kit.services, open_settings(engine_kit.services.data_dir),
                        lambda: None)
    qtbot.addWidget(window)
    window.resize(1400, 860)
    window.show()
    yield window
    window.close_for_quit()
    # Delete it now, while its loop runs: a window left for the GC would still get later
    # tests' palette changes with its pyqtgraph charts half torn down.
    window.deleteLater()
    qloop.run_until_complete(asyncio.sleep(0.05))


async def engine_running(kit: Kit, window: MainWindow,
                         body: Callable[[], Awaitable[None]], *, start: bool = True) -> None:
    """Run `body` (with the engine started unless `start` is False), then always stop the
    engine and cancel the window's tasks, so no job or timer outlives the test."""
    try:
        if start:
            await kit.services.start_engine()
        await body()
    finally:
        if "start" in kit.engine_calls:
            await kit.services.stop_engine()
        await window.bridge.cancel_all()


def admin(kit: Kit) -> EngineAdmin:
    assert kit.services.engine is not None
    return kit.services.engine
