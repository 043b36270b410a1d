"""The seed's contract: its three curl examples as written, and every route it lists."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.conftest import Api

JOBS = "/api/agentic/scheduler/jobs"

# The seed's three request bodies, byte for byte (indentation included).
SEED_CRON = """{
    "workflow_id": 1,
    "trigger_type": "cron",
    "trigger_config": {
      "cron_expression": "0 9 * * *",
      "timezone": "UTC"
    }
  }"""
SEED_PRICE = """{
    "workflow_id": 1,
    "trigger_type": "price",
    "trigger_config": {
      "symbol": "EURUSD",
      "condition": "price > 1.10",
      "check_interval": 5
    }
  }"""
SEED_TIME = """{
    "workflow_id": 1,
    "trigger_type": "time",
    "trigger_config": {
      "interval_minutes": 15
    }
  }"""
SEED_FIELDS = ("id", "workflow_id", "user_id", "trigger_type", "trigger_config", "is_active",
               "last_run", "next_run", "run_count", "created_at")
JOB_FIELDS = ("id", "workflow_id", "user_id", "status", "priority", "retry_count",
              "scheduled_at", "started_at", "completed_at", "error_message", "created_at")


def utc(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text)


async def post_seed(api: Api, body: str) -> dict:
    response = await api.client.post(JOBS, content=body.encode(),
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.asyncio
async def test_seed_cron_example(api: Api) -> None:
    before = datetime.now(UTC)
    created = await post_seed(api, SEED_CRON)
    for key in SEED_FIELDS:
        assert key in created
    assert created["id"] >= 1 and created["workflow_id"] == 1 and created["user_id"] == 1
    assert created["trigger_config"] == {"cron_expression": "0 9 * * *", "timezone": "UTC"}
    assert created["is_active"] is True and created["run_count"] == 0
    assert created["last_run"] is None
    next_run = utc(created["next_run"])
    assert (next_run.hour, next_run.minute, next_run.second) == (9, 0, 0)
    assert before < next_run <= before + timedelta(days=1)
    assert api.scheduler.upserts[-1].id == created["id"]


@pytest.mark.asyncio
async def test_seed_price_example(api: Api) -> None:
    created = await post_seed(api, SEED_PRICE)
    assert created["trigger_type"] == "price"
    assert created["trigger_config"] == {"symbol": "EURUSD", "condition": "price > 1.10",
                                         "check_interval": 5}
    assert created["next_run"] is None  # event triggers have no planned fire time
    assert "next_run" in created and created["id"] >= 1


@pytest.mark.asyncio
async def test_seed_time_example(api: Api) -> None:
    before = datetime.now(UTC)
    created = await post_seed(api, SEED_TIME)
    next_run = utc(created["next_run"])
    assert before + timedelta(minutes=15) <= next_run <= datetime.now(UTC) + timedelta(minutes=15)
    assert created["description"] == "Every 15 minutes"


@pytest.mark.asyncio
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
async def test_seed_curl_commands_as_written(api: Api) -> None:
    """The seed's curl lines themselves, with the real token and this server's port."""
    for body in (SEED_CRON, SEED_PRICE, SEED_TIME):
        process = await asyncio.create_subprocess_exec(
            "curl", "-s", "-X", "POST", f"{api.url}/api/agentic/scheduler/jobs",
            "-H", f"Authorization: Bearer {api.token}",
            "-H", "Content-Type: application/json",
            "-d", body, "-w", "\n%{http_code}",
            stdout=asyncio.subprocess.PIPE)
        out, _ = await process.communicate()
        text, _, code = out.decode().rpartition("\n")
        assert code == "201", text
        assert "next_run" in json.loads(text)


@pytest.mark.asyncio
async def test_every_seed_route(api: Api) -> None:
    c = api.client
    cron = await post_seed(api, SEED_CRON)
    time_ = await post_seed(api, SEED_TIME)
    sid = cron["id"]

    listed = (await c.get(JOBS)).json()
    assert [s["id"] for s in listed] == [cron["id"], time_["id"]]
    assert (await c.get(JOBS, params={"workflow_id": 2})).json() == []

    got = await c.get(f"{JOBS}/{sid}")
    assert got.status_code == 200 and got.json()["trigger_config"] == cron["trigger_config"]

    put = await c.put(f"{JOBS}/{sid}", json={"trigger_config": {
        "cron_expression": "30 7 * * 1-5", "timezone": "Europe/London"}, "name": "Weekdays"})
    assert put.status_code == 200, put.text
    updated = put.json()
    assert updated["name"] == "Weekdays" and updated["timezone"] == "Europe/London"
    assert updated["next_run"] != cron["next_run"]

    paused = (await c.post(f"{JOBS}/{sid}/toggle")).json()
    assert paused["is_active"] is False and paused["next_run"] is None
    assert paused["paused_reason"]
    resumed = (await c.post(f"{JOBS}/{sid}/toggle")).json()
    assert resumed["is_active"] is True and resumed["next_run"] is not None
    assert resumed["paused_reason"] is None

    run = await c.post(f"{JOBS}/{sid}/run", json={"payload": {"note": "by hand"}})
    assert run.status_code == 202, run.text
    job = run.json()
    for key in JOB_FIELDS:
        assert key in job
    assert job["status"] == "pending" and job["scheduled_job_id"] == sid
    assert job["payload"] == {"note": "by hand"}
    assert api.workers.wakes >= 1

    history = (await c.get(f"{JOBS}/{sid}/history")).json()
    assert [j["id"] for j in history] == [job["id"]]

    status = (await c.get("/api/agentic/scheduler/queue/status")).json()
    assert status["pending"] == 1 and status["max_runs_per_day"] == 100
    for key in ("running", "completed_today", "failed_today", "avg_wait_ms",
                "avg_duration_ms", "throughput_per_min"):
        assert key in status

    pending = (await c.get("/api/agentic/scheduler/queue/pending")).json()
    assert [j["id"] for j in pending] == [job["id"]]

    cancelled = await c.post(f"/api/agentic/scheduler/queue/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert (await c.get("/api/agentic/scheduler/queue/pending")).json() == []

    again = await c.post(f"/api/agentic/scheduler/queue/jobs/{job['id']}/cancel")
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]

    retried = await c.post(f"/api/agentic/scheduler/queue/jobs/{job['id']}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "pending"

    twice = await c.post(f"/api/agentic/scheduler/queue/jobs/{job['id']}/retry")
    assert twice.status_code == 409

    deleted = await c.delete(f"{JOBS}/{time_['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"id": time_["id"], "deleted": True}
    assert (await c.get(f"{JOBS}/{time_['id']}")).status_code == 404
    assert api.scheduler.removed == [time_["id"]]


@pytest.mark.asyncio
async def test_cancel_a_running_job_asks_its_worker(api: Api) -> None:
    run = (await api.client.post("/api/agentic/workflows/1/run")).json()
    claimed = api.queue.claim(worker="w1", now=datetime.now(UTC) + timedelta(seconds=1),
                              lease_seconds=30, max_running_per_user=10)
    assert claimed is not None and claimed.id == run["id"]
    api.workers.running.add(run["id"])
    answer = await api.client.post(f"/api/agentic/scheduler/queue/jobs/{run['id']}/cancel")
    assert answer.status_code == 200, answer.text
    assert answer.json()["cancel_requested"] is True
    assert api.workers.cancelled == [run["id"]]


@pytest.mark.asyncio
async def test_unknown_ids_are_404_with_a_message(api: Api) -> None:
    c = api.client
    for method, path in [("GET", f"{JOBS}/999"), ("PUT", f"{JOBS}/999"),
                         ("DELETE", f"{JOBS}/999"), ("POST", f"{JOBS}/999/toggle"),
                         ("GET", f"{JOBS}/999/history"), ("POST", f"{JOBS}/999/run"),
                         ("POST", "/api/agentic/scheduler/queue/jobs/999/cancel"),
                         ("POST", "/api/agentic/scheduler/queue/jobs/999/retry"),
                         ("GET", "/api/agentic/workflows/999"),
                         ("GET", "/api/agentic/executions/999")]:
        response = await c.request(method, path, json={} if method == "PUT" else None)
        assert response.status_code == 404, (method, path, response.text)
        assert "999" in response.json()["detail"]


@pytest.mark.asyncio
async def test_health_and_openapi(api: Api) -> None:
    health = await api.anon.get("/health")
    assert health.status_code == 200 and health.json() == {"status": "ok", "version": "test"}
    spec = (await api.client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path in ("/api/agentic/scheduler/jobs", "/api/agentic/scheduler/jobs/{schedule_id}",
                 "/api/agentic/scheduler/jobs/{schedule_id}/toggle",
                 "/api/agentic/scheduler/jobs/{schedule_id}/history",
                 "/api/agentic/scheduler/jobs/{schedule_id}/run",
                 "/api/agentic/scheduler/queue/status", "/api/agentic/scheduler/queue/pending",
                 "/api/agentic/scheduler/queue/jobs/{job_id}/cancel",
                 "/api/agentic/scheduler/queue/jobs/{job_id}/retry",
                 "/api/agentic/scheduler/preview", "/api/agentic/workflows",
                 "/api/agentic/executions/{execution_id}",
                 "/api/agentic/webhooks/{hook_id}"):
        assert path in paths, path
    assert "ScheduleCreate" in spec["components"]["schemas"]
