"""Queue depth and throughput over the last hour, kept in memory: backfilled once from the
recent jobs, then fed by engine events (no polling). Pure Python, so it is tested directly."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime

from agentic_desktop.domain.jobs import QueuedJob

WINDOW_SECONDS = 3600.0
BIN_SECONDS = 60.0
FINISHED = frozenset({"completed", "failed", "timed_out", "cancelled"})


class QueueSeries:
    def __init__(self, window_seconds: float = WINDOW_SECONDS) -> None:
        self.window = window_seconds
        self._depth: deque[tuple[float, int]] = deque()  # (epoch seconds, waiting jobs)
        self._finished: deque[float] = deque()  # epoch seconds of each finished job

    def backfill(self, jobs: Iterable[QueuedJob], now: datetime) -> None:
        """Rebuild the last hour from job rows: a job waited from creation until it started
        (or was cancelled, missed or rejected); finished jobs count at their completion."""
        end, start = now.timestamp(), now.timestamp() - self.window
        changes: list[tuple[float, int]] = []
        finished: list[float] = []
        for job in jobs:
            created = job.created_at.timestamp()
            left = job.started_at or (job.completed_at if job.status not in
                                      ("pending", "retrying") else None)
            left_at = left.timestamp() if left is not None else end
            if left_at >= start and created <= end:
                changes.append((created, 1))
                if left is not None:
                    changes.append((left_at, -1))
            if job.status == "retrying":  # waiting again since its last attempt ended
                changes.append((max(left_at, start), 1))
            if job.status in FINISHED and job.completed_at is not None:
                done = job.completed_at.timestamp()
                if start <= done <= end:
                    finished.append(done)
        changes.sort()
        depth, points = 0, []
        for t, delta in changes:
            depth += delta
            if t >= start:
                points.append((t, max(depth, 0)))
        opening = [(start, max(sum(d for t, d in changes if t < start), 0))]
        self._depth = deque(opening + points)
        self._finished = deque(sorted(finished))

    def record_depth(self, at: datetime, depth: int) -> None:
        t = at.timestamp()
        if self._depth and self._depth[-1][1] == depth:
            return
        self._depth.append((t, depth))

    def record_finished(self, at: datetime) -> None:
        self._finished.append(at.timestamp())

    def _trim(self, now: float) -> None:
        start = now - self.window
        while len(self._depth) > 1 and self._depth[1][0] <= start:
            self._depth.popleft()
        while self._finished and self._finished[0] < start:
            self._finished.popleft()

    def depth_steps(self, now: datetime) -> tuple[list[float], list[float]]:
        """Step-line points (x, y) from the window start to now."""
        t_now = now.timestamp()
        self._trim(t_now)
        xs: list[float] = []
        ys: list[float] = []
        start = t_now - self.window
        for t, depth in self._depth:
            t = max(t, start)
            if ys:
                xs.append(t)
                ys.append(ys[-1])
            xs.append(t)
            ys.append(float(depth))
        if ys:
            xs.append(t_now)
            ys.append(ys[-1])
        return xs, ys

    def throughput(self, now: datetime, bin_seconds: float = BIN_SECONDS
                   ) -> tuple[list[float], list[int]]:
        """Finished jobs per bin; x is each bin's start (the last bin ends now)."""
        t_now = now.timestamp()
        self._trim(t_now)
        bins = int(self.window // bin_seconds)
        first = t_now - bins * bin_seconds
        counts = [0] * bins
        for t in self._finished:
            i = int((t - first) // bin_seconds)
            if 0 <= i < bins:
                counts[i] += 1
            elif i == bins:
                counts[-1] += 1
        return [first + i * bin_seconds for i in range(bins)], counts

    def current_depth(self) -> int:
        return self._depth[-1][1] if self._depth else 0
