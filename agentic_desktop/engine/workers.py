"""The worker pool: takes jobs from the durable queue and runs them (DESIGN.md §6).

One dispatcher task claims due jobs while a slot is free (`workers` slots) and starts one task
per job. Claims are leased; a running job heartbeats every lease/3. Every database call goes
through `asyncio.to_thread`, so SQLite never blocks the loop.

Delivery is at-least-once: a job whose worker died is found by its expired lease (at start and
every `lease_seconds` after) and runs again with the same idempotency key, so the orders it
already placed are found, not placed twice.

Outcomes:

- completed → completed.
- failed with a retryable or internal error, or timed out → `retrying` after 1 s, 5 s, 15 s
  (scheduled_at moves; the dispatcher claims it when due), then failed / timed_out for good.
- failed with a user error, or invalid before it started → failed, never retried.
- cancelled by the user → cancelled, never retried.
- memory limit → the run is cancelled and the job fails with the reason, never retried.
- the workflow was deleted → failed with that reason.
- shutdown after the grace period → the run is cancelled and its lease released (pending), so
  the next start runs it again.

A scheduled job's *final* outcome is counted once on its schedule (`record_outcome`); a rejected
job (daily limit) never ran and a cancelled one was the user's choice, so neither counts.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import Callable, Coroutine
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.jobs import Limits, QueuedJob
from agentic_desktop.domain.runs import ExecutionResult
from agentic_desktop.domain.trading import Notification
from agentic_desktop.engine import limits as lim
from agentic_desktop.engine.events import (
    Event,
    EventBus,
    JobFinished,
    JobStarted,
    LimitHit,
    RunStarted,
    ScheduleChanged,
    SchedulePaused,
)
from agentic_desktop.engine.executor import FAIL_ON_CANCEL, Executor
from agentic_desktop.engine.ports import (
    Clock,
    JobQueueRepository,
    Notifier,
    ScheduleRepository,
    WorkflowRepository,
)

log = logging.getLogger(__name__)
_COUNTED = frozenset({"completed", "failed", "timed_out"})  # final outcomes a schedule counts


@dataclass(eq=False)
class _Run:
    job: QueuedJob
    stop: str | None = None  # why the pool cancelled the run: "user", "memory", "shutdown"
    memory_used_mb: float = 0.0
    execution_id: int | None = None
    run_task: asyncio.Task[ExecutionResult] | None = None
    task: asyncio.Task[None] | None = None


class WorkerPool:
    def __init__(
        self, *, queue: JobQueueRepository, schedules: ScheduleRepository,
        workflows: WorkflowRepository, executor: Executor, clock: Clock, events: EventBus,
        notifier: Notifier, limits: Limits | Callable[[], Limits],
        user_timezone: Callable[[], str], workers: int = 10, lease_seconds: float = 30.0,
        poll_seconds: float = 1.0,
    ) -> None:
        if workers < 1 or lease_seconds <= 0 or poll_seconds <= 0:
            raise ValueError("workers must be >= 1, lease_seconds and poll_seconds > 0")
        self._queue, self._schedules, self._workflows = queue, schedules, workflows
        self._executor, self._clock, self._events = executor, clock, events
        self._notifier = notifier
        self._limits = lim.resolve_limits(limits)
        self._user_timezone = user_timezone
        self._workers, self._lease, self._poll = workers, lease_seconds, poll_seconds
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._running: dict[int, _Run] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake_event: asyncio.Event | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._stopping = False
        self._background: set[asyncio.Task[Any]] = set()
        self._notified_day: dict[int, date] = {}  # daily-limit notification, once per day
        self._waiting_on_limit = False
        self._unsubscribe: Callable[[], None] | None = None

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        if self._dispatcher is not None:
            raise RuntimeError("the worker pool is already running")
        self._loop = asyncio.get_running_loop()
        self._wake_event = asyncio.Event()
        self._stopping = False
        recovered = await asyncio.to_thread(self._queue.recover_expired, now=self._clock.now())
        if recovered:
            log.warning("re-running %d job(s) whose worker stopped: %s", len(recovered),
                        ", ".join(str(j.id) for j in recovered))
        self._unsubscribe = self._events.subscribe(self._on_event, RunStarted)
        self._dispatcher = asyncio.create_task(self._dispatch(), name="worker-pool")

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop claiming; let running jobs finish within the grace period; then cancel them
        and release their leases (back to pending: the next start runs them again)."""
        if self._dispatcher is None:
            return
        self._stopping = True
        self.wake()
        with suppress(Exception):
            await self._dispatcher
        tasks = [r.task for r in self._running.values() if r.task is not None]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=max(0.0, grace_seconds))
            if late:
                log.warning("stopping: %d job(s) still running after %g s; releasing them",
                            len(late), grace_seconds)
                for run in list(self._running.values()):
                    run.stop = run.stop or "shutdown"
                    if run.run_task is not None:
                        run.run_task.cancel()
                _, stuck = await asyncio.wait(late, timeout=max(5.0, self._lease / 3))
                for task in stuck:  # leases expire; the next start recovers them
                    task.cancel()
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._background:
            await asyncio.wait(list(self._background), timeout=2.0)
        self._dispatcher = None

    def wake(self) -> None:
        """A job was enqueued: claim now instead of at the next poll. Safe from any thread."""
        loop, event = self._loop, self._wake_event
        if loop is None or event is None or loop.is_closed():
            return
        try:
            same_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            event.set()
        else:
            loop.call_soon_threadsafe(event.set)

    def cancel_running(self, job_id: int) -> bool:
        """Cancel a job this pool is running. It ends `cancelled` and is never retried.
        False when the pool does not hold the job."""
        run = self._running.get(job_id)
        if run is None or run.stop is not None:
            return False
        run.stop = "user"
        if run.run_task is not None:
            run.run_task.cancel()
        return True

    def running_jobs(self) -> list[int]:
        return sorted(self._running)

    # -- claiming -----------------------------------------------------------------------------

    async def _dispatch(self) -> None:
        assert self._loop is not None and self._wake_event is not None
        next_reap = self._loop.time() + self._lease
        while not self._stopping:
            self._wake_event.clear()
            try:
                await self._fill()
                if self._loop.time() >= next_reap:
                    next_reap = self._loop.time() + self._lease
                    await self._reap()
            except Exception:
                log.exception("worker pool: claiming failed; trying again in %g s", self._poll)
            if self._stopping:
                break
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake_event.wait(), self._poll)

    async def _fill(self) -> None:
        while not self._stopping:
            limits = self._limits()
            now = self._clock.now()
            if len(self._running) >= self._workers:
                await self._note_waiting(limits, now)
                return
            day = lim.user_day(now, self._user_timezone())
            claimed = await asyncio.to_thread(self._claim, now, limits, day.start_utc)
            if claimed is None:
                await self._note_waiting(limits, now)
                return
            job, runs_today = claimed
            if runs_today > limits.max_runs_per_day:
                await self._reject(job, limits, day)
                continue
            run = _Run(job=job)
            self._running[job.id] = run
            run.task = asyncio.create_task(self._handle(run), name=f"job-{job.id}")

    def _claim(self, now: datetime, limits: Limits,
               day_start: datetime) -> tuple[QueuedJob, int] | None:
        job = self._queue.claim(worker=self.worker_id, now=now, lease_seconds=self._lease,
                                max_running_per_user=limits.max_concurrent_per_user)
        if job is None:
            return None
        # Counts this job too: the (limit+1)-th run of the day is the first one over it.
        return job, self._queue.started_since(user_id=job.user_id, since=day_start)

    async def _note_waiting(self, limits: Limits, now: datetime) -> None:
        """Publish a concurrency LimitHit when due work waits for a slot (once per episode)."""
        per_user = Counter(r.job.user_id for r in self._running.values())
        full = (len(self._running) >= self._workers
                or any(n >= limits.max_concurrent_per_user for n in per_user.values()))
        if not full:
            self._waiting_on_limit = False
            return
        if self._waiting_on_limit:
            return
        due = await asyncio.to_thread(self._queue.next_due)
        if due is None or due > now:
            return
        self._waiting_on_limit = True
        limit = min(self._workers, limits.max_concurrent_per_user)
        reason = (f"concurrency limit of {limit} running jobs reached: due jobs wait for a "
                  "free slot")
        log.info(reason)
        self._events.publish(LimitHit(time=now, limit="concurrency", reason=reason))

    async def _reject(self, job: QueuedJob, limits: Limits, day: lim.UserDay) -> None:
        reason = lim.daily_limit_reason(limits.max_runs_per_day, day)
        now = self._clock.now()
        await asyncio.to_thread(self._queue.finish, job.id, status="rejected", now=now,
                                outcome_reason=reason)
        log.warning("job %d rejected: %s", job.id, reason)
        self._events.publish(LimitHit(time=now, limit="daily_runs", reason=reason,
                                      job_id=job.id, schedule_id=job.scheduled_job_id))
        self._events.publish(JobFinished(time=now, job_id=job.id, workflow_id=job.workflow_id,
                                         status="rejected", error=reason,
                                         scheduled_job_id=job.scheduled_job_id))
        if self._notified_day.get(job.user_id) != day.local_date:
            self._notified_day[job.user_id] = day.local_date
            self._notify(Notification(
                title="Daily run limit reached",
                message=f"{reason}: job {job.id} and later runs today are rejected",
                level="warning"))

    async def _reap(self) -> None:
        """Recover jobs whose worker died while this pool runs (e.g. a restart within the
        lease). Our own jobs are heartbeaten first, so they are never taken from us."""
        ids = list(self._running)
        now = self._clock.now()

        def reap() -> list[QueuedJob]:
            for job_id in ids:
                self._queue.heartbeat(job_id, worker=self.worker_id,
                                      lease_until=now + timedelta(seconds=self._lease))
            return self._queue.recover_expired(now=now)

        recovered = await asyncio.to_thread(reap)
        if recovered:
            log.warning("re-running %d job(s) whose lease expired", len(recovered))

    # -- running one job ------------------------------------------------------------------

    async def _handle(self, run: _Run) -> None:
        job = run.job
        self._events.publish(JobStarted(time=self._clock.now(), job_id=job.id,
                                        workflow_id=job.workflow_id, attempt=job.attempt))
        heartbeat = asyncio.create_task(self._heartbeat(job.id))
        outcome: lim.Outcome | None
        try:
            outcome = await self._execute(run)
        except Exception as exc:  # a bug here must not kill the pool or lose the job
            log.exception("job %d: running it failed", job.id)
            outcome = lim.Outcome(status="failed", error=f"internal error: {exc}",
                                  retryable=True, execution_id=run.execution_id)
        finally:
            heartbeat.cancel()
            with suppress(asyncio.CancelledError):
                await heartbeat
        try:
            if outcome is None:
                await self._release(job)
            else:
                await self._settle(run, outcome)
        except Exception:
            log.exception("job %d: recording its outcome failed; its lease will expire and "
                          "it will run again", job.id)
        finally:
            self._running.pop(job.id, None)
            self.wake()  # a slot is free

    async def _execute(self, run: _Run) -> lim.Outcome | None:
        job, limits = run.job, self._limits()
        try:
            stored = await asyncio.to_thread(self._workflows.get, job.workflow_id)
        except NotFoundError:
            reason = (f"workflow {job.workflow_id} no longer exists (deleted after the job was "
                      "queued): nothing to run")
            return lim.Outcome(status="failed", error=reason, reason=reason)
        except UserError as exc:  # stored but unreadable: a retry would read the same thing
            return lim.Outcome(status="failed", error=str(exc),
                               reason="not retried: the workflow needs a fix")
        if run.stop is not None:
            return self._stopped(run, limits)
        run.run_task = asyncio.create_task(self._executor.run(
            stored.workflow, workflow_id=job.workflow_id, idempotency_key=job.idempotency_key,
            payload=job.payload, trigger=job.trigger_type, timeout=limits.timeout_seconds,
            job_id=job.id))
        watcher = asyncio.create_task(
            lim.watch_memory(limits.memory_mb, lambda used: self._over_memory(run, used)))
        try:
            result = await run.run_task
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # the pool itself is being torn down
            return self._stopped(run, limits)
        except UserError as exc:  # invalid before it started (ValidationError): not retried
            return lim.Outcome(status="failed", error=str(exc),
                               reason="not retried: the workflow needs a fix")
        finally:
            watcher.cancel()
            with suppress(asyncio.CancelledError):
                await watcher
        return lim.outcome_of(result, limits)

    def _over_memory(self, run: _Run, used_mb: float) -> None:
        if run.stop is None and run.run_task is not None and not run.run_task.done():
            run.stop, run.memory_used_mb = "memory", used_mb
            reason = lim.memory_reason(self._limits().memory_mb, used_mb)
            run.run_task.cancel(FAIL_ON_CANCEL + reason)

    def _stopped(self, run: _Run, limits: Limits) -> lim.Outcome | None:
        if run.stop == "memory":
            reason = lim.memory_reason(limits.memory_mb, run.memory_used_mb)
            return lim.Outcome(status="failed", error=reason, reason=reason, limit="memory",
                               execution_id=run.execution_id)
        if run.stop == "user":
            return lim.Outcome(status="cancelled", error="run was cancelled",
                               reason="cancelled by the user", execution_id=run.execution_id)
        return None  # shutdown: release

    async def _heartbeat(self, job_id: int) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            try:
                held = await asyncio.to_thread(
                    self._queue.heartbeat, job_id, worker=self.worker_id,
                    lease_until=self._clock.now() + timedelta(seconds=self._lease))
                if not held:
                    log.warning("job %d: lease lost (the job is no longer ours)", job_id)
            except Exception:
                log.exception("job %d: heartbeat failed", job_id)

    async def _release(self, job: QueuedJob) -> None:
        """Shutdown: put only this job back to pending (never anyone else's lease)."""
        released = await asyncio.to_thread(self._queue.release, job.id, worker=self.worker_id)
        if released.status == "pending":
            log.info("job %d released at shutdown; it runs again at the next start", job.id)
        else:
            log.warning("job %d was no longer ours to release (now %s)", job.id,
                        released.status)

    # -- outcomes ---------------------------------------------------------------------------

    async def _settle(self, run: _Run, outcome: lim.Outcome) -> None:
        job, now = run.job, self._clock.now()
        if outcome.limit is not None:
            self._events.publish(LimitHit(time=now, limit=outcome.limit,
                                          reason=outcome.reason or "", job_id=job.id,
                                          schedule_id=job.scheduled_job_id))
        reason = outcome.reason
        if outcome.retryable:
            delay = lim.retry_delay(job.retry_count, job.max_retries)
            if delay is not None:
                await asyncio.to_thread(
                    self._queue.schedule_retry, job.id, at=now + timedelta(seconds=delay),
                    error=outcome.error or outcome.status, execution_id=outcome.execution_id)
                self._finished(job, "retrying", outcome)
                return
            gave_up = f"gave up after {job.retry_count} retries"
            reason = f"{reason}; {gave_up}" if reason else gave_up
        await asyncio.to_thread(self._queue.finish, job.id, status=outcome.status, now=now,
                                error=outcome.error, execution_id=outcome.execution_id,
                                outcome_reason=reason)
        if job.scheduled_job_id is not None and outcome.status in _COUNTED:
            try:
                await self._count_on_schedule(job, job.scheduled_job_id, outcome)
            except Exception:  # the job's outcome is recorded; never lose it over this
                log.exception("job %d: counting its outcome on schedule %d failed", job.id,
                              job.scheduled_job_id)
        self._finished(job, outcome.status, outcome)  # listeners see the schedule updated

    def _finished(self, job: QueuedJob, status: str, outcome: lim.Outcome) -> None:
        self._events.publish(JobFinished(
            time=self._clock.now(), job_id=job.id, workflow_id=job.workflow_id, status=status,
            error=outcome.error, execution_id=outcome.execution_id,
            scheduled_job_id=job.scheduled_job_id))

    async def _count_on_schedule(self, job: QueuedJob, schedule_id: int,
                                 outcome: lim.Outcome) -> None:
        pause_after = self._limits().failures_before_pause
        now = self._clock.now()
        try:
            schedule = await asyncio.to_thread(
                self._schedules.record_outcome, schedule_id,
                success=outcome.status == "completed", status=outcome.status, at=now,
                pause_after=pause_after)
        except NotFoundError:
            return  # deleted meanwhile
        paused_now = (not schedule.is_active and schedule.consecutive_failures == pause_after
                      and (schedule.paused_reason or "").startswith("paused after"))
        if not paused_now:
            return
        message = lim.paused_message(schedule_id, schedule.consecutive_failures, outcome.error)
        log.warning(message)
        reason = schedule.paused_reason or message
        self._events.publish(SchedulePaused(time=now, schedule_id=schedule_id, reason=reason))
        self._events.publish(ScheduleChanged(time=now, schedule_id=schedule_id,
                                             change="paused"))
        self._events.publish(LimitHit(time=now, limit="failures", reason=message,
                                      job_id=job.id, schedule_id=schedule_id))
        self._notify(Notification(title="Schedule paused", message=message, level="warning"))

    # -- plumbing -------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        # The executor announces the execution id at start; a run cancelled later (by the
        # user, the memory limit or shutdown) returns no result to read it from.
        if isinstance(event, RunStarted) and event.job_id is not None:
            run = self._running.get(event.job_id)
            if run is not None:
                run.execution_id = event.execution_id

    def _notify(self, notification: Notification) -> None:
        self._spawn(self._notifier.notify(notification))

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(_forget(self._background))


def _forget(tasks: set[asyncio.Task[Any]]) -> Callable[[asyncio.Task[Any]], None]:
    def done(task: asyncio.Task[Any]) -> None:
        tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())
    return done
