"""Engine → GUI: EventBus events become Qt signals, and engine work started from the GUI runs
as asyncio tasks with one place that reports their errors (DESIGN.md §8)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

from agentic_desktop.domain.errors import UserError, ValidationError
from agentic_desktop.engine.events import (
    Event,
    EventBus,
    NodeFinished,
    NodeStarted,
    RunFinished,
    RunStarted,
)

log = logging.getLogger(__name__)
ErrorSink = Callable[[str, str], None]


class EngineBridge(QObject):
    run_started = Signal(object)  # RunStarted
    node_started = Signal(object)  # NodeStarted
    node_finished = Signal(object)  # NodeFinished
    run_finished = Signal(object)  # RunFinished
    active_runs_changed = Signal(int)
    # Every engine event (queue, schedules, limits too), for views that pick their own.
    engine_event = Signal(object)
    # (title, message) of an error a task raised; the main window shows it without blocking.
    task_failed = Signal(str, str)

    def __init__(self, events: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._active: set[str] = set()
        # Signals are queued when the bus publishes from another thread, so handlers always
        # run on the GUI thread.
        self._unsubscribe = events.subscribe(self._on_event)

    @property
    def active_runs(self) -> int:
        return len(self._active)

    def _on_event(self, event: Event) -> None:
        self.engine_event.emit(event)
        if isinstance(event, RunStarted):
            self._active.add(event.run_key)
            self.run_started.emit(event)
            self.active_runs_changed.emit(len(self._active))
        elif isinstance(event, NodeStarted):
            self.node_started.emit(event)
        elif isinstance(event, NodeFinished):
            self.node_finished.emit(event)
        elif isinstance(event, RunFinished):
            self._active.discard(event.run_key)
            self.run_finished.emit(event)
            self.active_runs_changed.emit(len(self._active))

    def run_task(
        self, coro: Coroutine[Any, Any, Any], *, title: str = "Task failed",
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> asyncio.Task[Any]:
        """Start engine work without blocking the GUI. Errors end up in `task_failed`."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def finished(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if t.cancelled():
                return
            exc = t.exception()
            if exc is None:
                if on_done is not None:
                    on_done(t.result())
                return
            if isinstance(exc, ValidationError):
                message = "\n".join(f"• {p}" for p in exc.problems)
            elif isinstance(exc, UserError):
                message = str(exc)
            else:
                log.error("%s", title, exc_info=exc)
                message = f"{type(exc).__name__}: {exc}"
            if on_error is not None:
                on_error(message)
            self.task_failed.emit(title, message)

        task.add_done_callback(finished)
        return task

    async def cancel_all(self) -> None:
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        self._unsubscribe()
