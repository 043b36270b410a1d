"""Real UiServices without app.py: real catalog, real SQLite store in a data dir, the
simulated market, the paper broker and the real executor. Used by the UI tests, the
screenshot script and the UI benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentic_desktop.app import APPRISE_SECRET, test_apprise
from agentic_desktop.brokers.paper import PaperBroker
from agentic_desktop.domain.runs import ExecutionResult
from agentic_desktop.domain.settings import AppSettings
from agentic_desktop.domain.workflow import Workflow, loads
from agentic_desktop.engine.clock import SystemClock
from agentic_desktop.engine.events import EventBus
from agentic_desktop.engine.executor import Executor
from agentic_desktop.engine.notifier import ChannelNotifier
from agentic_desktop.market.simulated import SimulatedMarket
from agentic_desktop.nodes.registry import build_catalog
from agentic_desktop.runtime import Runtime
from agentic_desktop.services import Services
from agentic_desktop.store import (
    Database,
    SqlExecutionRepository,
    SqlPaperLedger,
    SqlWorkflowRepository,
    open_database,
)
from agentic_desktop.store.job_repositories import SqlJobQueueRepository
from agentic_desktop.store.repositories import SqlCandleRepository
from agentic_desktop.store.schedule_repositories import SqlScheduleRepository
from agentic_desktop.store.secrets import FileSecretStore
from agentic_desktop.store.settings_repository import SqlSettingsRepository
from agentic_desktop.ui.services import EngineAdmin, UiServices

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"


@dataclass
class Kit:
    services: UiServices
    db: Database
    executor: Executor
    engine_calls: list[str]
    # build_kit(engine=True): the real Runtime (scheduler + worker pool + scheduling use
    # cases) that services.engine controls; start/stop it with services.start_engine().
    runtime: Any = None


def example(name: str = "01_daily_morning_strategy.json") -> Workflow:
    return loads((EXAMPLES / name).read_text(), source=name)


def build_kit(data_dir: Path, *, seed_examples: bool = False, engine: bool = False) -> Kit:
    catalog = build_catalog()
    db = open_database(data_dir)
    clock = SystemClock()
    market = SimulatedMarket(clock)
    events = EventBus()
    ledger = SqlPaperLedger(db)
    broker = PaperBroker(market, ledger, clock)
    notifier = ChannelNotifier()
    executions = SqlExecutionRepository(db)
    executor = Executor(
        catalog=catalog, market=market, broker=broker, notifier=notifier, clock=clock,
        events=events, executions=executions,
    )
    workflows = SqlWorkflowRepository(db)
    if seed_examples:
        for path in sorted(EXAMPLES.glob("*.json")):
            workflows.add(loads(path.read_text(), source=path.name))
    calls: list[str] = []
    runtime: Any = None
    admin: EngineAdmin | None = None
    if engine:
        runtime, admin = _engine(Services(
            data_dir=data_dir, clock=clock, catalog=catalog, workflows=workflows,
            executions=executions, candles=SqlCandleRepository(db), market=market,
            broker=broker, notifier=notifier, events=events, executor=executor,
            schedules=SqlScheduleRepository(db), queue=SqlJobQueueRepository(db),
            settings=SqlSettingsRepository(db),
            secrets=FileSecretStore(data_dir / "secrets.json"), paper_ledger=ledger,
        ))

    async def run_workflow(wf: Workflow, workflow_id: int | None,
                           run_key: str) -> ExecutionResult:
        return await executor.run(wf, workflow_id=workflow_id, idempotency_key=run_key)

    async def start_engine() -> None:
        calls.append("start")
        if runtime is not None:
            await runtime.start()

    async def stop_engine() -> None:
        calls.append("stop")
        if runtime is not None:
            await runtime.stop(grace_seconds=2.0)

    services = UiServices(
        catalog=catalog, workflows=workflows, run_workflow=run_workflow, events=events,
        symbols=lambda: [s.symbol for s in market.symbols()], data_dir=data_dir,
        version="0.1.0-test", start_engine=start_engine, stop_engine=stop_engine,
        engine=admin,
    )
    return Kit(services=services, db=db, executor=executor, engine_calls=calls,
               runtime=runtime)


def _engine(services: Services) -> tuple[Runtime, EngineAdmin]:
    """The engine as app.run_gui builds it (no API server, secrets in a 0600 file)."""
    runtime = Runtime(services)

    async def apply_settings(settings: AppSettings) -> str:
        return await runtime.apply_settings(settings, version="0.1.0-test")

    async def regenerate_api_token() -> str:
        return await runtime.regenerate_api_token(version="0.1.0-test")

    admin = EngineAdmin(
        scheduling=runtime.scheduling, executions=services.executions,
        market=services.market, broker=services.broker, settings=services.settings,
        apply_settings=apply_settings, secrets=services.secrets,
        apprise_secret_key=APPRISE_SECRET, notifier=services.notifier,
        paper_account=services.paper_ledger, api_token=runtime.api_token,
        regenerate_api_token=regenerate_api_token, test_apprise=test_apprise,
    )
    return runtime, admin
