"""Contracts between the engine and its adapters (DESIGN.md §10: one contract file per
boundary). Adapters implement these; `app.py` passes the implementations in."""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from agentic_desktop.domain.jobs import (
    JobStatus,
    MisfirePolicy,
    QueuedJob,
    QueueStatus,
    ScheduledJob,
    TriggerType,
)
from agentic_desktop.domain.nodespec import NodeSpec
from agentic_desktop.domain.runs import ExecutionResult, ExecutionStatus
from agentic_desktop.domain.settings import AppSettings
from agentic_desktop.domain.trading import (
    AccountSnapshot,
    Candles,
    Fill,
    Notification,
    Order,
    OrderRequest,
    Position,
    Quote,
    Side,
    SymbolInfo,
)
from agentic_desktop.domain.workflow import Workflow

T = TypeVar("T")


class Clock(Protocol):
    """The edge of the world for time; tests inject a fake."""

    def now(self) -> datetime:
        """Aware UTC wall time."""
        ...

    def monotonic(self) -> float: ...


# -- market and broker ------------------------------------------------------------------


class MarketData(Protocol):
    def symbols(self) -> list[SymbolInfo]: ...

    def symbol_info(self, symbol: str) -> SymbolInfo:
        """Raises UnknownSymbolError naming the known symbols."""
        ...

    async def quote(self, symbol: str) -> Quote: ...

    async def candles(
        self, symbol: str, timeframe: str, count: int, end: datetime | None = None
    ) -> Candles:
        """The last `count` closed bars ending at or before `end` (default: now)."""
        ...


class Broker(Protocol):
    async def account(self) -> AccountSnapshot: ...

    async def place_order(self, request: OrderRequest) -> Order:
        """Idempotent on `client_order_id`: a repeat returns the existing order
        (with `existing=True`) and never creates a second one."""
        ...

    async def close_positions(
        self, *, client_order_id: str, symbol: str | None = None, side: Side | None = None
    ) -> list[Order]:
        """Close matching positions with market orders; idempotent on `client_order_id`
        (each closing order's id is derived from it)."""
        ...

    async def positions(self) -> list[Position]: ...

    async def recent_orders(self, limit: int = 20) -> list[Order]: ...

    async def on_quotes(self) -> list[Order]:
        """Re-evaluate pending orders and attached SL/TP against current quotes; returns the
        orders this filled (pending orders triggered, positions closed by SL/TP)."""
        ...


class Notifier(Protocol):
    async def notify(self, notification: Notification) -> list[str]:
        """Deliver to the log, the desktop channel and the given apprise URLs.
        Returns the channels that failed (never raises for a delivery failure)."""
        ...


# -- persistence ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StoredWorkflow:
    id: int
    workflow: Workflow
    created_at: datetime
    updated_at: datetime


class WorkflowRepository(Protocol):
    def list(self) -> list[StoredWorkflow]: ...

    def get(self, workflow_id: int) -> StoredWorkflow:
        """Raises NotFoundError."""
        ...

    def add(self, workflow: Workflow) -> StoredWorkflow: ...

    def update(self, workflow_id: int, workflow: Workflow) -> StoredWorkflow: ...

    def delete(self, workflow_id: int) -> None: ...

    def find_by_name(self, name: str) -> StoredWorkflow | None: ...


@dataclass(frozen=True, kw_only=True)
class ExecutionFilter:
    """Which executions the history lists, counts, charts and exports (all given hold)."""

    workflow_id: int | None = None
    status: ExecutionStatus | None = None
    trigger: str | None = None
    schedule_id: int | None = None  # runs of that schedule's jobs
    started_from: datetime | None = None  # inclusive
    started_before: datetime | None = None  # exclusive


@dataclass(frozen=True, kw_only=True, slots=True)
class ExecutionSummary:
    """One history row: the execution with its execution_metrics, without node runs."""

    execution_id: int
    workflow_id: int | None
    workflow_name: str
    trigger: str
    status: ExecutionStatus
    started_at: datetime
    finished_at: datetime | None
    total_nodes: int = 0
    successful_nodes: int = 0
    failed_nodes: int = 0
    total_time_ms: float | None = None  # None while running (no metrics row yet)
    memory_used_mb: float | None = None
    error: str | None = None
    job_id: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class DurationPoint:
    execution_id: int
    started_at: datetime
    total_time_ms: float
    status: ExecutionStatus


@dataclass(frozen=True, kw_only=True, slots=True)
class DailyOutcomes:
    day: str  # YYYY-MM-DD in the zone whose UTC offset was asked for
    total: int
    completed: int
    failed: int  # failed or timed_out


@dataclass(frozen=True, kw_only=True, slots=True)
class NodeTypeTime:
    node_type: str
    runs: int
    total_ms: float
    avg_ms: float


class ExecutionRepository(Protocol):
    def start(
        self, *, workflow_id: int | None, workflow_name: str, trigger: str,
        idempotency_key: str, payload: dict[str, Any], started_at: datetime,
        job_id: int | None = None,
    ) -> int:
        """Insert a `running` execution row; returns its id."""
        ...

    def finish(self, execution_id: int, result: ExecutionResult) -> None:
        """Write status, node runs and execution_metrics in one transaction."""
        ...

    def get(self, execution_id: int) -> ExecutionResult: ...

    def list(
        self, *, workflow_id: int | None = None, status: ExecutionStatus | None = None,
        limit: int = 100, offset: int = 0,
    ) -> list[ExecutionResult]: ...

    # -- history queries (light rows and aggregates; each one read transaction) -----------

    def count(self, filters: ExecutionFilter) -> int: ...

    def page(self, filters: ExecutionFilter, *, limit: int,
             before_id: int | None = None) -> builtins.list[ExecutionSummary]:
        """Newest first (by id, the start order), keyset-paged: pass the last row's id as
        `before_id` for the next page."""
        ...

    def duration_series(self, filters: ExecutionFilter, *, limit: int = 2000
                        ) -> builtins.list[DurationPoint]:
        """The newest `limit` finished executions' total time, oldest first."""
        ...

    def daily_outcomes(self, filters: ExecutionFilter, *, days: int = 30,
                       utc_offset_minutes: int = 0) -> builtins.list[DailyOutcomes]:
        """Per day (shifted by the offset), the last `days` days that had executions."""
        ...

    def time_per_node_type(self, filters: ExecutionFilter, *, last: int = 2000
                           ) -> builtins.list[NodeTypeTime]:
        """Node time by node type over the newest `last` matching executions, slowest
        average first (bounded, so it stays fast on a long history)."""
        ...


@dataclass(frozen=True, kw_only=True)
class CandleRow:
    time: int  # bar open time, UTC epoch seconds
    open: float
    high: float
    low: float
    close: float
    volume: float


class CandleRepository(Protocol):
    def import_rows(self, symbol: str, timeframe: str, rows: Sequence[CandleRow]) -> int:
        """Insert or replace bars in one transaction (all or nothing). Returns rows written."""
        ...

    def load(self, symbol: str, timeframe: str, count: int,
             end_time: int | None = None) -> Candles | None:
        """The last `count` stored bars with time <= end_time, or None if none are stored."""
        ...

    def available(self) -> list[tuple[str, str, int]]:
        """(symbol, timeframe, bar count) for every imported series."""
        ...


@dataclass(frozen=True, kw_only=True)
class LedgerAccount:
    balance: float
    currency: str
    peak_equity: float
    commission_per_lot: float
    commission_pct: float
    slippage_pips: float
    starting_balance: float


class PaperLedger(Protocol):
    """Persistence for the paper broker. Every method is one transaction."""

    def account(self) -> LedgerAccount: ...

    def find_order(self, client_order_id: str) -> Order | None: ...

    def add_order(self, request: OrderRequest, *, status: str, created_at: datetime,
                  reason: str = "") -> Order:
        """Insert an order. The store enforces UNIQUE(client_order_id): on a duplicate it
        returns the existing order with `existing=True` instead of inserting."""
        ...

    def fill_order(self, order_id: int, *, price: float, commission: float,
                   time: datetime) -> tuple[Order, Fill, Position]:
        """Mark filled, write the fill, open a position, charge commission: atomically."""
        ...

    def close_position(self, position_id: int, *, order: Order, price: float,
                       commission: float, pnl: float, time: datetime) -> Fill:
        """Fill the closing `order`, delete the position, book pnl - commission: atomically."""
        ...

    def cancel_order(self, order_id: int, *, reason: str) -> Order: ...

    def pending_orders(self) -> list[Order]: ...

    def positions(self) -> list[Position]: ...

    def recent_orders(self, limit: int) -> list[Order]: ...

    def realized_pnl_since(self, since: datetime) -> float: ...

    def set_peak_equity(self, value: float) -> None: ...

    def reset(self, *, balance: float, currency: str) -> None: ...


# -- nodes ------------------------------------------------------------------------------


class NodeContext(Protocol):
    """What a running node sees. Built by the executor for each node run."""

    @property
    def node_id(self) -> str: ...

    @property
    def params(self) -> dict[str, Any]: ...

    @property
    def inputs(self) -> dict[str, Any]:
        """Values on connected input ports, by port name."""
        ...

    @property
    def market(self) -> MarketData: ...

    @property
    def broker(self) -> Broker: ...

    @property
    def notifier(self) -> Notifier: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def payload(self) -> dict[str, Any]:
        """The trigger payload of this run (empty for a manual run without one)."""
        ...

    @property
    def values(self) -> dict[str, Any]:
        """Flat view of every finished node's outputs for templates: `node_id` is its first
        output's last value, `node_id.port` each output's last value."""
        ...

    def client_order_id(self, suffix: str = "") -> str:
        """Deterministic order id from the run's idempotency key and this node's id."""
        ...

    async def run_cpu(self, fn: Callable[..., T], /, *args: Any) -> T:
        """Run CPU-heavy work off the event loop (a worker thread)."""
        ...


NodeRunFn = Callable[[NodeContext], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class NodeImpl:
    spec: NodeSpec
    run: NodeRunFn


class NodeCatalog(Protocol):
    def get(self, type_id: str) -> NodeSpec | None: ...

    def impl(self, type_id: str) -> NodeImpl | None: ...

    def specs(self) -> list[NodeSpec]: ...


# -- scheduling and the job queue (issue 3) ---------------------------------------------



@dataclass(frozen=True, kw_only=True)
class NewSchedule:
    workflow_id: int
    trigger_type: TriggerType
    trigger_config: dict[str, Any]
    created_at: datetime
    is_active: bool = True
    user_id: int = 1
    name: str = ""
    priority: int = 0
    max_retries: int = 3
    misfire_policy: MisfirePolicy = "coalesce"
    misfire_grace_seconds: float = 300.0
    timezone: str | None = None
    next_run: datetime | None = None
    hook_id: str | None = None


class ScheduleRepository(Protocol):
    def add(self, schedule: NewSchedule) -> ScheduledJob: ...

    def get(self, schedule_id: int) -> ScheduledJob:
        """Raises NotFoundError naming the id."""
        ...

    def list(self, *, workflow_id: int | None = None) -> list[ScheduledJob]: ...

    def save(self, schedule: ScheduledJob) -> ScheduledJob:
        """Write every mutable field of `schedule` (matched by id)."""
        ...

    def delete(self, schedule_id: int) -> None: ...

    def by_hook(self, hook_id: str) -> ScheduledJob | None: ...

    def record_outcome(self, schedule_id: int, *, success: bool, status: str, at: datetime,
                       pause_after: int) -> ScheduledJob:
        """Atomically: last_status, run_count+1, consecutive_failures reset on success or +1
        on failure; at `pause_after` failures set is_active False with a paused_reason."""
        ...


@dataclass(frozen=True, kw_only=True)
class NewJob:
    workflow_id: int
    scheduled_at: datetime
    created_at: datetime
    idempotency_key: str
    scheduled_job_id: int | None = None
    user_id: int = 1
    priority: int = 0
    max_retries: int = 3
    trigger_type: str = "manual"
    payload: dict[str, Any] = field(default_factory=dict)
    nominal_fire_utc: datetime | None = None
    # "missed" and "rejected" rows are recorded, never run.
    status: JobStatus = "pending"
    outcome_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ScheduleAdvance:
    """Move a schedule's fire bookkeeping in the same transaction as an enqueue."""

    schedule_id: int
    next_run: datetime | None
    last_run: datetime | None = None


# outcome_reason of a running job put back to pending (both implementations write these).
LEASE_EXPIRED_REASON = "lease expired: worker stopped; re-run"
RELEASED_REASON = "released at shutdown: runs again at the next start"


class JobQueueRepository(Protocol):
    def enqueue(self, job: NewJob, *, advance: ScheduleAdvance | None = None,
                dedupe_window_seconds: float | None = None) -> QueuedJob | None:
        """Insert the job (and apply `advance`) in one transaction. Returns None, writing
        nothing but the advance, when UNIQUE(scheduled_job_id, nominal_fire_utc) or the
        idempotency key (within `dedupe_window_seconds`, if given) already exists."""
        ...

    def enqueue_many(self, items: Sequence[tuple[NewJob, ScheduleAdvance | None]]
                     ) -> builtins.list[QueuedJob | None]:
        """`enqueue` for each item, in order, all in ONE transaction (one fsync for a whole
        scheduler pass). The answer lines up with `items`: None where a job was a duplicate
        (its advance is still applied). Any other error rolls back the whole batch."""
        ...

    def claim(self, *, worker: str, now: datetime, lease_seconds: float,
              max_running_per_user: int) -> QueuedJob | None:
        """One BEGIN IMMEDIATE transaction: take the best due job (priority desc,
        scheduled_at, id) in pending/retrying whose user runs fewer than the limit; mark it
        running with attempt+1 and a lease."""
        ...

    def heartbeat(self, job_id: int, *, worker: str, lease_until: datetime) -> bool: ...

    def finish(self, job_id: int, *, status: JobStatus, now: datetime,
               error: str | None = None, execution_id: int | None = None,
               outcome_reason: str | None = None) -> QueuedJob: ...

    def schedule_retry(self, job_id: int, *, at: datetime, error: str,
                       execution_id: int | None = None) -> QueuedJob:
        """status retrying, retry_count+1, scheduled_at = at."""
        ...

    def cancel(self, job_id: int, *, now: datetime, reason: str) -> QueuedJob:
        """Cancel a pending or retrying job. Raises UserError for other states."""
        ...

    def retry(self, job_id: int, *, now: datetime) -> QueuedJob:
        """Put a failed, cancelled or timed-out job back to pending (same idempotency key,
        so orders it already placed are found, not placed again)."""
        ...

    def recover_expired(self, *, now: datetime) -> list[QueuedJob]:
        """Running jobs whose lease expired (lease_expires_at < now) go back to pending
        (at-least-once), keeping scheduled_at and attempt, with LEASE_EXPIRED_REASON."""
        ...

    def release(self, job_id: int, *, worker: str) -> QueuedJob:
        """Put a job `worker` is running back to pending (a graceful shutdown), keeping
        scheduled_at and attempt, with RELEASED_REASON. A job no longer running under that
        worker is left alone and returned as it is. Raises NotFoundError."""
        ...

    def get(self, job_id: int) -> QueuedJob: ...

    def list(self, *, statuses: Sequence[str] | None = None, workflow_id: int | None = None,
             scheduled_job_id: int | None = None, limit: int = 100,
             offset: int = 0) -> list[QueuedJob]: ...

    def started_since(self, *, user_id: int, since: datetime) -> int:
        """Jobs of the user that started running at or after `since` (the daily limit)."""
        ...

    def status(self, *, now: datetime, day_start: datetime, max_runs_per_day: int,
               user_id: int = 1) -> QueueStatus: ...

    def next_due(self) -> datetime | None:
        """Earliest scheduled_at among pending/retrying jobs."""
        ...


class SecretStore(Protocol):
    """Secrets (webhook secrets, apprise URLs, broker keys) never go to SQLite or logs."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...

    def describe(self) -> str:
        """Where secrets are kept, for Settings and logs ("system keyring", "0600 file")."""
        ...


class SettingsRepository(Protocol):
    def load(self) -> AppSettings:
        """The saved settings, or the defaults when none are saved."""
        ...

    def save(self, settings: AppSettings) -> None: ...
