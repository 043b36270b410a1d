"""Place Order and Close Position against the real paper broker on real SQLite: idempotent
re-runs, size/SL/TP from inputs, limit orders, closing by symbol and side."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentic_desktop.brokers.paper import PaperBroker
from agentic_desktop.domain.errors import UserError
from agentic_desktop.engine.executor import client_order_id
from agentic_desktop.store import SqlPaperLedger, open_database

from .fakes import RecordingBroker, World, run_of, statuses, workflow


@pytest.fixture
def world(data_dir: Path) -> World:
    w = World()
    w.broker = PaperBroker(w.market, SqlPaperLedger(open_database(data_dir)), w.clock)
    return w


def _buy_workflow(**params) -> object:
    return workflow(
        {"size": ("risk.position_size", {"stop_distance": 0.0020, "risk_percent": 1.0}),
         "stop": ("risk.stop_loss", {"mode": "price", "distance": 0.0020}),
         "tp": ("risk.take_profit", {"mode": "r_multiple", "r_multiple": 2.0}),
         "buy": ("order.place", {"symbol": "EURUSD", "side": "buy", **params})},
        ["size.volume -> buy.volume", "stop.stop_price -> buy.stop_loss",
         "stop.distance -> tp.stop_distance", "tp.take_profit -> buy.take_profit"],
    )


@pytest.mark.asyncio
async def test_market_order_with_size_sl_tp_from_the_risk_nodes(world: World) -> None:
    result = await world.run(_buy_workflow(comment="rsi dip"), idempotency_key="job-1")
    assert result.ok, result.error
    order = world.outputs["buy"]["order"]
    assert order.status == "filled" and world.outputs["buy"]["status"] == "filled"
    assert order.volume == 0.5
    assert order.stop_loss == pytest.approx(1.0982)
    assert order.take_profit == pytest.approx(1.1042)
    assert order.comment == "rsi dip"
    assert order.client_order_id == client_order_id("job-1", "buy")
    assert world.outputs["buy"]["fill_price"] == pytest.approx(order.fill_price)
    assert run_of(result, "buy").output_summary["order"]["existing"] is False
    positions = await world.broker.positions()
    assert [(p.symbol, p.side, p.volume) for p in positions] == [("EURUSD", "buy", 0.5)]


@pytest.mark.asyncio
async def test_rerunning_the_same_job_finds_the_order_instead_of_placing_another(
        world: World) -> None:
    first = await world.run(_buy_workflow(), idempotency_key="job-7")
    again = await world.run(_buy_workflow(), idempotency_key="job-7")
    assert first.ok and again.ok
    assert world.outputs["buy"]["order"].existing is True
    assert len(await world.broker.positions()) == 1
    assert len(await world.broker.recent_orders()) == 1
    other = await world.run(_buy_workflow(), idempotency_key="job-8")
    assert other.ok
    assert len(await world.broker.positions()) == 2


@pytest.mark.asyncio
async def test_limit_order_needs_a_price_and_stays_pending(world: World) -> None:
    wf = workflow({"buy": ("order.place", {"order_type": "limit", "volume": 0.1})}, [])
    result = await world.run(wf)
    assert result.failed_node == "buy" and result.error_kind == "user"
    assert "needs param 'price'" in (result.error or "")
    wf = workflow({"buy": ("order.place", {"order_type": "limit", "volume": 0.1,
                                           "price": 1.0900})}, [])
    result = await world.run(wf)
    assert result.ok, result.error
    order = world.outputs["buy"]["order"]
    assert (order.type, order.status, order.price) == ("limit", "pending", 1.09)
    assert world.outputs["buy"]["fill_price"] != world.outputs["buy"]["fill_price"]  # NaN


@pytest.mark.asyncio
async def test_bad_volume_is_a_user_error(world: World) -> None:
    w = world
    with pytest.raises(UserError, match="order volume must be greater than 0"):
        await w.call("order.place", params={"volume": 0.0})
    with pytest.raises(UserError, match="input 'volume' must be a number"):
        await w.call("order.place", inputs={"volume": "lots"})


@pytest.mark.asyncio
async def test_a_rejected_order_fails_the_node_with_the_reason() -> None:
    w = World(broker=RecordingBroker(reject_reason="not enough margin"))
    with pytest.raises(UserError, match="rejected .* not enough margin"):
        await w.call("order.place")


@pytest.mark.asyncio
async def test_false_gate_places_nothing(world: World) -> None:
    wf = workflow({"price": ("market.price", {"symbol": "EURUSD"}),
                   "high": ("condition.compare", {"operator": ">", "value": 2.0}),
                   "buy": ("order.place", {"volume": 0.1})},
                  ["price.price -> high.a", "high.result -> buy.when"])
    result = await world.run(wf)
    assert statuses(result)["buy"] == "skipped"
    assert await world.broker.recent_orders() == []


@pytest.mark.asyncio
async def test_close_position_by_symbol_and_side(world: World) -> None:
    for i, (symbol, side) in enumerate([("EURUSD", "buy"), ("EURUSD", "sell"),
                                        ("XAUUSD", "buy")]):
        wf = workflow({"o": ("order.place", {"symbol": symbol, "side": side,
                                             "volume": 0.1})}, [])
        assert (await world.run(wf, idempotency_key=f"open-{i}")).ok
    close = workflow({"close": ("order.close", {"symbol": "EURUSD", "side": "buy"})}, [])
    result = await world.run(close, idempotency_key="close-1")
    assert result.ok, result.error
    assert world.outputs["close"]["closed"] == 1.0
    left = sorted((p.symbol, p.side) for p in await world.broker.positions())
    assert left == [("EURUSD", "sell"), ("XAUUSD", "buy")]
    # a re-run of the same job closes nothing more
    assert (await world.run(close, idempotency_key="close-1")).ok
    assert len(await world.broker.positions()) == 2
    # '' and any: everything
    everything = workflow({"close": ("order.close", {})}, [])
    assert (await world.run(everything, idempotency_key="close-2")).ok
    assert world.outputs["close"]["closed"] == 2.0
    assert await world.broker.positions() == []


@pytest.mark.asyncio
async def test_close_position_passes_filters_and_a_deterministic_id() -> None:
    w = World()
    await w.call("order.close", params={"symbol": "EURUSD", "side": "sell"}, key="k")
    await w.call("order.close", params={"symbol": "", "side": "any"}, key="k")
    assert w.broker.close_calls == [
        {"client_order_id": client_order_id("k", "n"), "symbol": "EURUSD", "side": "sell"},
        {"client_order_id": client_order_id("k", "n"), "symbol": None, "side": None},
    ]
    with pytest.raises(UserError, match="unknown symbol 'EURUDS'"):
        await w.call("order.close", params={"symbol": "EURUDS"})
