"""Schedules and queued jobs (DESIGN.md §5, §6; the seed's scheduled_jobs and job_queue)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

TriggerType = Literal["cron", "time", "price", "indicator", "webhook", "manual"]
TRIGGER_TYPES: tuple[TriggerType, ...] = ("cron", "time", "price", "indicator", "webhook", "manual")

JobStatus = Literal[
    "pending", "running", "completed", "failed", "cancelled", "timed_out", "retrying", "missed",
    "rejected",
]
TERMINAL_STATUSES: frozenset[str] = frozenset(
    {"completed", "failed", "cancelled", "timed_out", "missed", "rejected"}
)
RETRYABLE_STATUSES: frozenset[str] = frozenset({"failed", "cancelled", "timed_out"})
MisfirePolicy = Literal["coalesce", "skip"]

# Seed: 3 retries after 1 s, 5 s and 15 s.
RETRY_DELAYS_SECONDS: tuple[float, ...] = (1.0, 5.0, 15.0)


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Safety limits (seed defaults). Configurable in Settings."""

    max_concurrent_per_user: int = 10
    max_runs_per_day: int = 100
    timeout_seconds: float = 300.0
    memory_mb: float = 500.0
    failures_before_pause: int = 5


@dataclass(frozen=True, kw_only=True)
class ScheduledJob:
    id: int
    workflow_id: int
    trigger_type: TriggerType
    trigger_config: dict[str, Any]
    is_active: bool
    created_at: datetime
    user_id: int = 1
    last_run: datetime | None = None
    next_run: datetime | None = None  # next_fire_utc; None for event triggers
    run_count: int = 0
    priority: int = 0
    max_retries: int = 3
    misfire_policy: MisfirePolicy = "coalesce"
    misfire_grace_seconds: float = 300.0
    timezone: str | None = None
    consecutive_failures: int = 0
    paused_reason: str | None = None
    last_status: str | None = None
    hook_id: str | None = None  # webhook triggers only; the secret lives in the secret store
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class QueuedJob:
    id: int
    workflow_id: int
    status: JobStatus
    created_at: datetime
    scheduled_at: datetime
    user_id: int = 1
    scheduled_job_id: int | None = None
    priority: int = 0
    retry_count: int = 0  # retries so far (the seed's column)
    attempt: int = 1  # runs started, including lease recoveries
    max_retries: int = 3
    started_at: datetime | None = None
    completed_at: datetime | None = None
    error_message: str | None = None
    lease_expires_at: datetime | None = None
    trigger_type: str = "manual"
    payload: dict[str, Any] = field(default_factory=dict)
    nominal_fire_utc: datetime | None = None
    idempotency_key: str = ""
    outcome_reason: str | None = None
    execution_id: int | None = None
    worker: str | None = None


@dataclass(frozen=True, kw_only=True)
class QueueStatus:
    pending: int
    running: int
    retrying: int
    completed_today: int
    failed_today: int
    runs_today: int
    max_runs_per_day: int
    avg_wait_ms: float | None
    avg_duration_ms: float | None
    throughput_per_min: float  # completed in the last hour / 60
