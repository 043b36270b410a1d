"""The scheduler: turns schedules into queued jobs (DESIGN.md §5).

Timed schedules (cron, time) live in a heap of (fire time, schedule id, version); an edit or a
removal bumps the version, and stale heap entries are dropped when they surface (lazy deletion),
so nothing ever scans all schedules. The loop sleeps with one precise timer until the earliest
fire, but never longer than `tick_seconds`: every tick compares wall and monotonic time, and a
jump (sleep/wake, clock set forward or back) re-plans every schedule from the next fire the
repository persisted, never from the new wall time, so a clock set back cannot re-fire a
nominal time that was already enqueued (the queue's UNIQUE(scheduled_job_id, nominal_fire_utc)
is the backstop, also against DST doubles and a second process).

Writes never run on the event loop (it is the GUI's loop too, and a synchronous=FULL commit
is an fsync). Each pass takes every due fire off the heap on the loop, plans it there (pure
work: the next fire, the job rows), then writes the whole pass with ONE
`JobQueueRepository.enqueue_many` call — one transaction holding every job and every
schedule's new next_run/last_run — on the scheduler's own database thread, and only when that
committed moves each schedule on in the heap and announces the jobs. Exactly-once holds as
before: a fire's job and its advance commit together, and UNIQUE(scheduled_job_id,
nominal_fire_utc) refuses a repeat. If the batch fails, its fires are written one by one, so
one bad row cannot hold back the others; a fire whose write failed is tried again a second
later. Loading at start and re-planning after a clock jump read the repository on that thread
too. (`upsert`, `load` and `check_clock` stay synchronous for their callers.)

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
import functools
import heapq
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

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

T = TypeVar("T")
_RETRY_AFTER_ERROR = timedelta(seconds=1)
_Item = tuple[NewJob, ScheduleAdvance | None]
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


@dataclass
class _Firing:
    """One schedule's share of a pass: its job rows, and where it moves once they commit."""

    entry: _Timed
    due: datetime  # entry.next_fire when it was taken off the heap (unchanged until commit)
    items: list[_Item]
    next_fire: datetime


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
        # One thread for the scheduler's reads and writes: they never wait behind the worker
        # pool's calls in the default executor, and passes commit in order.
        self._db_thread: ThreadPoolExecutor | None = None
        self._in_flight: set[int] = set()  # schedules whose fire is being written

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Load every active schedule and start the loop. Fires that fell due while the app
        was closed are caught up on the first pass (coalesce/skip)."""
        if self._task is not None:
            return
        self._unsubscribe = self._events.subscribe(self._on_event, Event)
        rows = await self._io(self._schedules.list)
        persist: list[_Timed] = []
        self._install(rows, origin="start", persist=persist)
        if persist:
            await self._persist_planned(persist)
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
        thread, self._db_thread = self._db_thread, None
        if thread is not None:  # a write in progress commits (or not) before we return
            await asyncio.get_running_loop().run_in_executor(
                None, functools.partial(thread.shutdown, wait=True))

    def load(self, *, origin: str = "start") -> None:
        """(Re)load every schedule from the repository, as at start (synchronously: `start`
        does the same off the loop)."""
        self._install(self._schedules.list(), origin=origin, persist=None)

    def _install(self, rows: Sequence[ScheduledJob], *, origin: str,
                 persist: list[_Timed] | None) -> None:
        self._timed.clear()
        self._heap.clear()
        for job in rows:
            if job.is_active:
                self._add(job, origin=origin, persist=persist)
        self._wake()

    async def _persist_planned(self, entries: list[_Timed]) -> None:
        """Write the next fires planned while loading (schedules saved without one)."""
        def write() -> list[ScheduledJob]:
            return [self._persist_next(e.job, e.next_fire) for e in entries]

        for entry, job in zip(entries, await self._io(write), strict=True):
            if self._timed.get(job.id) is entry:
                entry.job = job

    async def _io(self, fn: Callable[..., T], /, *args: Any) -> T:
        """Run a repository call on the scheduler's database thread."""
        if self._db_thread is None:
            self._db_thread = ThreadPoolExecutor(max_workers=1,
                                                 thread_name_prefix="scheduler-db")
        return await asyncio.get_running_loop().run_in_executor(
            self._db_thread, functools.partial(fn, *args))

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
        if self._jumped():
            self._replan(await self._io(self._schedules.list))
        return await self._fire_due(self._clock.now() if now is None else now)

    def check_clock(self) -> bool:
        """Compare wall and monotonic time; on a jump re-plan every timed schedule from its
        persisted next_run and reset market-trigger state (reading synchronously; the loop
        uses `run_due`, which reads off the loop)."""
        if not self._jumped():
            return False
        self._replan(self._schedules.list())
        return True

    def _jumped(self) -> bool:
        if not self.watch.check():
            return False
        self.jumps_seen += 1
        log.warning("wall clock jumped %+.1f s against monotonic time (sleep/wake or clock "
                    "change): re-planning %d schedules", self.watch.last_jump_seconds,
                    len(self._timed))
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
             previous: _Timed | None | bool = False,
             persist: list[_Timed] | None = None) -> ScheduledJob:
        """Put a schedule in. `previous` is False when loading (trust the persisted
        next_run: what was due while the app was closed is caught up), else the entry the
        scheduler had before this upsert (None: new or resumed). A next fire that differs
        from the stored one is written now, or left in `persist` for the caller to write."""
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
        entry = _Timed(job=job, schedule=schedule, key=key, next_fire=next_fire, version=0,
                       origin=origin)
        # A fire being written moves next_run itself when it commits (see _settle).
        if next_fire != job.next_run and job.id not in self._in_flight:
            if persist is not None:
                persist.append(entry)
            else:
                entry.job = job = self._persist_next(job, next_fire)
        self._timed[job.id] = entry
        self._push(entry, next_fire)
        return job

    def _persist_next(self, job: ScheduledJob, next_fire: datetime) -> ScheduledJob:
        try:
            current = self._schedules.get(job.id)
            return self._schedules.save(replace(current, next_run=next_fire))
        except NotFoundError:
            return replace(job, next_run=next_fire)

    def _replan(self, rows: Sequence[ScheduledJob]) -> None:
        """After a jump: rebuild the heap from the persisted next_run of `rows` (every
        schedule, as the repository lists them)."""
        stored_by_id = {row.id: row for row in rows}
        self._heap.clear()
        for schedule_id in list(self._timed):
            entry = self._timed[schedule_id]
            stored = stored_by_id.get(schedule_id)
            if (stored is None or not stored.is_active
                    or stored.trigger_type not in TIMED_TRIGGERS):
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

    async def _fire_due(self, now: datetime) -> list[QueuedJob]:
        """Plan every due fire on the loop, write them all in one transaction off the loop,
        then move the schedules on and announce the jobs."""
        firings = self._collect(now)
        if not firings:
            return []
        items = [item for firing in firings for item in firing.items]
        self._in_flight.update(f.entry.job.id for f in firings)
        try:
            results = await self._write(items)
        finally:
            self._in_flight.difference_update(f.entry.job.id for f in firings)
        out: list[QueuedJob] = []
        fixes: list[_Timed] = []
        at = 0
        for firing in firings:
            written = results[at:at + len(firing.items)]
            at += len(firing.items)
            failed = any(isinstance(r, BaseException) for r in written)
            self._settle(firing, now, failed, fixes)
            for (new, _), result in zip(firing.items, written, strict=True):
                if not isinstance(result, BaseException):
                    queued = self._announce(new, result)
                    if queued is not None:
                        out.append(queued)
        if fixes:  # schedules re-timed while their fire was being written
            await self._persist_planned(fixes)
        return out

    def _collect(self, now: datetime) -> list[_Firing]:
        out: list[_Firing] = []
        heap, timed, now_us = self._heap, self._timed, _to_us(now)
        while heap and heap[0][0] <= now_us:
            _, schedule_id, version = heapq.heappop(heap)
            entry = timed.get(schedule_id)
            if entry is None or entry.version != version:
                continue
            try:
                out.append(self._plan(entry, now))
            except ScheduleError as exc:  # e.g. a cron that never fires again
                log.error("schedule %d stops: %s", schedule_id, exc)
                del timed[schedule_id]
            except Exception:
                log.exception("schedule %d could not be fired; retrying in %s s",
                              schedule_id, _RETRY_AFTER_ERROR.total_seconds())
                self._push(entry, now + _RETRY_AFTER_ERROR)
        return out

    async def _write(self, items: list[_Item]) -> list[QueuedJob | None | BaseException]:
        try:
            return list(await self._io(self._queue.enqueue_many, items))
        except Exception as exc:
            if len(items) == 1:
                log.error("enqueueing %s failed: %s", items[0][0].idempotency_key, exc)
                return [exc]
            log.warning("writing %d fires in one transaction failed (%s); writing them one "
                        "by one", len(items), exc)
            return await self._io(self._enqueue_each, items)

    def _enqueue_each(self, items: list[_Item]) -> list[QueuedJob | None | BaseException]:
        out: list[QueuedJob | None | BaseException] = []
        for new, advance in items:
            try:
                out.append(self._queue.enqueue(new, advance=advance))
            except Exception as exc:
                log.error("enqueueing %s failed: %s", new.idempotency_key, exc)
                out.append(exc)
        return out

    def _settle(self, firing: _Firing, now: datetime, failed: bool,
                fixes: list[_Timed]) -> None:
        """After the write: move the schedule on (or retry it), unless it was removed or
        re-timed meanwhile. An edit that kept the timing left a new entry at the same due
        time: that one moves on instead."""
        schedule_id = firing.entry.job.id
        current = self._timed.get(schedule_id)
        if current is None:
            return
        same = current is firing.entry or (current.key == firing.entry.key
                                           and current.next_fire == firing.due)
        if not same:
            fixes.append(current)  # our advance overwrote its planned next_run
            return
        if failed:
            log.warning("schedule %d: its fire at %s is tried again in %s s", schedule_id,
                        iso_utc(firing.due), _RETRY_AFTER_ERROR.total_seconds())
            self._push(current, now + _RETRY_AFTER_ERROR)
            return
        current.next_fire, current.origin = firing.next_fire, None
        self._push(current, firing.next_fire)

    def _plan(self, entry: _Timed, now: datetime) -> _Firing:
        due, schedule, job = entry.next_fire, _schedule(entry), entry.job
        following = schedule.next_fire(due)
        late = (now - due).total_seconds()
        if following > now and late <= self._on_time:
            advance = ScheduleAdvance(schedule_id=job.id, next_run=following, last_run=now)
            return _Firing(entry=entry, due=due, next_fire=following,
                           items=[(self._run_job(job, due, now), advance)])
        return self._catch_up(entry, now)

    def _catch_up(self, entry: _Timed, now: datetime) -> _Firing:
        job = entry.job
        plan = plan_catch_up(_schedule(entry), entry.next_fire, now,
                             job.misfire_grace_seconds, job.misfire_policy)
        advance = ScheduleAdvance(schedule_id=job.id, next_run=plan.next_fire, last_run=now)
        items: list[_Item] = []
        if plan.missed_count > 0:
            missed = self._missed_job(job, plan.missed, plan.missed_count,
                                      plan.missed_count_exact, now, entry.origin,
                                      ran=plan.nominal is not None)
            items.append((missed, None if plan.nominal is not None else advance))
        if plan.nominal is not None:
            run = self._run_job(job, plan.nominal, now,
                                extra={"catch_up": True, "missed": plan.missed_count})
            items.append((run, advance))
        return _Firing(entry=entry, due=entry.next_fire, next_fire=plan.next_fire,
                       items=items)

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

    def _announce(self, new: NewJob, queued: QueuedJob | None) -> QueuedJob | None:
        """Publish what an enqueue did (after its commit)."""
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
        # Still written on the loop: MarketTriggers calls this synchronously and uses the
        # answer; taking it off the loop needs an async fire callback there.
        queued = self._queue.enqueue(new, advance=advance,
                                     dedupe_window_seconds=EVENT_DEDUPE_SECONDS)
        return self._announce(new, queued)

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
