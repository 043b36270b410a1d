"""Safety limits, retry policy and outcome mapping of the worker pool (DESIGN.md §6; the seed's
defaults live in domain.jobs.Limits).

| Limit                         | Enforced by                                               |
|-------------------------------|-----------------------------------------------------------|
| concurrent runs per user      | the queue's claim (the next job waits, never dropped)      |
| runs per user per day         | the pool after each claim: beyond it the job is `rejected` |
| timeout                       | the executor (`timed_out`; retried like a transient error) |
| memory per run                | `watch_memory` below: the run is cancelled and `failed`    |
| consecutive schedule failures | ScheduleRepository.record_outcome (auto-pause)             |

Memory is measured as growth of this process's resident set size (RSS) since the run started,
sampled every ~0.2 s. It is exact for one run at a time and approximate when several run at
once: they share the process, so one run's allocation is seen by every run sampling at that
moment, and a spike shorter than the sampling interval can be missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psutil

from agentic_desktop.domain.jobs import RETRY_DELAYS_SECONDS, JobStatus, Limits
from agentic_desktop.domain.runs import ExecutionResult

log = logging.getLogger(__name__)
MB = 1_048_576
MEMORY_SAMPLE_SECONDS = 0.2
_PROCESS = psutil.Process()


def resolve_limits(limits: Limits | Callable[[], Limits]) -> Callable[[], Limits]:
    """Limits may be fixed or read live from Settings on every use."""
    if isinstance(limits, Limits):
        fixed = limits
        return lambda: fixed
    return limits


# -- daily runs -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UserDay:
    """The user's calendar day that contains `now`, as UTC bounds."""

    zone: str
    local_date: date
    start_utc: datetime
    end_utc: datetime


def user_day(now: datetime, zone_name: str) -> UserDay:
    """Midnight to midnight in the user's IANA zone (an unknown zone falls back to UTC, with a
    warning: the limit must still apply)."""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r for the daily run limit: counting days in UTC",
                    zone_name)
        zone_name, zone = "UTC", ZoneInfo("UTC")
    local = now.astimezone(zone).date()
    # combine() at 00:00 local: on the rare zone whose DST jump is at midnight, zoneinfo maps
    # the missing time forward, which is the first instant of that day.
    start = datetime.combine(local, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(local + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return UserDay(zone=zone_name, local_date=local, start_utc=start, end_utc=end)


def daily_limit_reason(limit: int, day: UserDay) -> str:
    return f"daily limit of {limit} runs reached (resets at 00:00 {day.zone})"


# -- timeout, memory, failures ------------------------------------------------------------


def timeout_reason(seconds: float) -> str:
    return f"timeout limit of {seconds:g} s reached"


def memory_reason(limit_mb: float, used_mb: float) -> str:
    return f"memory limit of {limit_mb:g} MB exceeded (used {used_mb:.0f} MB)"


def paused_message(schedule_id: int, failures: int, last_error: str | None) -> str:
    return (f"Schedule {schedule_id} paused after {failures} consecutive failures: "
            f"{last_error or 'no error message'}")


def rss_bytes() -> int:
    return int(_PROCESS.memory_info().rss)


async def watch_memory(limit_mb: float, on_exceeded: Callable[[float], None], *,
                       interval: float = MEMORY_SAMPLE_SECONDS,
                       rss: Callable[[], int] = rss_bytes) -> float:
    """Sample RSS growth until cancelled. Calls `on_exceeded(used_mb)` once and returns when
    the growth passes `limit_mb` (a limit <= 0 disables the watch). Returns the peak growth."""
    base = rss()
    peak = 0.0
    if limit_mb <= 0:
        return peak
    while True:
        await asyncio.sleep(interval)
        used = max(0.0, (rss() - base) / MB)
        peak = max(peak, used)
        if used > limit_mb:
            on_exceeded(used)
            return peak


# -- retries ----------------------------------------------------------------------------


def retry_delay(retry_count: int, max_retries: int) -> float | None:
    """Seconds before the next automatic retry, or None when the job has used its retries.
    1 s, 5 s, 15 s (seed); a job allowed more than three retries waits 15 s for each extra."""
    if retry_count >= max_retries:
        return None
    return RETRY_DELAYS_SECONDS[min(retry_count, len(RETRY_DELAYS_SECONDS) - 1)]


# -- outcomes ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What a run means for its job: the status if it is final, and whether to retry first."""

    status: JobStatus
    error: str | None = None
    reason: str | None = None
    retryable: bool = False
    execution_id: int | None = None
    limit: str | None = None  # a LimitHit to publish ("timeout", "memory")


def outcome_of(result: ExecutionResult, limits: Limits) -> Outcome:
    eid = result.execution_id
    if result.status == "completed":
        return Outcome(status="completed", execution_id=eid)
    if result.status == "timed_out":
        # DESIGN.md: retries are for transient errors; a timeout may well be one.
        return Outcome(status="timed_out", error=result.error, retryable=True,
                       reason=timeout_reason(limits.timeout_seconds), limit="timeout",
                       execution_id=eid)
    if result.status == "cancelled":
        return Outcome(status="cancelled", error=result.error, reason="cancelled",
                       execution_id=eid)
    if result.error_kind == "user":
        return Outcome(status="failed", error=result.error, execution_id=eid,
                       reason="not retried: the workflow needs a fix (user error)")
    # retryable, internal (a node bug), or unknown: a re-run is safe (idempotent orders)
    return Outcome(status="failed", error=result.error, retryable=True, execution_id=eid)
