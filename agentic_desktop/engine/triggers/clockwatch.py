"""Detects sleep/wake and wall-clock changes by comparing how far wall time and monotonic time
moved since the last look (DESIGN.md §5). On Linux and macOS the monotonic clock stops during
suspend, so after a sleep wall time has moved further; a user or NTP setting the clock moves
wall time alone. Either way the difference is the jump.

One watch is shared by the scheduler and the market triggers: `epoch` counts detected jumps, so
each consumer notices a jump even when someone else's `check()` saw it first.
"""

from __future__ import annotations

from datetime import datetime

from agentic_desktop.engine.ports import Clock

DEFAULT_JUMP_THRESHOLD_SECONDS = 1.0


class ClockWatch:
    def __init__(self, clock: Clock, *,
                 threshold_seconds: float = DEFAULT_JUMP_THRESHOLD_SECONDS) -> None:
        self._clock = clock
        self._threshold = threshold_seconds
        self._wall = clock.now()
        self._mono = clock.monotonic()
        self.epoch = 0
        self.last_jump_at: datetime | None = None  # wall time when the last jump was seen
        self.last_jump_seconds = 0.0  # + forward (sleep, clock set ahead), - back

    def check(self) -> bool:
        """True when a jump happened since the previous check (by anyone)."""
        wall, mono = self._clock.now(), self._clock.monotonic()
        drift = (wall - self._wall).total_seconds() - (mono - self._mono)
        self._wall, self._mono = wall, mono
        if abs(drift) <= self._threshold:
            return False
        self.epoch += 1
        self.last_jump_at = wall
        self.last_jump_seconds = drift
        return True
