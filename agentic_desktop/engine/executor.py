"""Runs one workflow graph (DESIGN.md §4).

Topological order; a node behind a false gate or a skipped node is *skipped*; the first
failing node fails the run and is named; cancellation and timeout are honoured between and
inside nodes; nothing a node raises escapes into the loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import psutil

from agentic_desktop.domain.errors import (
    RetryableError,
    UserError,
)
from agentic_desktop.domain.runs import (
    ErrorKind,
    ExecutionMetrics,
    ExecutionResult,
    ExecutionStatus,
    NodeRun,
)
from agentic_desktop.domain.workflow import Workflow, require_valid, topological_order
from agentic_desktop.engine.events import (
    EventBus,
    NodeFinished,
    NodeStarted,
    RunFinished,
    RunStarted,
)
from agentic_desktop.engine.ports import (
    Broker,
    Clock,
    ExecutionRepository,
    MarketData,
    NodeCatalog,
    Notifier,
)
from agentic_desktop.engine.summary import is_truthy, last_scalar, summarize

log = logging.getLogger(__name__)
T = TypeVar("T")
_PROCESS = psutil.Process()


# `task.cancel(FAIL_ON_CANCEL + reason)` records the run as failed with that reason
# (a safety limit stopped it) instead of cancelled by the user.
FAIL_ON_CANCEL = "fail:"


def client_order_id(idempotency_key: str, node_id: str, suffix: str = "") -> str:
    """Same job + same node → same id, so a re-run finds its order instead of placing another."""
    digest = hashlib.sha256(f"{idempotency_key}\x00{node_id}".encode()).hexdigest()[:24]
    return f"ad-{digest}{':' + suffix if suffix else ''}"


@dataclass
class RunContext:
    """The NodeContext a node sees (engine.ports.NodeContext)."""

    node_id: str
    params: dict[str, Any]
    inputs: dict[str, Any]
    market: MarketData
    broker: Broker
    notifier: Notifier
    clock: Clock
    payload: dict[str, Any]
    values: dict[str, Any]
    idempotency_key: str

    def client_order_id(self, suffix: str = "") -> str:
        return client_order_id(self.idempotency_key, self.node_id, suffix)

    async def run_cpu(self, fn: Callable[..., T], /, *args: Any) -> T:
        return await asyncio.to_thread(fn, *args)


@dataclass
class _RunState:
    workflow: Workflow
    key: str
    payload: dict[str, Any]
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, NodeRun] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    current: str | None = None
    current_started: datetime | None = None
    current_t0: float = 0.0
    failed_node: str | None = None
    error: str | None = None
    error_kind: ErrorKind | None = None
    peak_rss: int = 0


class Executor:
    def __init__(
        self, *, catalog: NodeCatalog, market: MarketData, broker: Broker, notifier: Notifier,
        clock: Clock, events: EventBus | None = None,
        executions: ExecutionRepository | None = None,
        default_timeout: float | None = 300.0,
    ) -> None:
        self.catalog = catalog
        self.market = market
        self.broker = broker
        self.notifier = notifier
        self.clock = clock
        self.events = events
        self.executions = executions
        self.default_timeout = default_timeout

    async def run(
        self, workflow: Workflow, *, workflow_id: int | None = None,
        idempotency_key: str | None = None, payload: dict[str, Any] | None = None,
        trigger: str = "manual", timeout: float | None = None, job_id: int | None = None,
        validate: bool = True,
    ) -> ExecutionResult:
        """Run the graph once. Raises UserError (ValidationError) before starting if the
        workflow is invalid; every other failure is recorded in the result."""
        if validate:
            require_valid(workflow, self.catalog)
        order = topological_order(workflow)
        key = idempotency_key or f"manual:{uuid.uuid4().hex}"
        state = _RunState(workflow=workflow, key=key, payload=dict(payload or {}))
        started_at = self.clock.now()
        execution_id = None
        cancelled_before_start: asyncio.CancelledError | None = None
        if self.executions is not None:
            insert = asyncio.ensure_future(asyncio.to_thread(
                self.executions.start, workflow_id=workflow_id, workflow_name=workflow.name,
                trigger=trigger, idempotency_key=key, payload=state.payload,
                started_at=started_at, job_id=job_id,
            ))
            try:
                execution_id = await asyncio.shield(insert)
            except asyncio.CancelledError as exc:
                # The row is being written in a thread: wait for it, so it can be finished as
                # cancelled instead of staying "running" forever.
                execution_id = await insert
                cancelled_before_start = exc
        self._publish(RunStarted(time=started_at, run_key=key, workflow_id=workflow_id,
                                 workflow_name=workflow.name, execution_id=execution_id,
                                 job_id=job_id))
        rss0 = _PROCESS.memory_info().rss
        state.peak_rss = rss0
        t0 = time.perf_counter()
        limit = self.default_timeout if timeout is None else timeout
        status: ExecutionStatus
        cancelled = False
        try:
            if cancelled_before_start is not None:
                raise cancelled_before_start
            async with asyncio.timeout(limit if limit and limit > 0 else None):
                await self._run_nodes(state, order)
            status = "failed" if state.failed_node else "completed"
        except TimeoutError:
            status = "timed_out"
            state.error = f"run exceeded its time limit of {limit:g} s"
            state.error_kind = "retryable"
            self._close_current(state, "failed", state.error)
        except asyncio.CancelledError as exc:
            cancelled = True
            message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else ""
            if message.startswith(FAIL_ON_CANCEL):
                # A limit stopped the run (e.g. memory): it failed for that reason.
                status, state.error_kind = "failed", "user"
                state.error = message[len(FAIL_ON_CANCEL):]
                self._close_current(state, "failed", state.error)
            else:
                status = "cancelled"
                state.error = "run was cancelled"
                self._close_current(state, "cancelled", state.error)
        total_ms = (time.perf_counter() - t0) * 1000.0
        result = self._result(state, order, status=status, started_at=started_at,
                              workflow_id=workflow_id, trigger=trigger, total_ms=total_ms,
                              memory_mb=max(0, state.peak_rss - rss0) / 1_048_576,
                              execution_id=execution_id)
        if self.executions is not None and execution_id is not None:
            await asyncio.shield(asyncio.to_thread(self.executions.finish, execution_id, result))
        self._publish(RunFinished(time=result.finished_at, run_key=key, result=result,
                                  job_id=job_id))
        if cancelled:
            raise asyncio.CancelledError
        return result

    async def _run_nodes(self, state: _RunState, order: list[str]) -> None:
        nodes = {n.id: n for n in state.workflow.nodes}
        incoming: dict[str, list[Any]] = {}
        for e in state.workflow.edges:
            incoming.setdefault(e.target_node, []).append(e)
        state.values.update({k: v for k, v in state.payload.items() if isinstance(k, str)})
        for node_id in order:
            node = nodes[node_id]
            impl = self.catalog.impl(node.type)
            assert impl is not None  # validated before the run
            if state.failed_node is not None:
                state.runs[node_id] = NodeRun(
                    node_id=node_id, node_type=node.type, status="skipped",
                    skip_reason=f"not run: node {state.failed_node!r} failed")
                continue
            inputs: dict[str, Any] = {}
            skip_reason = None
            for edge in incoming.get(node_id, ()):
                upstream = state.runs.get(edge.source_node)
                if upstream is None or upstream.status != "succeeded":
                    skip_reason = f"upstream node {edge.source_node!r} was skipped"
                    break
                value = state.outputs[edge.source_node].get(edge.source_port)
                inputs[edge.target_port] = value
                port = impl.spec.input(edge.target_port)
                if port is not None and port.gate and not is_truthy(value):
                    skip_reason = (f"condition {edge.source_node}.{edge.source_port} is false")
                    break
            if skip_reason is not None:
                state.runs[node_id] = NodeRun(node_id=node_id, node_type=node.type,
                                              status="skipped", skip_reason=skip_reason)
                self._publish(NodeFinished(time=self.clock.now(), run_key=state.key,
                                           node_run=state.runs[node_id]))
                continue
            params = {**impl.spec.default_params(), **node.params}
            # Templates say "{symbol}": the first symbol the run works on (payload first).
            symbol = params.get("symbol")
            if "symbol" not in state.values and isinstance(symbol, str) and symbol:
                state.values["symbol"] = symbol
            ctx = RunContext(node_id=node_id, params=params, inputs=inputs, market=self.market,
                             broker=self.broker, notifier=self.notifier, clock=self.clock,
                             payload=state.payload, values=state.values,
                             idempotency_key=state.key)
            state.current, state.current_started = node_id, self.clock.now()
            state.current_t0 = time.perf_counter()
            self._publish(NodeStarted(time=state.current_started, run_key=state.key,
                                      node_id=node_id))
            error: str | None = None
            kind: ErrorKind | None = None
            outputs: dict[str, Any] = {}
            try:
                outputs = await impl.run(ctx)
                missing = [p.name for p in impl.spec.outputs if p.name not in outputs]
                if missing:
                    error, kind = f"node produced no value for output {missing[0]!r}", "internal"
            except (TimeoutError, asyncio.CancelledError):
                raise
            except UserError as exc:
                error, kind = str(exc), "user"
            except RetryableError as exc:
                error, kind = str(exc), "retryable"
            except Exception as exc:  # a node bug must never escape into the loop
                log.exception("node %s (%s) crashed", node_id, node.type)
                error, kind = f"{type(exc).__name__}: {exc}", "internal"
            duration = (time.perf_counter() - state.current_t0) * 1000.0
            state.current = None
            rss = _PROCESS.memory_info().rss
            state.peak_rss = max(state.peak_rss, rss)
            if error is not None:
                state.failed_node, state.error, state.error_kind = node_id, error, kind
                run = NodeRun(node_id=node_id, node_type=node.type, status="failed",
                              started_at=state.current_started, duration_ms=duration, error=error)
            else:
                state.outputs[node_id] = outputs
                self._remember_values(state, node_id, impl.spec.outputs, outputs)
                run = NodeRun(node_id=node_id, node_type=node.type, status="succeeded",
                              started_at=state.current_started, duration_ms=duration,
                              output_summary={k: summarize(v) for k, v in outputs.items()})
            state.runs[node_id] = run
            self._publish(NodeFinished(time=self.clock.now(), run_key=state.key, node_run=run,
                                       outputs=outputs))

    @staticmethod
    def _remember_values(state: _RunState, node_id: str, ports: Any,
                         outputs: dict[str, Any]) -> None:
        first = True
        for port in ports:
            scalar = last_scalar(outputs.get(port.name))
            if first:
                state.values[node_id] = scalar
                first = False
            state.values[f"{node_id}.{port.name}"] = scalar

    def _close_current(self, state: _RunState, status: str, error: str) -> None:
        if state.current is None:
            return
        node = state.workflow.node(state.current)
        duration = (time.perf_counter() - state.current_t0) * 1000.0
        state.runs[state.current] = NodeRun(
            node_id=state.current, node_type=node.type if node else "?",
            status="failed" if status == "failed" else "cancelled",
            started_at=state.current_started, duration_ms=duration, error=error,
        )
        state.failed_node = state.failed_node or state.current
        state.current = None

    def _result(
        self, state: _RunState, order: list[str], *, status: ExecutionStatus,
        started_at: datetime, workflow_id: int | None, trigger: str, total_ms: float,
        memory_mb: float, execution_id: int | None,
    ) -> ExecutionResult:
        nodes = {n.id: n for n in state.workflow.nodes}
        runs = tuple(
            state.runs.get(i) or NodeRun(node_id=i, node_type=nodes[i].type, status="skipped",
                                         skip_reason="not run: the run ended first")
            for i in order
        )
        ran = [r for r in runs if r.status in ("succeeded", "failed", "cancelled")]
        metrics = ExecutionMetrics(
            total_nodes=len(runs),
            successful_nodes=sum(r.status == "succeeded" for r in runs),
            failed_nodes=sum(r.status == "failed" for r in runs),
            total_time_ms=total_ms,
            avg_node_time_ms=(sum(r.duration_ms for r in ran) / len(ran)) if ran else 0.0,
            memory_used_mb=memory_mb,
        )
        error = state.error
        if state.failed_node and status == "failed":
            error = f"node {state.failed_node!r} failed: {state.error}"
        return ExecutionResult(
            workflow_id=workflow_id, workflow_name=state.workflow.name, status=status,
            started_at=started_at, finished_at=self.clock.now(), node_runs=runs,
            metrics=metrics, idempotency_key=state.key, trigger=trigger,
            payload=state.payload, error=error, failed_node=state.failed_node,
            error_kind=state.error_kind if status != "completed" else None,
            execution_id=execution_id,
        )

    def _publish(self, event: Any) -> None:
        if self.events is not None:
            self.events.publish(event)
