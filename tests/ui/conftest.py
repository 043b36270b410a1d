"""UI test fixtures: real services in a temp data dir, the main window offscreen, and a qasync
loop owned by a fixture (DESIGN.md §9: inside async code poll with await, never
qtbot.waitUntil)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync

from agentic_desktop.ui.main_window import MainWindow
from agentic_desktop.ui.settings import open_settings
from agentic_desktop.ui.theme import apply_theme
from tests.ui.services_kit import Kit, build_kit


@pytest.fixture(autouse=True, scope="session")
def _clear_clipboard_at_exit(qapp: Any) -> Iterator[None]:
    # Qt's offscreen platform crashes at interpreter exit when the clipboard still holds
    # our QMimeData (copy/paste tests); xcb, Windows and macOS do not.
    yield
    qapp.clipboard().clear()


@pytest.fixture
def kit(data_dir: Path) -> Iterator[Kit]:
    k = build_kit(data_dir)
    yield k
    k.db.close()


@pytest.fixture
def qloop(qapp: Any) -> Iterator[qasync.QEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    yield loop
    loop.run_until_complete(asyncio.sleep(0))
    asyncio.set_event_loop(None)
    loop.close()
    # Collect the closed loop here, on the GUI thread: left to the cyclic GC, a worker
    # thread could destroy its Qt timer object and a later test would segfault.
    import gc
    gc.collect()


@pytest.fixture
def run_async(qloop: qasync.QEventLoop) -> Callable[[Coroutine[Any, Any, Any]], Any]:
    def run(coro: Coroutine[Any, Any, Any]) -> Any:
        return qloop.run_until_complete(asyncio.wait_for(coro, 30))
    return run


@pytest.fixture
def window(qapp: Any, qtbot: Any, kit: Kit, qloop: qasync.QEventLoop) -> Iterator[MainWindow]:
    apply_theme(qapp, "dark")
    quit_calls: list[int] = []
    w = MainWindow(kit.services, open_settings(kit.services.data_dir),
                   lambda: quit_calls.append(1))
    w.quit_calls = quit_calls  # type: ignore[attr-defined]
    qtbot.addWidget(w)
    w.open_initial_workflow()
    w.show()
    yield w
    w.close_for_quit()


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll with await so the loop keeps running engine tasks meanwhile."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
