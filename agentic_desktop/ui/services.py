"""Everything the GUI needs from the rest of the program, passed in by the composition root.

The GUI never reaches for globals or the store: `app.py` builds a `UiServices` and hands it to
`run_gui`, and tests build one from real parts (tests/ui/conftest.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from agentic_desktop.domain.runs import ExecutionResult
from agentic_desktop.domain.settings import AppSettings
from agentic_desktop.domain.workflow import Workflow
from agentic_desktop.engine.events import EventBus
from agentic_desktop.engine.notifier import ChannelNotifier
from agentic_desktop.engine.ports import (
    Broker,
    ExecutionRepository,
    LedgerAccount,
    MarketData,
    NodeCatalog,
    SecretStore,
    SettingsRepository,
    WorkflowRepository,
)
from agentic_desktop.engine.scheduling import SchedulingService


class PaperAccountAdmin(Protocol):
    """Settings → Paper account: the paper ledger's own controls."""

    def account(self) -> LedgerAccount: ...

    def reset(self, *, balance: float, currency: str) -> None: ...

    def set_costs(self, *, commission_per_lot: float | None = None,
                  commission_pct: float | None = None,
                  slippage_pips: float | None = None) -> None: ...


@dataclass(frozen=True, kw_only=True)
class EngineAdmin:
    """The running engine's controls for the Schedules/Queue/History views, the tray and
    Settings. All synchronous repository calls are cheap SQLite reads/writes; run them off
    the paint path (or through bridge.run_task with asyncio.to_thread)."""

    scheduling: SchedulingService  # schedules, queue, history, manual runs, preview
    executions: ExecutionRepository
    market: MarketData  # current price / indicator values in the schedule dialog
    broker: Broker
    settings: SettingsRepository
    # Applies saved settings to the running engine; returns what needs a restart ("" if none).
    apply_settings: Callable[[AppSettings], Awaitable[str]]
    secrets: SecretStore  # apprise URLs live here under APPRISE_SECRET, one per line
    apprise_secret_key: str
    notifier: ChannelNotifier  # attach_desktop(sink) → tray messages
    paper_account: PaperAccountAdmin
    api_token: Callable[[], str]
    regenerate_api_token: Callable[[], Awaitable[str]]
    # Sends a test message to the given apprise URLs; returns the failure text or "".
    test_apprise: Callable[[list[str]], Awaitable[str]]


async def _nothing() -> None:
    return None


def _no_api() -> str | None:
    return None


@dataclass(frozen=True, kw_only=True)
class UiServices:
    catalog: NodeCatalog
    # Synchronous SQLite calls: cheap, but keep them out of paint/drag paths.
    workflows: WorkflowRepository
    # run_workflow(workflow, workflow_id, run_key) runs it through the engine with `run_key`
    # as the idempotency key, so RunStarted/NodeFinished/RunFinished carry it and the editor
    # matches them exactly. Raises UserError/ValidationError before starting.
    run_workflow: Callable[[Workflow, int | None, str], Awaitable[ExecutionResult]]
    events: EventBus
    symbols: Callable[[], list[str]]
    data_dir: Path
    version: str
    api_address: Callable[[], str | None] = _no_api
    start_engine: Callable[[], Awaitable[None]] = _nothing
    stop_engine: Callable[[], Awaitable[None]] = _nothing
    # None only in editor-only test setups; the app always passes it.
    engine: EngineAdmin | None = None
