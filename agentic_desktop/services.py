"""The wired application: what `app.py` builds and the CLI, the API and the GUI use.
Typed by the engine's ports only, so users of it never see the adapters behind them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentic_desktop.engine.events import EventBus
from agentic_desktop.engine.executor import Executor
from agentic_desktop.engine.notifier import ChannelNotifier
from agentic_desktop.engine.ports import (
    Broker,
    CandleRepository,
    Clock,
    ExecutionRepository,
    JobQueueRepository,
    MarketData,
    NodeCatalog,
    ScheduleRepository,
    SecretStore,
    SettingsRepository,
    WorkflowRepository,
)


@dataclass(kw_only=True)
class Services:
    data_dir: Path
    clock: Clock
    catalog: NodeCatalog
    workflows: WorkflowRepository
    executions: ExecutionRepository
    candles: CandleRepository
    market: MarketData
    broker: Broker
    notifier: ChannelNotifier
    events: EventBus
    executor: Executor
    schedules: ScheduleRepository
    queue: JobQueueRepository
    settings: SettingsRepository
    secrets: SecretStore
    # The paper broker's ledger (Settings → Paper account: reset, commission, slippage).
    paper_ledger: Any
    close: Callable[[], None] = field(default=lambda: None)
