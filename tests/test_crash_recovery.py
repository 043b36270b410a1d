"""kill -9 the real headless process with jobs in flight, restart it, and check that every
job reaches a terminal state, none is lost, and the paper account has no duplicate order."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

JOBS = 16

# price → sleep → compare (always true) → order → sleep: a kill can land before the order,
# while it is placed, or after it.
WORKFLOW = {
    "format": "agentic-workflow", "version": 1, "name": "Crash probe",
    "nodes": [
        {"id": "price", "type": "market.price", "params": {"symbol": "EURUSD"}},
        {"id": "wait1", "type": "t.sleep", "params": {"seconds": 0.4}},
        {"id": "go", "type": "condition.compare", "params": {"operator": ">", "value": 0.0}},
        {"id": "order", "type": "order.place",
         "params": {"symbol": "EURUSD", "side": "buy", "volume": 0.01}},
        {"id": "wait2", "type": "t.sleep", "params": {"seconds": 0.4}},
    ],
    "edges": [
        {"source": "price", "source_port": "price", "target": "wait1", "target_port": "a"},
        {"source": "wait1", "source_port": "out", "target": "go", "target_port": "a"},
        {"source": "go", "source_port": "result", "target": "order", "target_port": "when"},
        {"source": "order", "source_port": "order", "target": "wait2", "target_port": "a"},
    ],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Api:
    def __init__(self, port: int, token: str) -> None:
        self.base, self.token = f"http://127.0.0.1:{port}", token

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")


def start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    log = open(data_dir / f"harness-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "crash_harness.py"),
                             str(data_dir), str(port)], cwd=ROOT, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"harness exited with {proc.returncode}"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("headless process did not come up")


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_with_jobs_in_flight_loses_nothing(data_dir: Path) -> None:
    port = free_port()
    env_token = "crash-test-token-0123456789abcdef"
    os.environ["AGENTIC_DESKTOP_API_TOKEN"] = env_token
    try:
        first = start(data_dir, port)
        api = Api(port, env_token)
        workflow = api.call("POST", "/api/agentic/workflows", WORKFLOW)
        schedule = api.call("POST", "/api/agentic/scheduler/jobs", {
            "workflow_id": workflow["id"], "trigger_type": "manual", "trigger_config": {}})
        for _ in range(JOBS):
            api.call("POST", f"/api/agentic/scheduler/jobs/{schedule['id']}/run", {})

        def mid_flight() -> bool:
            status = api.call("GET", "/api/agentic/scheduler/queue/status")
            return status["running"] >= 3 and status["completed_today"] >= 1

        wait_for(mid_flight, 60, "jobs running and some completed")
        first.send_signal(signal.SIGKILL)
        first.wait(10)

        second = start(data_dir, port)
        try:
            def drained() -> bool:
                status = api.call("GET", "/api/agentic/scheduler/queue/status")
                return status["pending"] == status["running"] == status["retrying"] == 0

            wait_for(drained, 120, "the queue to drain after restart")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
    finally:
        os.environ.pop("AGENTIC_DESKTOP_API_TOKEN", None)

    db = sqlite3.connect(data_dir / "agentic.db")
    jobs = db.execute("SELECT status, attempt FROM job_queue WHERE workflow_id = ?",
                      (workflow["id"],)).fetchall()
    assert len(jobs) == JOBS, "a job was lost"
    assert all(status == "completed" for status, _ in jobs), jobs
    assert sum(attempt == 2 for _, attempt in jobs) >= 1, "no job was re-run after the kill"
    assert all(attempt <= 2 for _, attempt in jobs), jobs
    orders = db.execute("SELECT client_order_id FROM orders").fetchall()
    assert len(orders) == JOBS, f"{len(orders)} orders for {JOBS} jobs"
    assert len({o for (o,) in orders}) == JOBS
    fills = db.execute("SELECT COUNT(*) FROM fills").fetchone()[0]
    assert fills == JOBS
    positions = db.execute("SELECT COUNT(*) FROM positions").fetchone()[0]
    assert positions == JOBS
