"""The catalog declares exactly the trading nodes, each fully described, and the market
nodes read quotes and the account."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agentic_desktop.domain.nodespec import CATEGORIES

from .fakes import CATALOG, World, position

TYPE_IDS = {
    "market.price", "market.candles", "market.account",
    "indicator.sma", "indicator.ema", "indicator.rsi", "indicator.macd", "indicator.bbands",
    "risk.position_size", "risk.stop_loss", "risk.take_profit", "risk.max_drawdown",
    "risk.exposure_limit", "condition.compare", "condition.logic", "order.place", "order.close",
    "notify.message",
}
ACTIONS = {"risk.position_size", "risk.stop_loss", "risk.take_profit", "order.place",
           "order.close", "notify.message"}


def test_catalog_has_the_trading_nodes_fully_described() -> None:
    specs = {s.type_id: s for s in CATALOG.specs() if not s.is_trigger}
    assert TYPE_IDS <= set(specs)
    for type_id in TYPE_IDS:
        spec = specs[type_id]
        assert spec.category in CATEGORIES
        assert spec.title and spec.description, type_id
        for item in (*spec.params, *spec.inputs, *spec.outputs):
            assert item.help, (type_id, item.name)
        for p in spec.params:
            if p.kind == "symbol":
                assert p.default == "EURUSD"
            if p.kind == "timeframe":
                assert p.default == "H1"
            if p.default is not None:
                assert p.check(p.default) is None, (type_id, p.name)
        gate = spec.input("when")
        if type_id in ACTIONS:
            assert gate is not None and gate.gate and not gate.required
            assert gate.type == "signal" and gate.accepts == ("bool",)
        if spec.summary:
            described = spec.describe({})
            assert described and "?" not in described, (type_id, described)


def test_guards_output_ok_and_reason() -> None:
    for type_id in ("risk.max_drawdown", "risk.exposure_limit"):
        spec = CATALOG.get(type_id)
        assert spec is not None
        assert spec.outputs[0].name == "ok" and spec.outputs[0].type == "signal"
        assert spec.output("reason") is not None


@pytest.mark.asyncio
async def test_price_node_outputs_every_side_of_the_quote() -> None:
    w = World()  # EURUSD 1.1000 / 1.1002
    out = await w.call("market.price", params={"source": "ask"})
    assert out["price"] == 1.1002
    assert (out["bid"], out["ask"]) == (1.1000, 1.1002)
    assert out["mid"] == pytest.approx(1.1001) and out["last"] == pytest.approx(1.1001)
    out = await w.call("market.price", params={"symbol": "XAUUSD", "source": "bid"})
    assert out["price"] == 2350.0


@pytest.mark.asyncio
async def test_account_node_reads_the_broker() -> None:
    w = World()
    w.broker.snapshot = replace(w.broker.snapshot, equity=10_250.0, margin=110.0,
                                positions=(position(pid=1), position(pid=2)))
    out = await w.call("market.account")
    assert out["account"] is w.broker.snapshot
    assert (out["balance"], out["equity"], out["margin"], out["open_positions"]) == (
        10_000.0, 10_250.0, 110.0, 2.0)
