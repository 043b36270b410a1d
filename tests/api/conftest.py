"""The real local API on loopback (port 0) inside the test's event loop, over real SQLite
repositories in a fresh data dir with the example workflows installed as 1-3 (like a first
start). The scheduler and worker pool are recorders: these tests are about the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from agentic_desktop.api.auth import load_or_create_token
from agentic_desktop.api.server import ApiServer, build_app
from agentic_desktop.config import ENV_API_TOKEN
from agentic_desktop.domain import workflow as wf
from agentic_desktop.domain.jobs import ScheduledJob
from agentic_desktop.engine.clock import SystemClock
from agentic_desktop.engine.events import Event, EventBus
from agentic_desktop.engine.scheduling import SchedulingService
from agentic_desktop.market.symbols import SIM_SYMBOLS
from agentic_desktop.store.db import Database, open_database
from agentic_desktop.store.job_repositories import SqlJobQueueRepository
from agentic_desktop.store.repositories import SqlExecutionRepository, SqlWorkflowRepository
from agentic_desktop.store.schedule_repositories import SqlScheduleRepository
from agentic_desktop.store.secrets import FileSecretStore

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"


@dataclass
class RecordingScheduler:
    upserts: list[ScheduledJob] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    def upsert(self, schedule: ScheduledJob) -> ScheduledJob:
        self.upserts.append(schedule)
        return schedule

    def remove(self, schedule_id: int) -> None:
        self.removed.append(schedule_id)


@dataclass
class RecordingWorkers:
    wakes: int = 0
    running: set[int] = field(default_factory=set)  # job ids a worker "holds"
    cancelled: list[int] = field(default_factory=list)

    def wake(self) -> None:
        self.wakes += 1

    def cancel_running(self, job_id: int) -> bool:
        if job_id in self.running:
            self.cancelled.append(job_id)
            return True
        return False


@dataclass
class Api:
    client: httpx.AsyncClient
    anon: httpx.AsyncClient
    server: ApiServer
    service: SchedulingService
    db: Database
    token: str
    data_dir: Path
    scheduler: RecordingScheduler
    workers: RecordingWorkers
    secrets: FileSecretStore
    events: list[Event]
    executions: SqlExecutionRepository
    queue: SqlJobQueueRepository

    @property
    def url(self) -> str:
        return self.server.url

    def count_rows(self, table: str) -> int:
        with self.db.engine.connect() as conn:
            return int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one())

    def counts(self) -> tuple[int, int, int]:
        return (self.count_rows("scheduled_jobs"), self.count_rows("job_queue"),
                self.count_rows("workflows"))


def install_examples(workflows: SqlWorkflowRepository) -> None:
    for path in sorted(EXAMPLES.glob("*.json")):
        workflows.add(wf.loads(path.read_text(encoding="utf-8"), source=str(path)))


def build_service(data_dir: Path) -> tuple[SchedulingService, dict[str, object]]:
    db = open_database(data_dir)
    workflows = SqlWorkflowRepository(db)
    install_examples(workflows)
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    scheduler, workers = RecordingScheduler(), RecordingWorkers()
    secrets = FileSecretStore(data_dir / "secrets.json")
    executions = SqlExecutionRepository(db)
    queue = SqlJobQueueRepository(db)
    try:
        from agentic_desktop.nodes.registry import build_catalog

        catalog = build_catalog()
    except ImportError:  # a node module still being written: skip graph validation
        catalog = None
    service = SchedulingService(
        schedules=SqlScheduleRepository(db), queue=queue, workflows=workflows,
        executions=executions, secrets=secrets, clock=SystemClock(), events=bus,
        scheduler=scheduler, workers=workers, symbols=lambda: list(SIM_SYMBOLS),
        default_timezone=lambda: "UTC", catalog=catalog,
    )
    parts: dict[str, object] = dict(db=db, scheduler=scheduler, workers=workers,
                                    secrets=secrets, events=seen, executions=executions,
                                    queue=queue)
    return service, parts


@pytest_asyncio.fixture
async def api(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Api]:
    monkeypatch.delenv(ENV_API_TOKEN, raising=False)
    service, parts = build_service(data_dir)
    token = load_or_create_token(data_dir)
    app = build_app(service, token=token, version="test")
    server = ApiServer(app, port=0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10,
                                     headers={"Authorization": f"Bearer {token}"}) as client, \
                httpx.AsyncClient(base_url=server.url, timeout=10) as anon:
            yield Api(client=client, anon=anon, server=server, service=service, token=token,
                      data_dir=data_dir, **parts)  # type: ignore[arg-type]
    finally:
        await server.stop()
        parts["db"].close()  # type: ignore[attr-defined]
