"""Timed triggers (cron, time) as domain schedules, and the pure fire-time preview."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from agentic_desktop.domain.jobs import ScheduledJob
from agentic_desktop.domain.schedule import Schedule, ScheduleError
from agentic_desktop.engine.triggers.cron import cron_schedule
from agentic_desktop.engine.triggers.interval import interval_schedule


def timed_schedule(trigger_type: str, config: Mapping[str, object], *, timezone: str | None,
                   anchor: datetime) -> Schedule:
    """The domain schedule of a cron or time trigger. Raises ScheduleError naming the field."""
    if trigger_type == "cron":
        return cron_schedule(config, timezone=timezone)
    if trigger_type == "time":
        return interval_schedule(config, anchor=anchor)
    raise ScheduleError(
        "trigger_type",
        f"{trigger_type!r} has no fire times: only 'cron' and 'time' schedules can be previewed",
    )


def schedule_of(job: ScheduledJob) -> Schedule:
    return timed_schedule(job.trigger_type, job.trigger_config, timezone=job.timezone,
                          anchor=job.created_at)


def preview(trigger_type: str, trigger_config: Mapping[str, object], *, timezone: str | None,
            after: datetime, count: int) -> list[datetime]:
    """The next `count` fire times strictly after `after`, as aware UTC. For an interval not
    yet created the anchor is `after` itself (as if created then)."""
    schedule = timed_schedule(trigger_type, trigger_config, timezone=timezone, anchor=after)
    return schedule.fire_times(after, count)


def timing_key(job: ScheduledJob) -> tuple[object, ...]:
    """What decides a timed schedule's fire times: when it changes, re-plan from now."""
    config = job.trigger_config
    return (job.trigger_type, repr(sorted(config.items())), job.timezone, job.created_at)
