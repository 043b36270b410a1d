"""Everything the GUI needs from the rest of the program, passed in by the composition root.

The GUI never reaches for globals or the store: `app.py` builds a `UiServices` and hands it to
`run_gui`, and tests build one from real parts (tests/ui/conftest.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from agentic_desktop.domain.runs import ExecutionResult
from agentic_desktop.domain.workflow import Workflow
from agentic_desktop.engine.events import EventBus
from agentic_desktop.engine.ports import NodeCatalog, WorkflowRepository


async def _nothing() -> None:
    return None


def _no_api() -> str | None:
    return None


@dataclass(frozen=True, kw_only=True)
class UiServices:
    catalog: NodeCatalog
    # Synchronous SQLite calls: cheap, but keep them out of paint/drag paths.
    workflows: WorkflowRepository
    # Runs a workflow through the engine; raises UserError/ValidationError before starting.
    run_workflow: Callable[[Workflow, int | None], Awaitable[ExecutionResult]]
    events: EventBus
    symbols: Callable[[], list[str]]
    data_dir: Path
    version: str
    api_address: Callable[[], str | None] = _no_api
    start_engine: Callable[[], Awaitable[None]] = _nothing
    stop_engine: Callable[[], Awaitable[None]] = _nothing
