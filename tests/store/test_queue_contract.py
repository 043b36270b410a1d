"""One contract suite for the job queue and the schedule repository, run over BOTH
implementations (DESIGN.md §10): the in-memory ones (engine/memory_repos.py, used by the
scheduler tests and benchmarks) and the SQLite store. What only a database can do (foreign keys,
concurrent connections, durability) is in test_job_queue.py and test_job_schedules.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.jobs import QueuedJob
from agentic_desktop.domain.workflow import Workflow
from agentic_desktop.engine.memory_repos import (
    InMemoryJobQueueRepository,
    InMemoryScheduleRepository,
)
from agentic_desktop.engine.ports import (
    LEASE_EXPIRED_REASON,
    RELEASED_REASON,
    JobQueueRepository,
    NewJob,
    NewSchedule,
    ScheduleAdvance,
    ScheduleRepository,
)
from agentic_desktop.store import open_database
from agentic_desktop.store.job_repositories import SqlJobQueueRepository
from agentic_desktop.store.repositories import SqlWorkflowRepository
from agentic_desktop.store.schedule_repositories import SqlScheduleRepository

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


@dataclass
class Repos:
    queue: JobQueueRepository
    schedules: ScheduleRepository
    workflow_id: int

    def job(self, key: str, *, at: datetime = T0, **kw: Any) -> NewJob:
        return NewJob(workflow_id=self.workflow_id, scheduled_at=at,
                      created_at=kw.pop("created_at", at), idempotency_key=key, **kw)

    def enqueue(self, key: str, **kw: Any) -> QueuedJob:
        queued = self.queue.enqueue(self.job(key, **kw))
        assert queued is not None
        return queued

    def claim(self, now: datetime = T0, *, worker: str = "w1", limit: int = 10,
              lease: float = 30.0) -> QueuedJob | None:
        return self.queue.claim(worker=worker, now=now, lease_seconds=lease,
                                max_running_per_user=limit)

    def schedule(self, **kw: Any) -> int:
        return self.schedules.add(NewSchedule(
            workflow_id=self.workflow_id, trigger_type="time",
            trigger_config={"interval_minutes": 15}, created_at=T0, next_run=T0, **kw)).id


@pytest.fixture(params=["memory", "sqlite"])
def repos(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Repos]:
    if request.param == "memory":
        schedules = InMemoryScheduleRepository()
        yield Repos(queue=InMemoryJobQueueRepository(schedules), schedules=schedules,
                    workflow_id=1)
        return
    db = open_database(data_dir)
    workflow_id = SqlWorkflowRepository(db).add(Workflow(name="w", nodes=(), edges=())).id
    yield Repos(queue=SqlJobQueueRepository(db), schedules=SqlScheduleRepository(db),
                workflow_id=workflow_id)
    db.close()


# -- enqueue and dedupe -----------------------------------------------------------------------


def test_enqueue_returns_the_stored_row_and_claim_marks_it_running(repos: Repos) -> None:
    queued = repos.queue.enqueue(repos.job("a", payload={"price": 1.1, "at": T0},
                                           trigger_type="price"))
    assert queued is not None and queued == repos.queue.get(queued.id)
    assert (queued.status, queued.attempt, queued.retry_count) == ("pending", 0, 0)
    assert queued.payload == {"price": 1.1, "at": str(T0)}  # through its JSON text
    got = repos.claim(T0 + timedelta(seconds=2))
    assert got is not None and got.id == queued.id
    assert got.status == "running" and got.attempt == 1 and got.worker == "w1"
    assert got.started_at == T0 + timedelta(seconds=2)
    assert got.lease_expires_at == T0 + timedelta(seconds=32)
    assert got.payload == queued.payload and got.trigger_type == "price"
    assert repos.claim(T0 + timedelta(seconds=2)) is None  # nothing else is due
    assert repos.queue.get(got.id) == got


def test_a_nominal_fire_is_enqueued_once_and_the_schedule_still_advances(repos: Repos) -> None:
    sid = repos.schedule()
    first = repos.queue.enqueue(
        repos.job("s1@1", scheduled_job_id=sid, nominal_fire_utc=T0),
        advance=ScheduleAdvance(schedule_id=sid, next_run=T0 + timedelta(minutes=15),
                                last_run=T0))
    assert first is not None
    again = repos.queue.enqueue(  # another key, same nominal fire: a second process
        repos.job("s1@1-other", scheduled_job_id=sid, nominal_fire_utc=T0),
        advance=ScheduleAdvance(schedule_id=sid, next_run=T0 + timedelta(minutes=30)))
    assert again is None
    assert [j.id for j in repos.queue.list()] == [first.id]
    after = repos.schedules.get(sid)
    assert after.next_run == T0 + timedelta(minutes=30)  # the advance was applied anyway
    assert after.last_run == T0  # last_run=None leaves it alone
    # jobs without a nominal fire time (manual, webhook) never collide on NULLs
    assert repos.queue.enqueue(repos.job("m1", scheduled_job_id=sid)) is not None
    assert repos.queue.enqueue(repos.job("m2", scheduled_job_id=sid)) is not None


def test_an_advance_for_a_deleted_schedule_is_ignored(repos: Repos) -> None:
    sid = repos.schedule()
    repos.schedules.delete(sid)
    queued = repos.queue.enqueue(repos.job("x"), advance=ScheduleAdvance(
        schedule_id=sid, next_run=T0 + timedelta(minutes=15)))
    assert queued is not None


def test_idempotency_key_dedupes_within_the_window_only(repos: Repos) -> None:
    day = 24 * 3600.0
    first = repos.queue.enqueue(repos.job("hook:abc"), dedupe_window_seconds=day)
    assert first is not None
    within = T0 + timedelta(hours=23)
    assert repos.queue.enqueue(repos.job("hook:abc", created_at=within),
                               dedupe_window_seconds=day) is None
    later = T0 + timedelta(hours=25)
    second = repos.queue.enqueue(repos.job("hook:abc", at=later), dedupe_window_seconds=day)
    assert second is not None and second.idempotency_key == "hook:abc"
    assert repos.queue.get(first.id).idempotency_key == f"hook:abc:expired:{first.id}"
    # without a window the key is unique for ever
    assert repos.queue.enqueue(repos.job("hook:abc", at=later + timedelta(days=9))) is None
    assert repos.queue.enqueue(repos.job(f"hook:abc:expired:{first.id}")) is None


def test_enqueue_many_is_enqueue_for_each_item_in_one_go(repos: Repos) -> None:
    a, b = repos.schedule(), repos.schedule()
    existing = repos.enqueue("old")
    t1 = T0 + timedelta(minutes=15)
    results = repos.queue.enqueue_many([
        (repos.job("a@1", scheduled_job_id=a, nominal_fire_utc=T0),
         ScheduleAdvance(schedule_id=a, next_run=t1, last_run=T0)),
        (repos.job("old"), None),  # key already queued
        (repos.job("b@1", scheduled_job_id=b, nominal_fire_utc=T0, status="missed",
                   outcome_reason="missed 3 runs"), None),
        (repos.job("b@1-again", scheduled_job_id=b, nominal_fire_utc=T0),  # same nominal
         ScheduleAdvance(schedule_id=b, next_run=t1 + timedelta(minutes=15), last_run=T0)),
        (repos.job("new"), None),
        (repos.job("new"), None),  # the same key twice in one batch: the first one wins
    ])
    assert [r is None for r in results] == [False, True, False, True, False, True]
    for queued in results:
        if queued is not None:
            assert queued == repos.queue.get(queued.id)
    assert results[0] is not None and results[0].status == "pending"
    assert results[2] is not None and results[2].completed_at == T0  # recorded only
    assert repos.schedules.get(a).next_run == t1
    assert repos.schedules.get(b).next_run == t1 + timedelta(minutes=15)  # dup still advances
    assert len(repos.queue.list()) == 4 and repos.queue.get(existing.id) == existing
    assert repos.queue.enqueue_many([]) == []


# -- claiming ---------------------------------------------------------------------------------


def test_claim_order_is_priority_then_due_time_then_id(repos: Repos) -> None:
    keys = {}
    for key, at, prio in [("late-low", 5, 0), ("early-low", 1, 0), ("early-low-2", 1, 0),
                          ("late-high", 4, 9), ("future-top", 100, 99)]:
        keys[repos.enqueue(key, at=T0 + timedelta(seconds=at), priority=prio).id] = key
    now = T0 + timedelta(seconds=10)
    order = []
    while (got := repos.claim(now)) is not None:
        order.append(keys[got.id])
    assert order == ["late-high", "early-low", "early-low-2", "late-low"]
    assert repos.queue.next_due() == T0 + timedelta(seconds=100)


def test_claim_respects_the_per_user_running_limit(repos: Repos) -> None:
    for i in range(4):
        repos.enqueue(f"u1-{i}")
    repos.enqueue("u2-0", user_id=2, at=T0 + timedelta(seconds=1))
    now = T0 + timedelta(seconds=5)
    first = [repos.claim(now, limit=2) for _ in range(2)]
    assert all(j is not None and j.user_id == 1 for j in first)
    other = repos.claim(now, limit=2)  # user 1 is at its limit; user 2 is not
    assert other is not None and other.user_id == 2
    assert repos.claim(now, limit=2) is None  # the rest wait, they are not dropped
    assert first[0] is not None
    repos.queue.finish(first[0].id, status="completed", now=now)
    again = repos.claim(now, limit=2)
    assert again is not None and again.user_id == 1
    assert len(repos.queue.list(statuses=["pending"])) == 1


def test_recorded_only_rows_are_finished_and_never_claimed(repos: Repos) -> None:
    missed = repos.enqueue("m", status="missed", outcome_reason="missed: machine was asleep")
    assert missed.completed_at == T0 and missed.status == "missed"
    assert repos.claim() is None and repos.queue.next_due() is None


# -- leases -----------------------------------------------------------------------------------


def test_expired_leases_go_back_to_pending_and_count_the_next_attempt(repos: Repos) -> None:
    repos.enqueue("a")
    repos.enqueue("b")
    a = repos.claim(lease=30)
    b = repos.claim(worker="w2", lease=30)
    assert a is not None and b is not None
    assert repos.queue.heartbeat(b.id, worker="w2", lease_until=T0 + timedelta(seconds=90))
    assert not repos.queue.heartbeat(b.id, worker="someone-else", lease_until=T0)
    assert repos.queue.recover_expired(now=T0 + timedelta(seconds=29)) == []
    # strictly after the lease: a lease ending exactly now is still held
    assert repos.queue.recover_expired(now=T0 + timedelta(seconds=30)) == []
    recovered = repos.queue.recover_expired(now=T0 + timedelta(seconds=31))
    assert [j.id for j in recovered] == [a.id]  # b's lease was extended by its heartbeat
    back = recovered[0]
    assert back == repos.queue.get(a.id)
    assert back.status == "pending" and back.worker is None and back.lease_expires_at is None
    assert back.attempt == 1 and back.outcome_reason == LEASE_EXPIRED_REASON
    assert back.scheduled_at == T0  # keeps its place in the line
    again = repos.claim(T0 + timedelta(seconds=32), worker="w3")
    assert again is not None and again.id == a.id and again.attempt == 2
    assert not repos.queue.heartbeat(a.id, worker="w1", lease_until=T0 + timedelta(hours=1))


def test_release_puts_only_the_workers_own_running_job_back(repos: Repos) -> None:
    repos.enqueue("a", at=T0 - timedelta(seconds=5))
    running = repos.claim(worker="w1")
    assert running is not None
    assert repos.queue.release(running.id, worker="w2") == running  # not w2's: untouched
    back = repos.queue.release(running.id, worker="w1")
    assert back == repos.queue.get(running.id)
    assert back.status == "pending" and back.worker is None and back.lease_expires_at is None
    assert back.outcome_reason == RELEASED_REASON and back.attempt == 1
    assert back.scheduled_at == T0 - timedelta(seconds=5)
    assert repos.queue.release(running.id, worker="w1") == back  # no longer running
    again = repos.claim(worker="w2")
    assert again is not None and again.id == running.id and again.attempt == 2
    with pytest.raises(NotFoundError, match="job 999"):
        repos.queue.release(999, worker="w1")


# -- outcomes ---------------------------------------------------------------------------------


def test_finish_and_schedule_retry(repos: Repos) -> None:
    repos.enqueue("a")
    running = repos.claim()
    assert running is not None
    waiting = repos.queue.schedule_retry(running.id, at=T0 + timedelta(seconds=1),
                                         error="net down", execution_id=None)
    assert waiting == repos.queue.get(running.id)
    assert waiting.status == "retrying" and waiting.retry_count == 1
    assert waiting.scheduled_at == T0 + timedelta(seconds=1) and waiting.lease_expires_at is None
    assert waiting.error_message == "net down"
    assert waiting.outcome_reason == "retry 1 of 3 after a retryable failure"
    assert repos.claim(T0) is None  # backoff: not due yet
    again = repos.claim(T0 + timedelta(seconds=1))
    assert again is not None and again.attempt == 2
    done = repos.queue.finish(again.id, status="completed", now=T0 + timedelta(seconds=2))
    assert done == repos.queue.get(again.id)
    assert done.status == "completed" and done.completed_at == T0 + timedelta(seconds=2)
    assert done.retry_count == 1 and done.error_message is None
    assert done.outcome_reason is None and done.lease_expires_at is None
    with pytest.raises(NotFoundError, match="job 999"):
        repos.queue.finish(999, status="failed", now=T0)


def test_cancel_pending_but_not_running_or_finished(repos: Repos) -> None:
    p = repos.enqueue("p")
    r = repos.enqueue("r", priority=5)
    running = repos.claim()
    assert running is not None and running.id == r.id
    cancelled = repos.queue.cancel(p.id, now=T0, reason="cancelled by the user")
    assert cancelled == repos.queue.get(p.id)
    assert cancelled.status == "cancelled" and cancelled.outcome_reason == "cancelled by the user"
    assert cancelled.completed_at == T0
    assert repos.claim() is None  # a cancelled job is never run
    with pytest.raises(UserError, match=f"job {r.id} is running: cancel it in the worker pool"):
        repos.queue.cancel(r.id, now=T0, reason="x")
    with pytest.raises(UserError, match="only a pending or retrying job"):
        repos.queue.cancel(p.id, now=T0, reason="again")
    with pytest.raises(NotFoundError):
        repos.queue.cancel(12345, now=T0, reason="x")


@pytest.mark.parametrize("final", ["failed", "cancelled", "timed_out"])
def test_retry_puts_a_failed_cancelled_or_timed_out_job_back(repos: Repos, final: str) -> None:
    repos.enqueue("a")
    running = repos.claim()
    assert running is not None
    repos.queue.finish(running.id, status=final, now=T0, error="boom")  # type: ignore[arg-type]
    later = T0 + timedelta(minutes=5)
    back = repos.queue.retry(running.id, now=later)
    assert back == repos.queue.get(running.id)
    assert back.status == "pending" and back.scheduled_at == later and back.worker is None
    assert back.idempotency_key == "a"  # same key: orders already placed are found again
    assert back.completed_at is None and back.error_message is None
    assert back.outcome_reason == f"retried by hand (was {final})"
    again = repos.claim(later)
    assert again is not None and again.id == running.id and again.attempt == 2


def test_retry_refuses_other_states(repos: Repos) -> None:
    queued = repos.enqueue("a")
    with pytest.raises(UserError, match="is pending: only a failed, cancelled or timed-out"):
        repos.queue.retry(queued.id, now=T0)
    running = repos.claim()
    assert running is not None
    repos.queue.finish(running.id, status="completed", now=T0)
    with pytest.raises(UserError, match="is completed"):
        repos.queue.retry(running.id, now=T0)


# -- reading ----------------------------------------------------------------------------------


def test_list_is_newest_first_and_filters(repos: Repos) -> None:
    sid = repos.schedule()
    a = repos.enqueue("a", scheduled_job_id=sid)
    b = repos.enqueue("b")
    c = repos.enqueue("c", status="missed")
    assert [j.id for j in repos.queue.list()] == [c.id, b.id, a.id]
    assert [j.id for j in repos.queue.list(limit=1, offset=1)] == [b.id]
    assert [j.id for j in repos.queue.list(statuses=["missed"])] == [c.id]
    assert [j.id for j in repos.queue.list(scheduled_job_id=sid)] == [a.id]
    assert repos.queue.list(workflow_id=repos.workflow_id + 1) == []
    with pytest.raises(NotFoundError, match="job 999 does not exist"):
        repos.queue.get(999)


def test_status_counts_today(repos: Repos) -> None:
    day = T0.replace(hour=0)
    yesterday = day - timedelta(hours=2)
    repos.enqueue("old", at=yesterday)
    c = repos.claim(yesterday)
    assert c is not None
    repos.queue.finish(c.id, status="completed", now=yesterday + timedelta(seconds=1))
    # today: two completed (waits 1 s and 3 s, durations 2 s and 4 s), one failed,
    # one timed out, one rejected, one retrying, one running, two pending
    specs = [("c1", 1, 2, "completed"), ("c2", 3, 4, "completed"), ("f1", 0, 1, "failed"),
             ("t1", 0, 1, "timed_out"), ("x1", 0, 0, "rejected")]
    base = T0 - timedelta(minutes=30)
    for key, wait, duration, final in specs:
        repos.enqueue(key, at=base)
        got = repos.claim(base + timedelta(seconds=wait))
        assert got is not None and got.idempotency_key == key
        repos.queue.finish(got.id, status=final,  # type: ignore[arg-type]
                           now=base + timedelta(seconds=wait + duration))
    repos.enqueue("r1", at=base)
    got = repos.claim(base)
    assert got is not None
    repos.queue.schedule_retry(got.id, at=T0 + timedelta(hours=1), error="e")
    repos.enqueue("run", at=base)
    assert repos.claim(base) is not None
    repos.enqueue("p1", at=T0 + timedelta(hours=2))
    repos.enqueue("p2", at=T0 + timedelta(hours=2))
    status = repos.queue.status(now=T0, day_start=day, max_runs_per_day=100)
    assert (status.pending, status.running, status.retrying) == (2, 1, 1)
    assert (status.completed_today, status.failed_today) == (2, 2)
    assert status.runs_today == 6  # c1 c2 f1 t1 r1 run: the rejected one never ran
    assert repos.queue.started_since(user_id=1, since=day) == 6
    # waits: c1 1 s, c2 3 s, f1 0, t1 0, run 0 (r1 waits again, so its due time moved)
    assert status.avg_wait_ms == pytest.approx(4000 / 5, abs=2)
    # durations: c1 2 s, c2 4 s, f1 1 s, t1 1 s
    assert status.avg_duration_ms == pytest.approx(8000 / 4, abs=2)
    assert status.throughput_per_min == pytest.approx(2 / 60)
    assert status.max_runs_per_day == 100
    other_user = repos.queue.status(now=T0, day_start=day, max_runs_per_day=100, user_id=7)
    assert (other_user.pending, other_user.runs_today, other_user.avg_wait_ms) == (0, 0, None)


# -- schedules --------------------------------------------------------------------------------


def cron(workflow_id: int, **kw: Any) -> NewSchedule:
    return NewSchedule(workflow_id=workflow_id, trigger_type="cron",
                       trigger_config={"cron_expression": "0 9 * * *", "timezone": "UTC"},
                       created_at=T0, next_run=T0 + timedelta(days=1), **kw)


def test_schedules_add_get_list_save_delete(repos: Repos) -> None:
    repo, wid = repos.schedules, repos.workflow_id
    added = repo.add(cron(wid, name="morning", priority=3, timezone="Europe/London",
                          misfire_policy="skip", misfire_grace_seconds=60.0))
    assert added.id > 0 and added.is_active and added.run_count == 0
    assert added.trigger_config == {"cron_expression": "0 9 * * *", "timezone": "UTC"}
    assert (added.name, added.priority, added.timezone) == ("morning", 3, "Europe/London")
    assert (added.misfire_policy, added.misfire_grace_seconds) == ("skip", 60.0)
    assert added.next_run == T0 + timedelta(days=1)
    assert repo.get(added.id) == added
    second = repo.add(cron(wid))
    assert [s.id for s in repo.list()] == [added.id, second.id]
    assert repo.list(workflow_id=wid + 1) == []
    changed = replace(added, is_active=False, paused_reason="by hand", last_status="completed",
                      run_count=4, trigger_config={"interval_minutes": 5}, trigger_type="time",
                      last_run=T0, next_run=None)
    saved = repo.save(changed)
    assert saved == changed and repo.get(added.id) == changed
    repo.delete(second.id)
    assert [s.id for s in repo.list()] == [added.id]
    with pytest.raises(NotFoundError, match=f"schedule {second.id} does not exist"):
        repo.get(second.id)
    with pytest.raises(NotFoundError):
        repo.delete(second.id)
    with pytest.raises(NotFoundError):
        repo.save(replace(added, id=999))


def test_a_webhook_id_belongs_to_one_schedule(repos: Repos) -> None:
    repo = repos.schedules

    def hook(hook_id: str) -> NewSchedule:
        return NewSchedule(workflow_id=repos.workflow_id, trigger_type="webhook",
                           trigger_config={}, created_at=T0, hook_id=hook_id)

    hooked = repo.add(hook("h-1"))
    assert repo.by_hook("h-1") == hooked and repo.by_hook("nope") is None
    with pytest.raises(UserError, match="webhook id 'h-1' is already used"):
        repo.add(hook("h-1"))
    other = repo.add(hook("h-2"))
    with pytest.raises(UserError, match="webhook id 'h-1' is already used"):
        repo.save(replace(other, hook_id="h-1"))
    assert repo.save(replace(hooked, name="renamed")).hook_id == "h-1"  # its own id is fine
    assert len(repo.list()) == 2  # the refused ones wrote nothing


def test_record_outcome_pauses_after_n_failures_and_success_resets(repos: Repos) -> None:
    repo = repos.schedules
    sched = repo.add(cron(repos.workflow_id))
    at = T0 + timedelta(hours=1)
    for i in range(4):
        s = repo.record_outcome(sched.id, success=False, status="failed", at=at, pause_after=5)
        assert s.consecutive_failures == i + 1 and s.is_active and s.last_run == at
    s = repo.record_outcome(sched.id, success=True, status="completed", at=at, pause_after=5)
    assert s.consecutive_failures == 0 and s.last_status == "completed" and s.run_count == 5
    for _ in range(5):
        s = repo.record_outcome(sched.id, success=False, status="timed_out", at=at,
                                pause_after=5)
    assert not s.is_active and s.consecutive_failures == 5 and s.last_status == "timed_out"
    assert s.paused_reason is not None
    assert s.paused_reason.startswith("paused after 5 consecutive failures (last: timed_out")
    assert repo.get(sched.id) == s
    # a failure while already paused counts but does not rewrite the reason
    again = repo.record_outcome(sched.id, success=False, status="failed", at=at,
                                pause_after=5)
    assert again.consecutive_failures == 6 and again.paused_reason == s.paused_reason
    with pytest.raises(NotFoundError):
        repo.record_outcome(999, success=True, status="completed", at=at, pause_after=5)


def test_pause_after_zero_never_pauses(repos: Repos) -> None:
    sched = repos.schedules.add(cron(repos.workflow_id))
    for _ in range(7):
        s = repos.schedules.record_outcome(sched.id, success=False, status="failed", at=T0,
                                           pause_after=0)
    assert s.is_active and s.consecutive_failures == 7
