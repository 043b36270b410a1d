"""Scheduling use cases behind the local API and the GUI (DESIGN.md §5-§7).

Every method validates everything before it writes, so a rejected request writes nothing:
bad input raises `InvalidInput` (field-located, for a 422), a missing thing `NotFoundError`,
a request the current state forbids a plain `UserError` (409), a wrong webhook secret
`WebhookAuthError` (401).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets as pysecrets
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agentic_desktop.domain import workflow as wf
from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.jobs import Limits, QueuedJob, QueueStatus, ScheduledJob
from agentic_desktop.domain.runs import ExecutionResult
from agentic_desktop.domain.schedule import CronSchedule, IntervalSchedule, Schedule, ScheduleError
from agentic_desktop.engine.events import EventBus, JobQueued, ScheduleChanged, WebhookRejected
from agentic_desktop.engine.ports import (
    Clock,
    ExecutionRepository,
    JobQueueRepository,
    NewJob,
    NewSchedule,
    ScheduleRepository,
    SecretStore,
    StoredWorkflow,
    WorkflowRepository,
)
from agentic_desktop.engine.schemas import (
    FieldProblem,
    InvalidInput,
    PreviewRequest,
    ScheduleCreate,
    ScheduleUpdate,
    TriggerContext,
    WorkflowCreate,
    check_trigger_config,
    field_error,
)

log = logging.getLogger(__name__)

WEBHOOK_DEDUPE_SECONDS = 86_400.0
WEBHOOK_SECRET_PREFIX = "webhook:"  # noqa: S105 - a key prefix, not a secret
_UNTIMED = frozenset({"price", "indicator", "webhook", "manual"})
_MAX_KEY = 100


class SchedulerControl(Protocol):
    """What the use cases need of engine/scheduler.py's Scheduler."""

    def upsert(self, schedule: ScheduledJob) -> ScheduledJob | None:
        """Returns the schedule as persisted (timed ones with their next_run), or None."""
        ...

    def remove(self, schedule_id: int) -> None: ...


class WorkerControl(Protocol):
    """What the use cases need of engine/workers.py's WorkerPool."""

    def wake(self) -> None: ...

    def cancel_running(self, job_id: int) -> bool: ...


class WebhookAuthError(UserError):
    """A webhook delivery without the right secret (the message never contains a secret)."""


@dataclass(frozen=True, kw_only=True)
class SavedSchedule:
    schedule: ScheduledJob
    webhook_secret: str | None = None  # set only when this call generated it


@dataclass(frozen=True, kw_only=True)
class CancelOutcome:
    job: QueuedJob
    cancel_requested: bool = False  # True: the job was running and its worker was told to stop


@dataclass(frozen=True, kw_only=True)
class WebhookDelivery:
    job: QueuedJob | None
    duplicate: bool


@dataclass(frozen=True, kw_only=True)
class Preview:
    fire_times: list[datetime]
    description: str


def machine_timezone() -> str:
    """The machine's IANA zone name ($TZ, /etc/timezone, the /etc/localtime link), else UTC."""
    candidates: list[str] = [os.environ.get("TZ", "").lstrip(":")]
    try:
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except OSError:
        pass
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if name and _zone_ok(name):
            return name
    return "UTC"


def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def describe_trigger(trigger_type: str, config: dict[str, Any], schedule: Schedule | None) -> str:
    if schedule is not None:
        return schedule.describe()
    if trigger_type == "price":
        every = config.get("check_interval")
        tail = f", checked every {every:g} s" if isinstance(every, int | float) else ""
        return f"When {config.get('symbol')} {config.get('condition')}{tail}"
    if trigger_type == "indicator":
        return (f"When {config.get('condition')} on {config.get('symbol')} "
                f"{config.get('timeframe')} ({config.get('indicator')}), on closed bars")
    if trigger_type == "webhook":
        return "When its webhook URL receives a delivery"
    return "Only when started by hand"


class SchedulingService:
    """Schedules, the queue, manual runs, previews and webhook deliveries."""

    def __init__(
        self, *, schedules: ScheduleRepository, queue: JobQueueRepository,
        workflows: WorkflowRepository, executions: ExecutionRepository, secrets: SecretStore,
        clock: Clock, events: EventBus, scheduler: SchedulerControl, workers: WorkerControl,
        symbols: Callable[[], Iterable[str]] | None = None,
        default_timezone: Callable[[], str] = machine_timezone,
        limits: Callable[[], Limits] = Limits,
        catalog: wf.SpecLookup | None = None, user_id: int = 1,
    ) -> None:
        self._schedules = schedules
        self._queue = queue
        self._workflows = workflows
        self._executions = executions
        self._secrets = secrets
        self._clock = clock
        self._events = events
        self._scheduler = scheduler
        self._workers = workers
        self._symbols = symbols
        self._default_timezone = default_timezone
        self._limits = limits
        self._user_id = user_id
        self.workflow_cases = WorkflowCases(workflows=workflows, schedules=schedules,
                                            catalog=catalog, symbols=symbols)

    # -- checking -------------------------------------------------------------------------

    def trigger_context(self) -> TriggerContext:
        symbols = frozenset(self._symbols()) if self._symbols is not None else None
        zone = self._default_timezone()
        return TriggerContext(now=self._clock.now(), default_timezone=zone if _zone_ok(zone)
                              else "UTC", symbols=symbols)

    def check_schedule(self, request: ScheduleCreate) -> NewSchedule:
        """The schedule `request` would create, or InvalidInput. Writes nothing (the GUI's
        dialog calls this to show errors before saving)."""
        context = self.trigger_context()
        problems: list[FieldProblem] = []
        self._check_workflow(request.workflow_id, problems)
        config = self._check_config(request.trigger_type, request.trigger_config, context,
                                    problems)
        if problems:
            raise InvalidInput(problems)
        next_run = (self._next_run(request.trigger_type, config, context.now, context.now)
                    if request.is_active else None)
        return NewSchedule(
            workflow_id=request.workflow_id, trigger_type=request.trigger_type,
            trigger_config=config, created_at=context.now, is_active=request.is_active,
            user_id=self._user_id, name=request.name, priority=request.priority,
            max_retries=request.max_retries, misfire_policy=request.misfire_policy,
            misfire_grace_seconds=request.misfire_grace_seconds,
            timezone=config.get("timezone") if request.trigger_type == "cron" else None,
            next_run=next_run,
        )

    def _check_workflow(self, workflow_id: int, problems: list[FieldProblem]) -> None:
        try:
            self._workflows.get(workflow_id)
        except NotFoundError:
            problems.append(FieldProblem(("workflow_id",), f"workflow {workflow_id} does not "
                                         "exist: list them with GET /api/agentic/workflows"))

    def _check_config(self, trigger_type: str, config: dict[str, Any], context: TriggerContext,
                      problems: list[FieldProblem]) -> dict[str, Any]:
        try:
            return check_trigger_config(trigger_type, config, context)
        except InvalidInput as exc:
            problems.extend(exc.problems)
            return config

    def _schedule_of(self, trigger_type: str, config: dict[str, Any],
                     anchor: datetime) -> Schedule | None:
        if trigger_type == "cron":
            return CronSchedule.parse(str(config["cron_expression"]), str(config["timezone"]))
        if trigger_type == "time":
            pinned = config.get("anchor")
            start = datetime.fromisoformat(pinned) if isinstance(pinned, str) else anchor
            return IntervalSchedule.from_config(
                {k: v for k, v in config.items() if k != "anchor"}, anchor=start)
        return None

    def _next_run(self, trigger_type: str, config: dict[str, Any], anchor: datetime,
                  now: datetime) -> datetime | None:
        if trigger_type in _UNTIMED:
            return None
        key = "cron_expression" if trigger_type == "cron" else "interval_minutes"
        try:
            schedule = self._schedule_of(trigger_type, config, anchor)
            return schedule.next_fire(now) if schedule is not None else None
        except ScheduleError as exc:
            raise field_error(("trigger_config", exc.field), exc.reason) from None
        except (ValueError, OverflowError, StopIteration, KeyError):
            raise field_error(("trigger_config", key),
                              "never fires: check the day and month fields") from None

    # -- schedules ------------------------------------------------------------------------

    def create_schedule(self, request: ScheduleCreate) -> SavedSchedule:
        new = self.check_schedule(request)
        secret = None
        if new.trigger_type == "webhook":
            hook_id = pysecrets.token_urlsafe(16)
            secret = pysecrets.token_urlsafe(32)
            new = replace(new, hook_id=hook_id)
            self._secrets.set(WEBHOOK_SECRET_PREFIX + hook_id, secret)
        try:
            schedule = self._schedules.add(new)
        except BaseException:
            if new.hook_id is not None:
                self._secrets.delete(WEBHOOK_SECRET_PREFIX + new.hook_id)
            raise
        schedule = self._changed(schedule, "created")
        return SavedSchedule(schedule=schedule, webhook_secret=secret)

    def get_schedule(self, schedule_id: int) -> ScheduledJob:
        return self._schedules.get(schedule_id)

    def list_schedules(self, *, workflow_id: int | None = None) -> list[ScheduledJob]:
        return self._schedules.list(workflow_id=workflow_id)

    def describe(self, schedule: ScheduledJob) -> str:
        """Plain English for the GUI and the API ("Every day at 09:00 (UTC)")."""
        try:
            timed = self._schedule_of(schedule.trigger_type, schedule.trigger_config,
                                      schedule.created_at)
        except (UserError, ValueError, KeyError):
            timed = None
        return describe_trigger(schedule.trigger_type, schedule.trigger_config, timed)

    def update_schedule(self, schedule_id: int, request: ScheduleUpdate) -> SavedSchedule:
        current = self._schedules.get(schedule_id)
        given = request.model_dump(exclude_none=True)
        context = self.trigger_context()
        problems: list[FieldProblem] = []
        trigger_type = given.get("trigger_type", current.trigger_type)
        type_changed = trigger_type != current.trigger_type
        if type_changed and "trigger_config" not in given and trigger_type not in (
                "webhook", "manual"):
            problems.append(FieldProblem(("trigger_config",),
                                         f"is required when trigger_type changes to "
                                         f"{trigger_type!r}"))
        if "workflow_id" in given:
            self._check_workflow(given["workflow_id"], problems)
        config = current.trigger_config
        if "trigger_config" in given or type_changed:
            config = self._check_config(trigger_type, given.get("trigger_config", {}), context,
                                        problems)
        if problems:
            raise InvalidInput(problems)
        active = given.get("is_active", current.is_active)
        timing_changed = type_changed or config != current.trigger_config
        next_run = current.next_run if active else None
        if active and (timing_changed or not current.is_active):
            next_run = self._next_run(trigger_type, config, current.created_at, context.now)
        hook_id, secret = current.hook_id, None
        if trigger_type == "webhook" and hook_id is None:
            hook_id, secret = pysecrets.token_urlsafe(16), pysecrets.token_urlsafe(32)
        elif trigger_type != "webhook":
            hook_id = None
        updated = replace(
            current,
            workflow_id=given.get("workflow_id", current.workflow_id),
            trigger_type=trigger_type, trigger_config=config, is_active=active,
            name=given.get("name", current.name),
            priority=given.get("priority", current.priority),
            max_retries=given.get("max_retries", current.max_retries),
            misfire_policy=given.get("misfire_policy", current.misfire_policy),
            misfire_grace_seconds=given.get("misfire_grace_seconds",
                                            current.misfire_grace_seconds),
            timezone=config.get("timezone") if trigger_type == "cron" else None,
            next_run=next_run, hook_id=hook_id,
            paused_reason=None if active else current.paused_reason,
            consecutive_failures=0 if active and not current.is_active
            else current.consecutive_failures,
        )
        if secret is not None and hook_id is not None:
            self._secrets.set(WEBHOOK_SECRET_PREFIX + hook_id, secret)
        try:
            saved = self._schedules.save(updated)
        except BaseException:
            if secret is not None and hook_id is not None:
                self._secrets.delete(WEBHOOK_SECRET_PREFIX + hook_id)
            raise
        if current.hook_id is not None and current.hook_id != hook_id:
            self._secrets.delete(WEBHOOK_SECRET_PREFIX + current.hook_id)
        change = "updated"
        if active != current.is_active:
            change = "resumed" if active else "paused"
        saved = self._changed(saved, change)
        return SavedSchedule(schedule=saved, webhook_secret=secret)

    def delete_schedule(self, schedule_id: int) -> None:
        current = self._schedules.get(schedule_id)
        self._schedules.delete(schedule_id)
        if current.hook_id is not None:
            self._secrets.delete(WEBHOOK_SECRET_PREFIX + current.hook_id)
        self._scheduler.remove(schedule_id)
        self._events.publish(ScheduleChanged(time=self._clock.now(), schedule_id=schedule_id,
                                             change="deleted"))

    def toggle_schedule(self, schedule_id: int, active: bool | None = None) -> ScheduledJob:
        """Pause or resume (flip when `active` is None). Resuming starts from now: runs
        missed while paused are not caught up."""
        current = self._schedules.get(schedule_id)
        active = (not current.is_active) if active is None else active
        now = self._clock.now()
        if active:
            updated = replace(current, is_active=True, paused_reason=None,
                              consecutive_failures=0,
                              next_run=self._next_run(current.trigger_type,
                                                      current.trigger_config,
                                                      current.created_at, now))
        else:
            updated = replace(current, is_active=False, next_run=None,
                              paused_reason=current.paused_reason or "paused by the user")
        saved = self._schedules.save(updated)
        return self._changed(saved, "resumed" if active else "paused")

    def webhook_secret(self, schedule_id: int) -> str | None:
        """The secret of a webhook schedule (for the GUI's "copy URL" panel)."""
        schedule = self._schedules.get(schedule_id)
        if schedule.hook_id is None:
            return None
        return self._secrets.get(WEBHOOK_SECRET_PREFIX + schedule.hook_id)

    def _changed(self, schedule: ScheduledJob, change: str) -> ScheduledJob:
        persisted = self._scheduler.upsert(schedule)
        self._events.publish(ScheduleChanged(time=self._clock.now(), schedule_id=schedule.id,
                                             change=change))
        return persisted if persisted is not None else schedule

    # -- queue ----------------------------------------------------------------------------

    def history(self, schedule_id: int, *, limit: int = 100, offset: int = 0) -> list[QueuedJob]:
        self._schedules.get(schedule_id)
        return self._queue.list(scheduled_job_id=schedule_id, limit=limit, offset=offset)

    def queue_status(self) -> QueueStatus:
        now = self._clock.now()
        zone_name = self._default_timezone()
        zone = ZoneInfo(zone_name) if _zone_ok(zone_name) else ZoneInfo("UTC")
        local = now.astimezone(zone)
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
        return self._queue.status(now=now, day_start=day_start,
                                  max_runs_per_day=self._limits().max_runs_per_day,
                                  user_id=self._user_id)

    def pending(self, *, limit: int = 100, offset: int = 0) -> list[QueuedJob]:
        return self._queue.list(statuses=("pending", "retrying"), limit=limit, offset=offset)

    def jobs(self, *, statuses: Sequence[str] | None = None, workflow_id: int | None = None,
             limit: int = 200, offset: int = 0) -> list[QueuedJob]:
        """Jobs in any state, newest first (the queue monitor's initial load and backfill)."""
        return self._queue.list(statuses=statuses, workflow_id=workflow_id, limit=limit,
                                offset=offset)

    def get_job(self, job_id: int) -> QueuedJob:
        return self._queue.get(job_id)

    def cancel_job(self, job_id: int) -> CancelOutcome:
        job = self._queue.get(job_id)
        now = self._clock.now()
        if job.status in ("pending", "retrying"):
            try:
                return CancelOutcome(job=self._queue.cancel(job_id, now=now,
                                                            reason="cancelled by the user"))
            except UserError:
                job = self._queue.get(job_id)  # claimed meanwhile: cancel it as running
        if job.status == "running":
            if self._workers.cancel_running(job_id):
                return CancelOutcome(job=self._queue.get(job_id), cancel_requested=True)
            job = self._queue.get(job_id)
            if job.status == "running":
                raise UserError(f"job {job_id} is running but no worker holds it (its lease "
                                "will expire and it will be recovered): try again shortly")
        raise UserError(f"job {job_id} is {job.status}: only a pending, retrying or running "
                        "job can be cancelled")

    def retry_job(self, job_id: int) -> QueuedJob:
        job = self._queue.retry(job_id, now=self._clock.now())
        self._queued(job)
        return job

    def run_now(self, *, schedule_id: int | None = None, workflow_id: int | None = None,
                payload: dict[str, Any] | None = None) -> QueuedJob:
        """A manual run: enqueue now (idempotency key manual:<uuid>)."""
        priority, max_retries = 0, 3
        if schedule_id is not None:
            schedule = self._schedules.get(schedule_id)
            workflow_id = schedule.workflow_id
            priority, max_retries = schedule.priority, schedule.max_retries
        if workflow_id is None:
            raise UserError("run_now needs a schedule_id or a workflow_id")
        self._workflows.get(workflow_id)
        now = self._clock.now()
        job = self._queue.enqueue(NewJob(
            workflow_id=workflow_id, scheduled_at=now, created_at=now,
            idempotency_key=f"manual:{uuid.uuid4()}", scheduled_job_id=schedule_id,
            user_id=self._user_id, priority=priority, max_retries=max_retries,
            trigger_type="manual", payload=_json_safe(payload or {}),
        ))
        if job is None:  # a fresh uuid never collides; the store said otherwise
            raise UserError("the run was not queued (duplicate key): try again")
        self._queued(job)
        return job

    def _queued(self, job: QueuedJob) -> None:
        self._events.publish(JobQueued(time=self._clock.now(), job_id=job.id,
                                       workflow_id=job.workflow_id,
                                       scheduled_job_id=job.scheduled_job_id,
                                       trigger_type=job.trigger_type))
        self._workers.wake()

    # -- preview, webhooks, executions ----------------------------------------------------

    def preview(self, request: PreviewRequest) -> Preview:
        """The next fire times of a trigger not yet saved (none for event triggers)."""
        context = self.trigger_context()
        config = check_trigger_config(request.trigger_type, request.trigger_config, context)
        after = request.after or context.now
        try:
            schedule = self._schedule_of(request.trigger_type, config, after)
            times = schedule.fire_times(after, request.count) if schedule is not None else []
        except ScheduleError as exc:
            raise field_error(("trigger_config", exc.field), exc.reason) from None
        except (ValueError, OverflowError, StopIteration):
            raise field_error(("after",), "no fire times before the year 9999 from there: "
                              "choose an earlier 'after'") from None
        return Preview(fire_times=times,
                       description=describe_trigger(request.trigger_type, config, schedule))

    def deliver_webhook(self, hook_id: str, secret: str | None, body: Any,
                        idempotency_key: str | None = None) -> WebhookDelivery:
        """Queue a run of the hook's schedule with `body` as its payload. A repeat with the
        same key (Idempotency-Key header or the body's "id") within 24 h gives one job."""
        schedule = self._schedules.by_hook(hook_id) if _plausible_hook(hook_id) else None
        if schedule is None:
            raise NotFoundError("no webhook with this id: copy the URL from the schedule again")
        expected = self._secrets.get(WEBHOOK_SECRET_PREFIX + hook_id)
        given = (secret or "").encode("utf-8", "surrogatepass")
        if expected is None or not hmac.compare_digest(given, expected.encode("utf-8")):
            why = "missing" if not secret else "wrong"
            log.warning("webhook for schedule %d: rejected a delivery with a %s secret",
                        schedule.id, why)
            self._events.publish(WebhookRejected(
                time=self._clock.now(), schedule_id=schedule.id,
                reason=f"a delivery to schedule {schedule.id} had a {why} secret"))
            raise WebhookAuthError("webhook secret is missing or wrong: pass ?secret=... in the "
                                   "URL or a \"secret\" field in the JSON body")
        if not schedule.is_active:
            raise UserError(f"schedule {schedule.id} is paused: resume it to accept deliveries")
        payload = webhook_payload(body)
        key = idempotency_key
        if not key and isinstance(body, dict):
            raw_id = body.get("id")
            if isinstance(raw_id, str | int) and not isinstance(raw_id, bool):
                key = str(raw_id)
        if not key:
            key = str(uuid.uuid4())
        if len(key) > _MAX_KEY or not key.isprintable():
            key = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        now = self._clock.now()
        job = self._queue.enqueue(NewJob(
            workflow_id=schedule.workflow_id, scheduled_at=now, created_at=now,
            idempotency_key=f"webhook:{hook_id}:{key}", scheduled_job_id=schedule.id,
            user_id=schedule.user_id, priority=schedule.priority,
            max_retries=schedule.max_retries, trigger_type="webhook", payload=payload,
        ), dedupe_window_seconds=WEBHOOK_DEDUPE_SECONDS)
        if job is None:
            log.info("webhook for schedule %d: duplicate delivery ignored", schedule.id)
            return WebhookDelivery(job=None, duplicate=True)
        self._queued(job)
        return WebhookDelivery(job=job, duplicate=False)

    def get_execution(self, execution_id: int) -> ExecutionResult:
        return self._executions.get(execution_id)


def _plausible_hook(hook_id: str) -> bool:
    return 0 < len(hook_id) <= 64 and all(c.isalnum() or c in "-_" for c in hook_id)


def webhook_payload(body: Any) -> dict[str, Any]:
    """The run's payload: a JSON object as is (without its "secret"), text as {"text": ...},
    any other JSON value as {"body": ...}."""
    if isinstance(body, dict):
        payload = {k: v for k, v in body.items() if k != "secret"}
    elif isinstance(body, str):
        payload = {"text": body}
    else:
        payload = {"body": body}
    return _json_safe(payload)


def _json_safe(value: dict[str, Any]) -> dict[str, Any]:
    """`value` as it will read back from the store: valid UTF-8, no NaN, bounded depth."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        return {"text": repr(value)[:10_000]}
    result: dict[str, Any] = json.loads(text.encode("utf-8", "replace").decode("utf-8"))
    return result


class WorkflowCases:
    """Workflow CRUD for the API: the same JSON document the editor saves."""

    def __init__(self, *, workflows: WorkflowRepository, schedules: ScheduleRepository,
                 catalog: wf.SpecLookup | None,
                 symbols: Callable[[], Iterable[str]] | None) -> None:
        self._workflows = workflows
        self._schedules = schedules
        self._catalog = catalog
        self._symbols = symbols

    def list(self) -> list[StoredWorkflow]:
        return self._workflows.list()

    def get(self, workflow_id: int) -> StoredWorkflow:
        return self._workflows.get(workflow_id)

    def create(self, request: WorkflowCreate) -> StoredWorkflow:
        return self._workflows.add(self._checked(request))

    def update(self, workflow_id: int, request: WorkflowCreate) -> StoredWorkflow:
        self._workflows.get(workflow_id)
        return self._workflows.update(workflow_id, self._checked(request))

    def delete(self, workflow_id: int) -> None:
        self._workflows.get(workflow_id)
        using = self._schedules.list(workflow_id=workflow_id)
        if using:
            ids = ", ".join(str(s.id) for s in using[:10])
            raise UserError(f"workflow {workflow_id} is used by schedule(s) {ids}: delete "
                            "or move them first")
        self._workflows.delete(workflow_id)

    def _checked(self, request: WorkflowCreate) -> wf.Workflow:
        workflow = request.to_workflow()
        if self._catalog is None:
            return workflow
        symbols = frozenset(self._symbols()) if self._symbols is not None else None
        problems = wf.validate(workflow, self._catalog, symbols=symbols)
        if problems:
            index = {node.id: i for i, node in enumerate(request.nodes)}
            located = []
            for problem in problems:
                loc: tuple[str | int, ...] = ()
                if problem.node_id is not None and problem.node_id in index:
                    loc = ("nodes", index[problem.node_id])
                    if problem.param is not None:
                        loc = (*loc, "params", problem.param)
                located.append(FieldProblem(loc, str(problem)))
            raise InvalidInput(located)
        return workflow
