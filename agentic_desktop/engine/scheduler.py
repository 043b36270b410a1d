"""The scheduler: turns schedules into queued jobs (DESIGN.md §5).

Timed schedules (cron, time) live in a heap of (fire time, schedule id, version); an edit or a
removal bumps the version, and stale heap entries are dropped when they surface (lazy deletion),
so nothing ever scans all schedules. The loop sleeps with one precise timer until the earliest
fire, but never longer than `tick_seconds`: every tick compares wall and monotonic time, and a
jump (sleep/wake, clock set forward or back) re-plans every schedule from the next fire the
repository persisted, never from the new wall time, so a clock set back cannot re-fire a
nominal time that was already enqueued (the queue's UNIQUE(scheduled_job_id, nominal_fire_utc)
is the backstop, also against DST doubles and a second process).

Each fire is ONE repository call: the job and the schedule's new next_run/last_run together.

Misfires (the machine slept, the app was closed, the clock jumped ahead) go through
`domain.schedule.plan_catch_up` with the schedule's policy and grace:
  * coalesce: one run, for the latest fire within grace; older fires are missed;
  * skip: nothing runs, every due fire is missed.
Missed fires are recorded as ONE `missed` job row per catch-up, whatever their number, with a
reason like "missed 37 runs while the app was not running (...)" and the first missed times in
its payload. One row, not one per fire, keeps catch-up O(1): a per-second interval over a
three-year sleep would otherwise write ~95 million rows before anything else could happen.
The row's nominal_fire_utc is the first missed fire, so a second process doing the same
catch-up is blocked by the same UNIQUE constraint.

A single fire that is a little late (at most `on_time_seconds`, e.g. a busy loop) is not a
misfire: it runs, under either policy.

Market triggers (price, indicator) are polled by their own components (engine/triggers), which
call back here to enqueue. Webhook and manual schedules are not timed: the API and the GUI
enqueue them.

Schedules change through `upsert` (created, edited, resumed) and `remove` (deleted, paused):
the callers (API, GUI, workers) tell the scheduler. Auto-pauses published as `SchedulePaused`
on the event bus are picked up directly. `upsert` plans from now: a resumed schedule does not
catch up the fires of its pause. Only `start()` catches up what was due while the app was
closed.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from agentic_desktop.domain.errors import NotFoundError
from agentic_desktop.domain.jobs import QueuedJob, ScheduledJob
from agentic_desktop.domain.schedule import Schedule, ScheduleError, plan_catch_up
from agentic_desktop.engine.events import (
    Event,
    EventBus,
    JobFinished,
    JobQueued,
    ScheduleChanged,
    SchedulePaused,
)
from agentic_desktop.engine.ports import (
    Clock,
    JobQueueRepository,
    MarketData,
    NewJob,
    ScheduleAdvance,
    ScheduleRepository,
)
from agentic_desktop.engine.triggers import MARKET_TRIGGERS, TIMED_TRIGGERS
from agentic_desktop.engine.triggers.clockwatch import ClockWatch
from agentic_desktop.engine.triggers.market import MarketTriggers
from agentic_desktop.engine.triggers.timed import preview as _preview
from agentic_desktop.engine.triggers.timed import schedule_of, timing_key

log = logging.getLogger(__name__)

_RETRY_AFTER_ERROR = timedelta(seconds=1)
# Price/indicator fires are deduplicated on their idempotency key within this window.
EVENT_DEDUPE_SECONDS = 24 * 3600.0


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def _to_us(moment: datetime) -> int:
    return (moment - _EPOCH) // _US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class _Timed:
    job: ScheduledJob
    schedule: Schedule | None  # built on first use: loading 10,000 rows parses nothing
    key: tuple[object, ...]
    next_fire: datetime  # == the persisted next_run: the earliest fire not yet enqueued
    version: int
    origin: str | None = None  # why a misfire may be pending: "start", "jump"


class Scheduler:
    def __init__(
        self, *, schedules: ScheduleRepository, queue: JobQueueRepository, clock: Clock,
        events: EventBus, market: MarketData,
        on_enqueued: Callable[[QueuedJob], None] = lambda j: None,
        tick_seconds: float = 2.0, on_time_seconds: float | None = None,
        jump_threshold_seconds: float = 1.0,
    ) -> None:
        self._schedules = schedules
        self._queue = queue
        self._clock = clock
        self._events = events
        self._on_enqueued = on_enqueued
        self._tick = float(tick_seconds)
        # A single fire later than this is treated as a misfire (policy and grace apply).
        self._on_time = (max(5.0, 2 * self._tick) if on_time_seconds is None
                         else float(on_time_seconds))
        self.watch = ClockWatch(clock, threshold_seconds=jump_threshold_seconds)
        # (fire time as integer µs since the epoch, schedule id, version): int keys compare
        # several times faster than aware datetimes, and stay exact.
        self._heap: list[tuple[int, int, int]] = []
        self._timed: dict[int, _Timed] = {}
        self._version = 0
        self._task: asyncio.Task[None] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.market_triggers = MarketTriggers(
            market=market, clock=clock, watch=self.watch, fire=self._fire_market)
        self.jumps_seen = 0

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Load every active schedule and start the loop. Fires that fell due while the app
        was closed are caught up on the first pass (coalesce/skip)."""
        if self._task is not None:
            return
        self._unsubscribe = self._events.subscribe(self._on_event, Event)
        self.load(origin="start")
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="scheduler")
        self.market_triggers.start()

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self.market_triggers.stop()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    def load(self, *, origin: str = "start") -> None:
        """(Re)load every schedule from the repository, as at start."""
        self._timed.clear()
        self._heap.clear()
        for job in self._schedules.list():
            if job.is_active:
                self._add(job, origin=origin)
        self._wake()

    # -- changes --------------------------------------------------------------------------

    def upsert(self, schedule: ScheduledJob) -> ScheduledJob:
        """A schedule was created, edited or resumed. Returns it as persisted (timed schedules
        get their next_run). Invalid configs are logged and left out (the API validates
        before saving, so this only happens to rows edited behind its back)."""
        previous = self._timed.get(schedule.id)
        self._drop(schedule.id)
        if not schedule.is_active:
            return schedule
        result = self._add(schedule, origin=None, previous=previous)
        self._wake()
        return result

    def remove(self, schedule_id: int) -> None:
        """A schedule was deleted or paused: it never fires again until upserted."""
        self._drop(schedule_id)

    def pause_all(self) -> None:
        """Take every schedule out of the scheduler (the repository is untouched)."""
        for schedule_id in list(self._timed):
            self._drop(schedule_id)
        self.market_triggers.clear()

    def resume_all(self) -> None:
        """Put every active schedule back, planned from now (no catch-up of the pause)."""
        for job in self._schedules.list():
            if job.is_active:
                self.upsert(job)

    @staticmethod
    def preview(trigger_type: str, trigger_config: Mapping[str, object], *,
                timezone: str | None, after: datetime, count: int) -> list[datetime]:
        """The next `count` fire times (aware UTC) strictly after `after`. Pure."""
        return _preview(trigger_type, trigger_config, timezone=timezone, after=after,
                        count=count)

    # -- inspection -----------------------------------------------------------------------

    def next_due(self) -> datetime | None:
        """The earliest planned fire among timed schedules."""
        self._prune()
        return _from_us(self._heap[0][0]) if self._heap else None

    def planned(self, schedule_id: int) -> datetime | None:
        entry = self._timed.get(schedule_id)
        return entry.next_fire if entry is not None else None

    def __len__(self) -> int:
        return len(self._timed) + len(self.market_triggers)

    # -- the loop -------------------------------------------------------------------------

    async def run_due(self, now: datetime | None = None) -> list[QueuedJob]:
        """One deterministic step: check for a clock jump, then fire everything due at `now`
        (default: the clock's now). The loop calls this; tests call it directly."""
        self.check_clock()
        return self._fire_due(self._clock.now() if now is None else now)

    def check_clock(self) -> bool:
        """Compare wall and monotonic time; on a jump re-plan every timed schedule from its
        persisted next_run and reset market-trigger state."""
        if not self.watch.check():
            return False
        self.jumps_seen += 1
        log.warning("wall clock jumped %+.1f s against monotonic time (sleep/wake or clock "
                    "change): re-planning %d schedules", self.watch.last_jump_seconds,
                    len(self._timed))
        self._replan()
        return True

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_tick = self._clock.monotonic() + self._tick
        while True:
            try:
                await self.run_due()
            except Exception:  # never let one bad schedule stop the scheduler
                log.exception("scheduler pass failed; retrying at the next tick")
            mono = self._clock.monotonic()
            if mono >= next_tick:
                next_tick = mono + self._tick
            delay = next_tick - mono
            earliest = self.next_due()
            if earliest is not None:
                delay = min(delay, (earliest - self._clock.now()).total_seconds())
            waiter = loop.create_future()
            self._waiter = waiter
            handle = loop.call_later(max(0.0, delay), _resolve, waiter)
            try:
                await waiter
            finally:
                handle.cancel()
                self._waiter = None

    def _wake(self) -> None:
        if self._waiter is not None:
            _resolve(self._waiter)

    # -- heap -----------------------------------------------------------------------------

    def _push(self, entry: _Timed, when: datetime) -> None:
        self._version += 1
        entry.version = self._version
        heapq.heappush(self._heap, (_to_us(when), entry.job.id, entry.version))

    def _prune(self) -> None:
        heap, timed = self._heap, self._timed
        while heap:
            _, schedule_id, version = heap[0]
            entry = timed.get(schedule_id)
            if entry is not None and entry.version == version:
                return
            heapq.heappop(heap)

    def _drop(self, schedule_id: int) -> None:
        self._timed.pop(schedule_id, None)
        self.market_triggers.remove(schedule_id)
        if len(self._heap) > 2 * len(self._timed) + 64:  # lazy deletion, bounded garbage
            self._heap = [(t, i, v) for (t, i, v) in self._heap
                          if (e := self._timed.get(i)) is not None and e.version == v]
            heapq.heapify(self._heap)

    def _add(self, job: ScheduledJob, *, origin: str | None,
             previous: _Timed | None | bool = False) -> ScheduledJob:
        """Put a schedule in. `previous` is False when loading (trust the persisted
        next_run: what was due while the app was closed is caught up), else the entry the
        scheduler had before this upsert (None: new or resumed)."""
        if job.trigger_type in MARKET_TRIGGERS:
            self.market_triggers.add(job)
            return job
        if job.trigger_type not in TIMED_TRIGGERS:
            return job  # webhook, manual: enqueued by the API/GUI
        now = self._clock.now()
        key = timing_key(job)
        next_fire = job.next_run
        schedule: Schedule | None = None
        try:
            if previous is False and next_fire is not None:
                pass  # loading with a persisted next fire: the schedule is built when due
            elif isinstance(previous, _Timed) and previous.key == key:
                schedule = previous.schedule
                next_fire = previous.next_fire  # an edit that does not touch the timing
            elif (next_fire is None or isinstance(previous, _Timed)
                  or (previous is None and next_fire < now - timedelta(seconds=self._on_time))):
                # New, re-timed or resumed: plan from now, never before the last fire (a clock
                # set back must not re-plan fires already enqueued).
                after = now if job.last_run is None else max(now, job.last_run)
                schedule = schedule_of(job)
                next_fire = schedule.next_fire(after)
            else:
                schedule = schedule_of(job)  # validate now, not at the first fire
        except ScheduleError as exc:
            log.error("schedule %d is not scheduled: %s", job.id, exc)
            return job
        assert next_fire is not None
        if next_fire != job.next_run:
            job = self._persist_next(job, next_fire)
        entry = _Timed(job=job, schedule=schedule, key=key, next_fire=next_fire, version=0,
                       origin=origin)
        self._timed[job.id] = entry
        self._push(entry, next_fire)
        return job

    def _persist_next(self, job: ScheduledJob, next_fire: datetime) -> ScheduledJob:
        try:
            current = self._schedules.get(job.id)
            return self._schedules.save(replace(current, next_run=next_fire))
        except NotFoundError:
            return replace(job, next_run=next_fire)

    def _replan(self) -> None:
        """After a jump: rebuild the heap from the repository's persisted next_run."""
        ids = list(self._timed)
        self._heap.clear()
        for schedule_id in ids:
            entry = self._timed[schedule_id]
            try:
                stored = self._schedules.get(schedule_id)
            except NotFoundError:
                del self._timed[schedule_id]
                continue
            if not stored.is_active or stored.trigger_type not in TIMED_TRIGGERS:
                del self._timed[schedule_id]
                continue
            entry.job = stored
            if stored.next_run is not None:
                entry.next_fire = stored.next_run
            entry.origin = "jump"
            self._push(entry, entry.next_fire)
        self.market_triggers.reset()
        self._wake()

    # -- firing ---------------------------------------------------------------------------

    def _fire_due(self, now: datetime) -> list[QueuedJob]:
        out: list[QueuedJob] = []
        heap, timed, now_us = self._heap, self._timed, _to_us(now)
        while heap and heap[0][0] <= now_us:
            _, schedule_id, version = heapq.heappop(heap)
            entry = timed.get(schedule_id)
            if entry is None or entry.version != version:
                continue
            try:
                out.extend(self._fire(entry, now))
            except ScheduleError as exc:  # e.g. a cron that never fires again
                log.error("schedule %d stops: %s", schedule_id, exc)
                del timed[schedule_id]
                continue
            except Exception:
                log.exception("schedule %d could not be fired; retrying in %s s",
                              schedule_id, _RETRY_AFTER_ERROR.total_seconds())
                self._push(entry, now + _RETRY_AFTER_ERROR)
                continue
            self._push(entry, entry.next_fire)
        return out

    def _fire(self, entry: _Timed, now: datetime) -> list[QueuedJob]:
        due, schedule, job = entry.next_fire, _schedule(entry), entry.job
        following = schedule.next_fire(due)
        late = (now - due).total_seconds()
        if following > now and late <= self._on_time:
            advance = ScheduleAdvance(schedule_id=job.id, next_run=following, last_run=now)
            queued = self._enqueue(self._run_job(job, due, now), advance)
            entry.next_fire, entry.origin = following, None
            return [queued] if queued is not None else []
        return self._catch_up(entry, now)

    def _catch_up(self, entry: _Timed, now: datetime) -> list[QueuedJob]:
        job = entry.job
        plan = plan_catch_up(_schedule(entry), entry.next_fire, now,
                             job.misfire_grace_seconds, job.misfire_policy)
        advance = ScheduleAdvance(schedule_id=job.id, next_run=plan.next_fire, last_run=now)
        out: list[QueuedJob] = []
        if plan.missed_count > 0:
            missed = self._missed_job(job, plan.missed, plan.missed_count,
                                      plan.missed_count_exact, now, entry.origin,
                                      ran=plan.nominal is not None)
            queued = self._enqueue(missed, None if plan.nominal is not None else advance)
            if queued is not None:
                out.append(queued)
        if plan.nominal is not None:
            run = self._run_job(job, plan.nominal, now,
                                extra={"catch_up": True, "missed": plan.missed_count})
            queued = self._enqueue(run, advance)
            if queued is not None:
                out.append(queued)
        entry.next_fire, entry.origin = plan.next_fire, None
        return out

    def _run_job(self, job: ScheduledJob, nominal: datetime, now: datetime,
                 extra: dict[str, Any] | None = None) -> NewJob:
        iso = iso_utc(nominal)
        payload: dict[str, Any] = {"trigger": job.trigger_type, "fire_time": iso,
                                   "schedule_id": job.id}
        if extra:
            payload.update(extra)
        return NewJob(
            workflow_id=job.workflow_id, scheduled_at=now, created_at=now,
            idempotency_key=f"schedule:{job.id}:{iso}", scheduled_job_id=job.id,
            user_id=job.user_id, priority=job.priority, max_retries=job.max_retries,
            trigger_type=job.trigger_type, payload=payload, nominal_fire_utc=nominal,
        )

    def _missed_job(self, job: ScheduledJob, listed: tuple[datetime, ...], count: int,
                    exact: bool, now: datetime, origin: str | None, *, ran: bool) -> NewJob:
        first = listed[0] if listed else now
        why = {"start": "while the app was not running",
               "jump": "while the computer slept or the clock jumped"}.get(
                   origin or "", "because the scheduler was late")
        how = ("coalesced: the latest fire within the "
               f"{job.misfire_grace_seconds:g} s grace ran once" if ran
               else f"older than the {job.misfire_grace_seconds:g} s misfire grace"
               if job.misfire_policy == "coalesce" else "misfire policy: skip")
        number = f"{count}" if exact else f"about {count}"
        noun = "run" if count == 1 and exact else "runs"
        reason = f"missed {number} {noun} {why} ({how})"
        iso = iso_utc(first)
        return NewJob(
            workflow_id=job.workflow_id, scheduled_at=now, created_at=now,
            idempotency_key=f"schedule:{job.id}:missed:{iso}", scheduled_job_id=job.id,
            user_id=job.user_id, priority=job.priority, max_retries=job.max_retries,
            trigger_type=job.trigger_type, nominal_fire_utc=first, status="missed",
            outcome_reason=reason,
            payload={"trigger": job.trigger_type, "schedule_id": job.id, "missed_count": count,
                     "missed_count_exact": exact, "first_missed": iso,
                     "missed_fire_times": [iso_utc(t) for t in listed]},
        )

    def _enqueue(self, new: NewJob, advance: ScheduleAdvance | None,
                 dedupe_window_seconds: float | None = None) -> QueuedJob | None:
        queued = self._queue.enqueue(new, advance=advance,
                                     dedupe_window_seconds=dedupe_window_seconds)
        now = new.created_at
        if queued is None:
            log.info("schedule %s: %s was already enqueued; not enqueued again",
                     new.scheduled_job_id, new.idempotency_key)
            return None
        if queued.status == "missed":
            self._events.publish(JobFinished(
                time=now, job_id=queued.id, workflow_id=queued.workflow_id, status="missed",
                error=queued.outcome_reason, scheduled_job_id=queued.scheduled_job_id))
        else:
            self._events.publish(JobQueued(
                time=now, job_id=queued.id, workflow_id=queued.workflow_id,
                scheduled_job_id=queued.scheduled_job_id, trigger_type=queued.trigger_type))
            try:
                self._on_enqueued(queued)
            except Exception:
                log.exception("on_enqueued callback failed for job %d", queued.id)
        if new.scheduled_job_id is not None:
            self._events.publish(ScheduleChanged(time=now, schedule_id=new.scheduled_job_id,
                                                 change="fired"))
        return queued

    def _fire_market(self, job: ScheduledJob, payload: dict[str, Any], key: str,
                     nominal: datetime | None) -> QueuedJob | None:
        """Called by the market triggers when a condition becomes true."""
        now = self._clock.now()
        new = NewJob(
            workflow_id=job.workflow_id, scheduled_at=now, created_at=now,
            idempotency_key=f"schedule:{job.id}:{key}", scheduled_job_id=job.id,
            user_id=job.user_id, priority=job.priority, max_retries=job.max_retries,
            trigger_type=job.trigger_type, payload=payload, nominal_fire_utc=nominal,
        )
        advance = ScheduleAdvance(schedule_id=job.id, next_run=None, last_run=now)
        return self._enqueue(new, advance, dedupe_window_seconds=EVENT_DEDUPE_SECONDS)

    # -- bus ------------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if isinstance(event, SchedulePaused):
            self.remove(event.schedule_id)


def _schedule(entry: _Timed) -> Schedule:
    if entry.schedule is None:
        entry.schedule = schedule_of(entry.job)
    return entry.schedule


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
