"""The `cron` trigger: {"cron_expression": "0 9 * * 1-5", "timezone": "Europe/London"}."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from agentic_desktop.domain.schedule import CronSchedule, ScheduleError

DEFAULT_TIMEZONE = "UTC"


def cron_schedule(config: Mapping[str, object], *, timezone: str | None) -> CronSchedule:
    """The schedule for a cron trigger_config. The config's own `timezone` wins over the
    schedule's column (the seed keeps it in the config); UTC when neither is set."""
    expression = config.get("cron_expression")
    if not isinstance(expression, str):
        raise ScheduleError(
            "cron_expression", "is missing: give 5 fields like '0 9 * * 1-5' or '@daily'"
        )
    zone = config.get("timezone") or timezone or DEFAULT_TIMEZONE
    if not isinstance(zone, str):
        raise ScheduleError("timezone", f"must be an IANA name like 'Europe/London', got {zone!r}")
    return _parsed(expression, zone)


@lru_cache(maxsize=4096)
def _parsed(expression: str, zone: str) -> CronSchedule:
    # CronSchedule is immutable, and parsing (with croniter's validation) costs ~0.2 ms:
    # schedules sharing an expression and zone share one instance.
    return CronSchedule(expression, zone)
