"""The edge of the world for node tests: a market with fixed quotes and bars, a broker that
records orders (idempotent on client_order_id, like the paper broker), a notifier that
records messages, and a fixed clock. Plus a small workflow builder and runner."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from agentic_desktop.domain.runs import ExecutionResult
from agentic_desktop.domain.trading import (
    AccountSnapshot,
    Candles,
    Notification,
    Order,
    OrderRequest,
    Position,
    Side,
)
from agentic_desktop.domain.workflow import Edge, Node, Workflow
from agentic_desktop.engine.events import EventBus, NodeFinished
from agentic_desktop.engine.executor import Executor, RunContext
from agentic_desktop.market.scripted import ScriptedMarket
from agentic_desktop.nodes.registry import build_catalog

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
CATALOG = build_catalog()

class FixedClock:
    def __init__(self, now: datetime = NOW) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return 1000.0


def make_candles(close: Any, *, symbol: str = "EURUSD", timeframe: str = "H1",
                 start: int = 1_700_000_000, step: int = 3600, spread: float = 0.001) -> Candles:
    close = np.asarray(close, dtype=np.float64)
    open_ = np.concatenate((close[:1], close[:-1]))
    high = np.maximum(open_, close) + spread * (1 + np.abs(np.sin(np.arange(close.size))))
    low = np.minimum(open_, close) - spread * (1 + np.abs(np.cos(np.arange(close.size))))
    return Candles(symbol=symbol, timeframe=timeframe,
                   time=start + step * np.arange(close.size, dtype=np.int64),
                   open=open_, high=high, low=low, close=close,
                   volume=np.full(close.size, 100.0))


def random_walk(n: int, seed: int = 7, start: float = 1.1, vol: float = 0.002) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(0.0, vol, n)))


def scripted_market(clock: FixedClock) -> ScriptedMarket:
    """The committed scripted market (simulated underneath) with fixed quotes."""
    market = ScriptedMarket(clock)
    market.set_price("EURUSD", 1.1000, 1.1002)
    market.set_price("USDJPY", 149.99, 150.01)
    market.set_price("XAUUSD", 2350.0, 2350.5)
    return market


@dataclass
class RecordingBroker:
    snapshot: AccountSnapshot = field(default_factory=lambda: AccountSnapshot(
        balance=10_000.0, equity=10_000.0, margin=0.0, currency="USD", peak_equity=10_000.0))
    orders: dict[str, Order] = field(default_factory=dict)
    close_calls: list[dict[str, Any]] = field(default_factory=list)
    reject_reason: str = ""
    fill_price: float = 1.1002

    async def account(self) -> AccountSnapshot:
        return self.snapshot

    async def place_order(self, request: OrderRequest) -> Order:
        if request.client_order_id in self.orders:
            return replace(self.orders[request.client_order_id], existing=True)
        filled = request.type == "market" and not self.reject_reason
        order = Order(
            id=len(self.orders) + 1, client_order_id=request.client_order_id,
            symbol=request.symbol, side=request.side, volume=request.volume,
            type=request.type, status="rejected" if self.reject_reason else
            ("filled" if filled else "pending"),
            created_at=NOW, price=request.price, stop_loss=request.stop_loss,
            take_profit=request.take_profit, fill_price=self.fill_price if filled else None,
            filled_at=NOW if filled else None, reason=self.reject_reason,
            comment=request.comment,
        )
        self.orders[request.client_order_id] = order
        return order

    async def close_positions(self, *, client_order_id: str, symbol: str | None = None,
                              side: Side | None = None) -> list[Order]:
        self.close_calls.append({"client_order_id": client_order_id, "symbol": symbol,
                                 "side": side})
        matching = [p for p in self.snapshot.positions
                    if (symbol is None or p.symbol == symbol) and (side is None or p.side == side)]
        closing = []
        for p in matching:
            cid = f"{client_order_id}:close:{p.id}"
            if cid not in self.orders:
                self.orders[cid] = Order(
                    id=len(self.orders) + 1, client_order_id=cid, symbol=p.symbol,
                    side="sell" if p.side == "buy" else "buy", volume=p.volume, type="market",
                    status="filled", created_at=NOW, fill_price=p.open_price, filled_at=NOW)
            closing.append(self.orders[cid])
        return closing

    async def positions(self) -> list[Position]:
        return list(self.snapshot.positions)

    async def recent_orders(self, limit: int = 20) -> list[Order]:
        return list(self.orders.values())[-limit:]

    async def on_quotes(self) -> list[Order]:
        return []


@dataclass
class RecordingNotifier:
    sent: list[Notification] = field(default_factory=list)
    failing: tuple[str, ...] = ()

    async def notify(self, notification: Notification) -> list[str]:
        self.sent.append(notification)
        return [c for c in notification.channels if c in self.failing]


def position(symbol: str = "EURUSD", side: Side = "buy", volume: float = 0.1,
             pnl: float = 0.0, pid: int = 1) -> Position:
    return Position(id=pid, symbol=symbol, side=side, volume=volume, open_price=1.1,
                    opened_at=NOW, unrealized_pnl=pnl)


@dataclass
class World:
    clock: FixedClock = field(default_factory=FixedClock)
    market: ScriptedMarket = None  # type: ignore[assignment]
    broker: Any = field(default_factory=RecordingBroker)
    notifier: RecordingNotifier = field(default_factory=RecordingNotifier)
    # Raw outputs of the last runs' nodes, by node id (from the engine's NodeFinished events).
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.market is None:
            self.market = scripted_market(self.clock)

    def set_bars(self, candles: Candles) -> None:
        self.market.set_candles(candles.symbol, candles.timeframe, candles)

    def executor(self) -> Executor:
        bus = EventBus()
        bus.subscribe(self._record, NodeFinished)
        return Executor(catalog=CATALOG, market=self.market, broker=self.broker,
                        notifier=self.notifier, clock=self.clock, events=bus)

    def _record(self, event: Any) -> None:
        if event.node_run.status == "succeeded":
            self.outputs[event.node_run.node_id] = event.outputs

    async def run(self, workflow: Workflow, **kw: Any) -> ExecutionResult:
        return await self.executor().run(workflow, **kw)

    def ctx(self, node_id: str = "n", *, params: dict[str, Any] | None = None,
            inputs: dict[str, Any] | None = None, type_id: str | None = None,
            values: dict[str, Any] | None = None, payload: dict[str, Any] | None = None,
            key: str = "test-key") -> RunContext:
        merged = dict(params or {})
        if type_id is not None:
            spec = CATALOG.get(type_id)
            assert spec is not None
            merged = {**spec.default_params(), **merged}
        return RunContext(node_id=node_id, params=merged, inputs=dict(inputs or {}),
                          market=self.market, broker=self.broker, notifier=self.notifier,
                          clock=self.clock, payload=dict(payload or {}),
                          values=dict(values or {}), idempotency_key=key)

    async def call(self, type_id: str, *, params: dict[str, Any] | None = None,
                   inputs: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        impl = CATALOG.impl(type_id)
        assert impl is not None, type_id
        return await impl.run(self.ctx(params=params, inputs=inputs, type_id=type_id, **kw))


def workflow(nodes: dict[str, tuple[str, dict[str, Any]]], edges: list[str],
             name: str = "test") -> Workflow:
    """nodes: id → (type, params); edges: "src.port -> dst.port"."""
    parsed = []
    for text in edges:
        left, right = (s.strip() for s in text.split("->"))
        (sn, sp), (tn, tp) = left.split(".", 1), right.split(".", 1)
        parsed.append(Edge(source_node=sn, source_port=sp, target_node=tn, target_port=tp))
    return Workflow(name=name, edges=tuple(parsed),
                    nodes=tuple(Node(id=i, type=t, params=p) for i, (t, p) in nodes.items()))


def statuses(result: ExecutionResult) -> dict[str, str]:
    return {r.node_id: r.status for r in result.node_runs}


def run_of(result: ExecutionResult, node_id: str) -> Any:
    return next(r for r in result.node_runs if r.node_id == node_id)


def first_valid(values: np.ndarray) -> int:
    idx = np.flatnonzero(~np.isnan(values))
    return int(idx[0]) if len(idx) else -1


def isclose(a: float, b: float, rel: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)
