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


# -- queue and scheduler events (issue 3) -------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class JobQueued(Event):
    job_id: int
    workflow_id: int
    scheduled_job_id: int | None = None
    trigger_type: str = "manual"


@dataclass(frozen=True, kw_only=True)
class JobStarted(Event):
    job_id: int
    workflow_id: int
    attempt: int = 1


@dataclass(frozen=True, kw_only=True)
class JobFinished(Event):
    job_id: int
    workflow_id: int
    status: str  # completed, failed, cancelled, timed_out, retrying, missed, rejected
    error: str | None = None
    execution_id: int | None = None
    scheduled_job_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ScheduleChanged(Event):
    schedule_id: int
    change: str  # created, updated, deleted, fired, paused, resumed


@dataclass(frozen=True, kw_only=True)
class SchedulePaused(Event):
    schedule_id: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class LimitHit(Event):
    limit: str  # concurrency, daily_runs, timeout, memory, failures
    reason: str
    job_id: int | None = None
    schedule_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class WebhookRejected(Event):
    """A webhook delivery with a missing or wrong secret (the secret is never carried)."""

    schedule_id: int
    reason: str
