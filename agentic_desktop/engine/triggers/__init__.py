"""Trigger implementations, one module per kind (DESIGN.md §10: a plural folder per extension
point). `timed` turns cron/interval configs into domain schedules; `price` and `indicator`
evaluate market conditions edge-triggered; webhook and manual triggers are not timed (the API
and the GUI enqueue them directly)."""

from __future__ import annotations

TIMED_TRIGGERS = frozenset({"cron", "time"})
MARKET_TRIGGERS = frozenset({"price", "indicator"})
UNTIMED_TRIGGERS = frozenset({"webhook", "manual"})
