"""SchedulingService use cases (the API's and the GUI's), over the in-memory and the SQLite
schedule/queue repositories alike, with a fake clock at the edge."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agentic_desktop.domain import workflow as wf
from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.jobs import ScheduledJob
from agentic_desktop.engine.clock import FakeClock
from agentic_desktop.engine.events import (
    Event,
    EventBus,
    JobQueued,
    ScheduleChanged,
    WebhookRejected,
)
from agentic_desktop.engine.memory_repos import (
    InMemoryJobQueueRepository,
    InMemoryScheduleRepository,
)
from agentic_desktop.engine.scheduling import (
    SchedulingService,
    WebhookAuthError,
    machine_timezone,
    webhook_payload,
)
from agentic_desktop.engine.schemas import (
    InvalidInput,
    PreviewRequest,
    ScheduleCreate,
    ScheduleUpdate,
    parse_model,
)

START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)  # a Monday


class MemorySecrets:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)

    def describe(self) -> str:
        return "memory"


@dataclass
class Scheduler:
    upserts: list[ScheduledJob] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    override_next: datetime | None = None

    def upsert(self, schedule: ScheduledJob) -> ScheduledJob:
        self.upserts.append(schedule)
        if self.override_next is not None and schedule.is_active:
            return replace(schedule, next_run=self.override_next)
        return schedule

    def remove(self, schedule_id: int) -> None:
        self.removed.append(schedule_id)


@dataclass
class Workers:
    wakes: int = 0
    holds: bool = True
    asked: list[int] = field(default_factory=list)

    def wake(self) -> None:
        self.wakes += 1

    def cancel_running(self, job_id: int) -> bool:
        self.asked.append(job_id)
        return self.holds


@dataclass
class Kit:
    service: SchedulingService
    clock: FakeClock
    secrets: MemorySecrets
    scheduler: Scheduler
    workers: Workers
    events: list[Event]
    queue: Any
    schedules: Any


@pytest.fixture(params=["memory", "sqlite"])
def kit(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Kit]:
    from agentic_desktop.store.db import open_database
    from agentic_desktop.store.repositories import SqlExecutionRepository, SqlWorkflowRepository

    db = open_database(data_dir)
    workflows = SqlWorkflowRepository(db)
    workflows.add(wf.Workflow(name="one"))
    workflows.add(wf.Workflow(name="two"))
    if request.param == "memory":
        schedules: Any = InMemoryScheduleRepository()
        queue: Any = InMemoryJobQueueRepository(schedules)
    else:
        from agentic_desktop.store.job_repositories import SqlJobQueueRepository
        from agentic_desktop.store.schedule_repositories import SqlScheduleRepository

        schedules, queue = SqlScheduleRepository(db), SqlJobQueueRepository(db)
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    clock = FakeClock(START)
    secrets, scheduler, workers = MemorySecrets(), Scheduler(), Workers()
    service = SchedulingService(
        schedules=schedules, queue=queue, workflows=workflows,
        executions=SqlExecutionRepository(db), secrets=secrets, clock=clock, events=bus,
        scheduler=scheduler, workers=workers, symbols=lambda: ["EURUSD", "XAUUSD"],
        default_timezone=lambda: "Europe/London")
    yield Kit(service, clock, secrets, scheduler, workers, seen, queue, schedules)
    db.close()


def cron(expr: str = "0 9 * * *", **config: Any) -> ScheduleCreate:
    return ScheduleCreate(workflow_id=1, trigger_type="cron",
                          trigger_config={"cron_expression": expr, **config})


def test_check_schedule_writes_nothing_and_fills_the_default_zone(kit: Kit) -> None:
    new = kit.service.check_schedule(cron())
    assert new.trigger_config == {"cron_expression": "0 9 * * *", "timezone": "Europe/London"}
    assert new.timezone == "Europe/London"
    assert new.next_run == datetime(2025, 1, 6, 9, 0, tzinfo=UTC)  # London = UTC in January
    assert kit.service.list_schedules() == [] and kit.events == []


def test_create_uses_what_the_scheduler_persisted_and_publishes(kit: Kit) -> None:
    kit.scheduler.override_next = START + timedelta(hours=5)
    saved = kit.service.create_schedule(cron())
    assert saved.schedule.next_run == START + timedelta(hours=5)
    assert kit.scheduler.upserts[0].id == saved.schedule.id
    assert [(type(e), e.change) for e in kit.events if isinstance(e, ScheduleChanged)] == [
        (ScheduleChanged, "created")]
    assert saved.webhook_secret is None


def test_every_problem_is_reported_at_once(kit: Kit) -> None:
    with pytest.raises(InvalidInput) as info:
        kit.service.create_schedule(ScheduleCreate(
            workflow_id=77, trigger_type="price",
            trigger_config={"symbol": "XYZ", "condition": "price >", "check_interval": 0,
                            "colour": "red"}))
    locs = {p.loc for p in info.value.problems}
    assert locs == {("workflow_id",), ("trigger_config", "symbol"),
                    ("trigger_config", "condition"), ("trigger_config", "check_interval"),
                    ("trigger_config", "colour")}
    assert kit.service.list_schedules() == []


def test_the_gui_gets_the_same_errors_from_parse_model(kit: Kit) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_model(ScheduleCreate, {"workflow_id": "x", "trigger_type": "cron",
                                     "max_retries": 99})
    assert {p.loc for p in info.value.problems} == {("workflow_id",), ("max_retries",)}
    assert "workflow_id" in str(info.value)


def test_webhook_secret_goes_to_the_secret_store_only(kit: Kit) -> None:
    saved = kit.service.create_schedule(ScheduleCreate(workflow_id=2, trigger_type="webhook"))
    hook = saved.schedule.hook_id
    assert hook and saved.webhook_secret
    assert kit.secrets.values == {f"webhook:{hook}": saved.webhook_secret}
    assert saved.webhook_secret not in repr(kit.service.get_schedule(saved.schedule.id))
    assert kit.service.webhook_secret(saved.schedule.id) == saved.webhook_secret


def test_webhook_dedupe_within_24_hours(kit: Kit, caplog: pytest.LogCaptureFixture) -> None:
    saved = kit.service.create_schedule(ScheduleCreate(workflow_id=2, trigger_type="webhook"))
    hook, secret = saved.schedule.hook_id, saved.webhook_secret
    assert hook is not None
    first = kit.service.deliver_webhook(hook, secret, {"a": 1, "secret": secret}, "k-1")
    assert first.job is not None and first.job.payload == {"a": 1}
    assert first.job.idempotency_key == f"webhook:{hook}:k-1"
    kit.clock.advance(23 * 3600)
    assert kit.service.deliver_webhook(hook, secret, {"a": 1}, "k-1").duplicate
    kit.clock.advance(2 * 3600)
    assert not kit.service.deliver_webhook(hook, secret, {"a": 1}, "k-1").duplicate
    caplog.set_level(logging.DEBUG)
    with pytest.raises(WebhookAuthError):
        kit.service.deliver_webhook(hook, "not-" + str(secret), {"a": 1}, None)
    with pytest.raises(WebhookAuthError):
        kit.service.deliver_webhook(hook, None, "text", None)
    assert str(secret) not in caplog.text
    assert len(kit.queue.list(scheduled_job_id=saved.schedule.id)) == 2
    assert sum(isinstance(e, JobQueued) for e in kit.events) == 2
    rejected = [e for e in kit.events if isinstance(e, WebhookRejected)]
    assert [e.schedule_id for e in rejected] == [saved.schedule.id] * 2
    assert all(str(secret) not in e.reason for e in rejected)
    assert "wrong secret" in rejected[0].reason and "missing secret" in rejected[1].reason


def test_unknown_hook_is_not_found(kit: Kit) -> None:
    with pytest.raises(NotFoundError):
        kit.service.deliver_webhook("nope", "x", {}, None)
    with pytest.raises(NotFoundError):
        kit.service.deliver_webhook("../../etc", "x", {}, None)


def test_switching_to_and_from_webhook_manages_the_secret(kit: Kit) -> None:
    saved = kit.service.create_schedule(cron())
    to_hook = kit.service.update_schedule(saved.schedule.id,
                                          ScheduleUpdate(trigger_type="webhook"))
    hook = to_hook.schedule.hook_id
    assert hook and to_hook.webhook_secret and to_hook.schedule.next_run is None
    assert kit.secrets.get(f"webhook:{hook}") == to_hook.webhook_secret
    back = kit.service.update_schedule(saved.schedule.id, ScheduleUpdate(
        trigger_type="time", trigger_config={"interval_minutes": 15}))
    assert back.schedule.hook_id is None and kit.secrets.values == {}
    assert back.schedule.next_run == START + timedelta(minutes=15)
    kit.service.create_schedule(ScheduleCreate(workflow_id=1, trigger_type="webhook"))
    [(name, _)] = kit.secrets.values.items()
    kit.service.delete_schedule(kit.service.list_schedules()[-1].id)
    assert kit.secrets.values == {} and name.startswith("webhook:")


def test_pause_and_resume_plan_from_now(kit: Kit) -> None:
    saved = kit.service.create_schedule(cron("*/15 * * * *")).schedule
    paused = kit.service.toggle_schedule(saved.id)
    assert not paused.is_active and paused.next_run is None and paused.paused_reason
    kit.clock.advance(3 * 3600 + 60)
    resumed = kit.service.toggle_schedule(saved.id)
    assert resumed.is_active and resumed.paused_reason is None
    assert resumed.next_run == START + timedelta(hours=3, minutes=15)
    assert [e.change for e in kit.events if isinstance(e, ScheduleChanged)] == [
        "created", "paused", "resumed"]


def test_cancel_pending_and_running_jobs(kit: Kit) -> None:
    job = kit.service.run_now(workflow_id=1, payload={"why": "test"})
    assert job.idempotency_key.startswith("manual:") and job.trigger_type == "manual"
    assert kit.workers.wakes == 1
    assert kit.service.cancel_job(job.id).job.status == "cancelled"
    running = kit.service.run_now(workflow_id=1)
    claimed = kit.queue.claim(worker="w", now=kit.clock.now(), lease_seconds=30,
                              max_running_per_user=10)
    assert claimed.id == running.id
    outcome = kit.service.cancel_job(running.id)
    assert outcome.cancel_requested and kit.workers.asked == [running.id]
    kit.workers.holds = False
    with pytest.raises(UserError, match="no worker holds it"):
        kit.service.cancel_job(running.id)
    kit.queue.finish(running.id, status="completed", now=kit.clock.now())
    with pytest.raises(UserError, match="completed"):
        kit.service.cancel_job(running.id)


def test_run_now_of_a_schedule_uses_its_priority(kit: Kit) -> None:
    saved = kit.service.create_schedule(ScheduleCreate(
        workflow_id=2, trigger_type="manual", priority=7, max_retries=1)).schedule
    job = kit.service.run_now(schedule_id=saved.id)
    assert (job.workflow_id, job.priority, job.max_retries, job.scheduled_job_id) == (
        2, 7, 1, saved.id)
    assert kit.service.history(saved.id)[0].id == job.id
    with pytest.raises(NotFoundError):
        kit.service.run_now(workflow_id=99)


def test_queue_status_counts_the_day_in_the_users_zone(kit: Kit) -> None:
    seen: dict[str, datetime] = {}
    original = kit.queue.status

    def spy(**kwargs: Any) -> Any:
        seen.update(kwargs)
        return original(**kwargs)

    kit.queue.status = spy
    kit.clock.set(datetime(2025, 7, 1, 22, 30, tzinfo=UTC))  # 23:30 BST in London
    status = kit.service.queue_status()
    assert seen["day_start"] == datetime(2025, 6, 30, 23, 0, tzinfo=UTC)
    assert status.max_runs_per_day == 100


def test_preview(kit: Kit) -> None:
    result = kit.service.preview(PreviewRequest(
        trigger_type="cron", count=2, after=datetime(2025, 11, 1, 12, tzinfo=UTC),
        trigger_config={"cron_expression": "30 1 * * *", "timezone": "America/New_York"}))
    # DESIGN.md §5: the repeated 01:30 runs once, on the first pass
    assert result.fire_times == [datetime(2025, 11, 2, 5, 30, tzinfo=UTC),
                                 datetime(2025, 11, 3, 6, 30, tzinfo=UTC)]
    assert kit.service.preview(PreviewRequest(trigger_type="webhook")).fire_times == []


def test_webhook_payload_shapes() -> None:
    assert webhook_payload({"secret": "s", "a": 1}) == {"a": 1}
    assert webhook_payload("BUY EURUSD") == {"text": "BUY EURUSD"}
    assert webhook_payload([1, 2]) == {"body": [1, 2]}
    assert webhook_payload({"bad": "\ud800"}) == {"bad": "?"}
    assert webhook_payload({"x": float("nan")})["text"]


def test_machine_timezone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Paris")
    assert machine_timezone() == "Europe/Paris"
    monkeypatch.setenv("TZ", "Not/AZone")
    from zoneinfo import ZoneInfo

    ZoneInfo(machine_timezone())  # whatever the machine says, it is a real zone
