"""The `time` trigger: {"interval_minutes": 15} (the seed's) or {"interval_seconds": 30}, added
in UTC from an anchor (the schedule's creation time unless the config pins an ISO "anchor")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from agentic_desktop.domain.schedule import IntervalSchedule, ScheduleError


def interval_schedule(config: Mapping[str, object], *, anchor: datetime) -> IntervalSchedule:
    pinned = config.get("anchor")
    if pinned is not None:
        if not isinstance(pinned, str):
            raise ScheduleError("anchor", f"must be an ISO 8601 time, got {pinned!r}")
        try:
            parsed = datetime.fromisoformat(pinned)
        except ValueError:
            raise ScheduleError(
                "anchor", f"{pinned!r} is not an ISO 8601 time like '2025-01-01T09:00:00Z'"
            ) from None
        if parsed.tzinfo is None:
            raise ScheduleError("anchor", f"{pinned!r} has no UTC offset: add 'Z' or '+00:00'")
        anchor = parsed
    keys = {k: v for k, v in config.items() if k in ("interval_minutes", "interval_seconds")}
    return IntervalSchedule.from_config(keys, anchor=anchor)
