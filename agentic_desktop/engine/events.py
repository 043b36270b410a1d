"""In-process engine event bus. The GUI subscribes and turns events into Qt signals
(ui/bridge.py), so views update live without polling the database."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agentic_desktop.domain.runs import ExecutionResult, NodeRun

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Event:
    time: datetime


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    run_key: str  # the idempotency key: unique per run
    workflow_id: int | None
    workflow_name: str
    execution_id: int | None = None
    job_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class NodeStarted(Event):
    run_key: str
    node_id: str


@dataclass(frozen=True, kw_only=True)
class NodeFinished(Event):
    run_key: str
    node_run: NodeRun
    # Raw output values (Series, numbers, orders) for the editor's hover previews.
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RunFinished(Event):
    run_key: str
    result: ExecutionResult
    job_id: int | None = None


Handler = Callable[[Event], None]


class EventBus:
    """Synchronous fan-out. A failing handler is logged and never breaks the publisher."""

    def __init__(self) -> None:
        self._handlers: list[tuple[type[Event], Handler]] = []

    def subscribe(self, handler: Handler, event_type: type[Event] = Event) -> Callable[[], None]:
        entry = (event_type, handler)
        self._handlers.append(entry)

        def unsubscribe() -> None:
            if entry in self._handlers:
                self._handlers.remove(entry)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for event_type, handler in list(self._handlers):
            if isinstance(event, event_type):
                try:
                    handler(event)
                except Exception:
                    log.exception("event handler %r failed on %s", handler, type(event).__name__)
