from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from agentic_desktop.domain.errors import ValidationError
from agentic_desktop.domain.workflow import Edge, Node, Workflow
from agentic_desktop.engine.events import EventBus, NodeFinished, RunFinished, RunStarted
from agentic_desktop.engine.executor import Executor, client_order_id
from tests.engine.graph_kit import chain, kit_registry


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        import time
        return time.monotonic()


def make_executor(events: EventBus | None = None) -> Executor:
    # These test nodes never touch the market, broker or notifier.
    edge: Any = object()
    return Executor(catalog=kit_registry(), market=edge, broker=edge, notifier=edge,
                    clock=_Clock(), events=events)


@pytest.mark.asyncio
async def test_runs_in_topological_order_and_records_each_node() -> None:
    w = chain("t.const", "t.add", "t.add", params={"n0": {"value": 2.0}})
    # file order reversed: the executor must still run n0 first
    w = Workflow(name=w.name, nodes=tuple(reversed(w.nodes)), edges=w.edges)
    result = await make_executor().run(w)
    assert result.status == "completed" and result.ok
    assert [r.node_id for r in result.node_runs] == ["n0", "n1", "n2"]
    assert result.node_runs[-1].output_summary == {"sum": 2.0}
    assert all(r.status == "succeeded" and r.started_at for r in result.node_runs)
    m = result.metrics
    assert (m.total_nodes, m.successful_nodes, m.failed_nodes) == (3, 3, 0)
    assert m.total_time_ms > 0 and m.avg_node_time_ms >= 0


@pytest.mark.asyncio
async def test_false_gate_skips_node_and_everything_downstream() -> None:
    w = Workflow(name="g", nodes=(
        Node(id="k", type="t.const", params={"value": 1.0}),
        Node(id="cond", type="t.gt", params={"than": 5.0}),
        Node(id="act", type="t.add"),
        Node(id="after", type="t.add"),
        Node(id="other", type="t.add"),
    ), edges=(
        Edge(source_node="k", source_port="value", target_node="cond", target_port="a"),
        Edge(source_node="k", source_port="value", target_node="act", target_port="a"),
        Edge(source_node="cond", source_port="result", target_node="act", target_port="when"),
        Edge(source_node="act", source_port="sum", target_node="after", target_port="a"),
        Edge(source_node="k", source_port="value", target_node="other", target_port="a"),
    ))
    result = await make_executor().run(w)
    by = {r.node_id: r for r in result.node_runs}
    assert result.status == "completed"
    assert by["act"].status == "skipped" and "cond.result is false" in (by["act"].skip_reason or "")
    assert by["after"].status == "skipped" and "'act' was skipped" in (by["after"].skip_reason or "")
    assert by["other"].status == "succeeded"
    # and with the condition true the gated node runs
    w2 = Workflow(name="g", nodes=tuple(
        Node(id=n.id, type=n.type, params={"than": 0.0}) if n.id == "cond" else n for n in w.nodes),
        edges=w.edges)
    result2 = await make_executor().run(w2)
    assert {r.node_id: r.status for r in result2.node_runs}["after"] == "succeeded"


@pytest.mark.asyncio
@pytest.mark.parametrize("kind, error_kind, fragment", [
    ("user", "user", "param 'x' is wrong"),
    ("retryable", "retryable", "broker unreachable"),
    ("bug", "internal", "ZeroDivisionError"),
    ("missing", "internal", "no value for output 'out'"),
])
async def test_failing_node_fails_run_naming_the_node(kind: str, error_kind: str, fragment: str) -> None:
    w = chain("t.const", "t.fail", "t.sleep", params={"n1": {"kind": kind}})
    result = await make_executor().run(w)
    assert result.status == "failed"
    assert result.failed_node == "n1" and result.error_kind == error_kind
    assert "node 'n1' failed" in (result.error or "") and fragment in (result.error or "")
    by = {r.node_id: r for r in result.node_runs}
    assert by["n1"].status == "failed" and fragment in (by["n1"].error or "")
    assert by["n2"].status == "skipped"
    assert result.metrics.failed_nodes == 1


@pytest.mark.asyncio
async def test_timeout_ends_the_run_timed_out_inside_a_node() -> None:
    w = chain("t.const", "t.sleep", params={"n1": {"seconds": 5.0}})
    t0 = asyncio.get_running_loop().time()
    result = await make_executor().run(w, timeout=0.1)
    assert asyncio.get_running_loop().time() - t0 < 2.0
    assert result.status == "timed_out"
    assert {r.node_id: r.status for r in result.node_runs} == {"n0": "succeeded", "n1": "failed"}


@pytest.mark.asyncio
async def test_cancellation_is_recorded_then_propagates() -> None:
    bus = EventBus()
    finished: list[RunFinished] = []
    bus.subscribe(lambda e: finished.append(e), RunFinished)  # type: ignore[arg-type,func-returns-value]
    w = chain("t.const", "t.sleep", params={"n1": {"seconds": 5.0}})
    task = asyncio.create_task(make_executor(bus).run(w))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished and finished[0].result.status == "cancelled"
    assert {r.node_id: r.status for r in finished[0].result.node_runs}["n1"] == "cancelled"


@pytest.mark.asyncio
async def test_invalid_workflow_is_refused_before_running() -> None:
    w = Workflow(name="bad", nodes=(Node(id="a", type="t.add"),))
    with pytest.raises(ValidationError) as info:
        await make_executor().run(w)
    assert "node 'a', port 'a'" in str(info.value)


@pytest.mark.asyncio
async def test_client_order_id_is_stable_per_job_and_node() -> None:
    w = chain("t.orderid")
    a = await make_executor().run(w, idempotency_key="job:7")
    b = await make_executor().run(w, idempotency_key="job:7")
    c = await make_executor().run(w, idempotency_key="job:8")
    ida = a.node_runs[0].output_summary["id"]
    assert ida == b.node_runs[0].output_summary["id"] == client_order_id("job:7", "n0")
    assert ida != c.node_runs[0].output_summary["id"]
    manual1 = await make_executor().run(w)
    manual2 = await make_executor().run(w)
    assert manual1.idempotency_key != manual2.idempotency_key


@pytest.mark.asyncio
async def test_events_are_published_in_order() -> None:
    bus = EventBus()
    seen: list[str] = []
    bus.subscribe(lambda e: seen.append(type(e).__name__))
    # a crashing subscriber must not break the run
    bus.subscribe(lambda e: 1 / 0, NodeFinished)  # type: ignore[arg-type,return-value]
    result = await make_executor(bus).run(chain("t.const", "t.add"))
    assert result.ok
    assert seen == ["RunStarted", "NodeStarted", "NodeFinished", "NodeStarted", "NodeFinished",
                    "RunFinished"]
    assert RunStarted.__name__ in seen


@pytest.mark.asyncio
async def test_cancel_with_fail_reason_records_a_failed_run() -> None:
    from agentic_desktop.engine.executor import FAIL_ON_CANCEL

    bus = EventBus()
    finished: list[RunFinished] = []
    bus.subscribe(lambda e: finished.append(e), RunFinished)  # type: ignore[arg-type,func-returns-value]
    w = chain("t.const", "t.sleep", params={"n1": {"seconds": 5.0}})
    task = asyncio.create_task(make_executor(bus).run(w))
    await asyncio.sleep(0.05)
    task.cancel(FAIL_ON_CANCEL + "memory limit of 50 MB exceeded (used 80 MB)")
    with pytest.raises(asyncio.CancelledError):
        await task
    result = finished[0].result
    assert result.status == "failed" and result.error_kind == "user"
    assert "memory limit of 50 MB exceeded" in (result.error or "")
    assert {r.node_id: r.status for r in result.node_runs}["n1"] == "failed"


class _SlowStartRepo:
    """An execution repository whose insert takes a while, like a busy disk."""

    def __init__(self) -> None:
        self.rows: dict[int, str] = {}

    def start(self, **kwargs: Any) -> int:
        import time
        time.sleep(0.3)
        self.rows[1] = "running"
        return 1

    def finish(self, execution_id: int, result: Any) -> None:
        self.rows[execution_id] = result.status


@pytest.mark.asyncio
async def test_cancel_while_the_execution_row_is_written_still_finishes_it() -> None:
    repo = _SlowStartRepo()
    edge: Any = object()
    executor = Executor(catalog=kit_registry(), market=edge, broker=edge, notifier=edge,
                        clock=_Clock(), executions=repo)  # type: ignore[arg-type]
    task = asyncio.create_task(executor.run(chain("t.const")))
    await asyncio.sleep(0.05)  # the insert is in flight in its thread
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert repo.rows == {1: "cancelled"}
