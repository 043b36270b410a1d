"""Real UiServices without app.py: real catalog, real SQLite store in a data dir, the
simulated market, the paper broker and the real executor. Used by the UI tests, the
screenshot script and the UI benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentic_desktop.brokers.paper import PaperBroker
from agentic_desktop.domain.runs import ExecutionResult
from agentic_desktop.domain.workflow import Workflow, loads
from agentic_desktop.engine.clock import SystemClock
from agentic_desktop.engine.events import EventBus
from agentic_desktop.engine.executor import Executor
from agentic_desktop.engine.notifier import ChannelNotifier
from agentic_desktop.market.simulated import SimulatedMarket
from agentic_desktop.nodes.registry import build_catalog
from agentic_desktop.store import (
    Database,
    SqlExecutionRepository,
    SqlPaperLedger,
    SqlWorkflowRepository,
    open_database,
)
from agentic_desktop.ui.services import UiServices

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"


@dataclass
class Kit:
    services: UiServices
    db: Database
    executor: Executor
    engine_calls: list[str]


def example(name: str = "01_daily_morning_strategy.json") -> Workflow:
    return loads((EXAMPLES / name).read_text(), source=name)


def build_kit(data_dir: Path, *, seed_examples: bool = False) -> Kit:
    catalog = build_catalog()
    db = open_database(data_dir)
    clock = SystemClock()
    market = SimulatedMarket(clock)
    events = EventBus()
    executor = Executor(
        catalog=catalog, market=market, broker=PaperBroker(market, SqlPaperLedger(db), clock),
        notifier=ChannelNotifier(), clock=clock, events=events,
        executions=SqlExecutionRepository(db),
    )
    workflows = SqlWorkflowRepository(db)
    if seed_examples:
        for path in sorted(EXAMPLES.glob("*.json")):
            workflows.add(loads(path.read_text(), source=path.name))
    calls: list[str] = []

    async def run_workflow(wf: Workflow, workflow_id: int | None) -> ExecutionResult:
        return await executor.run(wf, workflow_id=workflow_id)

    async def start_engine() -> None:
        calls.append("start")

    async def stop_engine() -> None:
        calls.append("stop")

    services = UiServices(
        catalog=catalog, workflows=workflows, run_workflow=run_workflow, events=events,
        symbols=lambda: [s.symbol for s in market.symbols()], data_dir=data_dir,
        version="0.1.0-test", start_engine=start_engine, stop_engine=stop_engine,
    )
    return Kit(services=services, db=db, executor=executor, engine_calls=calls)
