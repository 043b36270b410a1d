"""Application settings a trader changes in Settings (and the headless process reads).

Secrets are not here: apprise URLs and tokens live in the secret store.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.jobs import Limits

Theme = Literal["system", "dark", "light"]
THEMES: tuple[Theme, ...] = ("system", "dark", "light")
NOTIFY_EVENTS: tuple[str, ...] = (
    "order_placed", "run_failed", "schedule_paused", "daily_limit", "webhook_rejected",
)

# (field, minimum, maximum) for each limit: a wrong value is refused with its range.
_LIMIT_RANGES: dict[str, tuple[float, float]] = {
    "max_concurrent_per_user": (1, 100),
    "max_runs_per_day": (1, 100_000),
    "timeout_seconds": (1, 86_400),
    "memory_mb": (50, 65_536),
    "failures_before_pause": (1, 1_000),
}


def _default_notify() -> dict[str, bool]:
    return dict.fromkeys(NOTIFY_EVENTS, True)


@dataclass(frozen=True, kw_only=True)
class AppSettings:
    limits: Limits = field(default_factory=Limits)
    api_enabled: bool = True
    api_port: int = 8000
    default_timezone: str = ""  # empty: the machine's zone
    theme: Theme = "system"
    start_minimized: bool = False
    notify: dict[str, bool] = field(default_factory=_default_notify)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def with_limits(self, **changes: Any) -> AppSettings:
        return replace(self, limits=replace(self.limits, **changes))


def settings_from_json(data: Any) -> AppSettings:
    """Validate stored or submitted settings; UserError names the field and its range."""
    if not isinstance(data, dict):
        raise UserError("settings: expected an object")
    base = AppSettings()
    limits_raw = data.get("limits", {})
    if not isinstance(limits_raw, dict):
        raise UserError("settings.limits: expected an object")
    limits: dict[str, Any] = {}
    for name, (low, high) in _LIMIT_RANGES.items():
        value = limits_raw.get(name, getattr(base.limits, name))
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"settings.limits.{name}: must be a number from {low:g} to {high:g}")
        if not low <= value <= high:
            raise UserError(
                f"settings.limits.{name}: {value:g} is out of range; use {low:g} to {high:g}")
        limits[name] = type(getattr(base.limits, name))(value)
    port = data.get("api_port", base.api_port)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise UserError(f"settings.api_port: {port!r} is not a port; use 1 to 65535")
    zone = data.get("default_timezone", "")
    if not isinstance(zone, str):
        raise UserError("settings.default_timezone: must be an IANA zone name or empty")
    if zone:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise UserError(f"settings.default_timezone: unknown time zone {zone!r}; use an "
                            "IANA name like 'Europe/London'") from None
    theme = data.get("theme", base.theme)
    if theme not in THEMES:
        raise UserError(f"settings.theme: must be one of {', '.join(THEMES)}")
    notify_raw = data.get("notify", {})
    if not isinstance(notify_raw, dict):
        raise UserError("settings.notify: expected an object of event: true/false")
    notify = _default_notify()
    for key, value in notify_raw.items():
        if key in notify and isinstance(value, bool):
            notify[key] = value
    for flag in ("api_enabled", "start_minimized"):
        if not isinstance(data.get(flag, False), bool):
            raise UserError(f"settings.{flag}: must be true or false")
    return AppSettings(
        limits=Limits(**limits), api_enabled=data.get("api_enabled", base.api_enabled),
        api_port=port, default_timezone=zone, theme=theme,
        start_minimized=data.get("start_minimized", base.start_minimized), notify=notify,
    )
