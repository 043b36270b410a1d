"""Risk nodes: fixed-fractional sizing (rounding down to the lot step, clamping), stop and
target modes, and the guards blocking everything downstream."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.trading import AccountSnapshot
from agentic_desktop.nodes import riskmath

from .fakes import World, make_candles, position, random_walk, run_of, statuses, workflow

ACCOUNT = AccountSnapshot(balance=10_000.0, equity=10_000.0, margin=0.0, currency="USD",
                          peak_equity=10_000.0)


# -- Position Size ----------------------------------------------------------------------

@pytest.mark.parametrize("stop,risk,expected", [
    (0.0020, 1.0, 0.50),    # 100 USD / (0.0020 × 100 000) = 0.5 lots
    (0.0030, 1.0, 0.33),    # 0.3333… rounds DOWN to the 0.01 step
    (0.0015, 1.0, 0.66),    # 0.6666… → 0.66, never 0.67
    (0.0001, 50.0, 100.0),  # 500 lots clamps to the symbol's max
    (0.5, 0.01, 0.01),      # 0.00002 lots clamps up to the minimum lot
])
@pytest.mark.asyncio
async def test_position_size_rounds_down_and_clamps(stop: float, risk: float,
                                                    expected: float) -> None:
    w = World()
    out = await w.call("risk.position_size", params={"risk_percent": risk},
                       inputs={"stop_distance": stop, "account": ACCOUNT})
    assert out["volume"] == expected
    assert out["risk_amount"] == pytest.approx(expected * stop * 100_000)


@pytest.mark.asyncio
async def test_position_size_param_fallback_user_limits_and_broker_account() -> None:
    w = World()  # no account input: the broker's snapshot (equity 10 000)
    out = await w.call("risk.position_size",
                       params={"stop_distance": 0.0020, "max_volume": 0.3})
    assert out["volume"] == 0.3
    out = await w.call("risk.position_size", params={"stop_distance": 0.05, "min_volume": 0.1})
    assert out["volume"] == 0.1  # 0.02 raised to the user's minimum
    # the input wins over the param
    out = await w.call("risk.position_size", params={"stop_distance": 0.05},
                       inputs={"stop_distance": 0.0020})
    assert out["volume"] == 0.5
    # gold: contract 100, step 0.01
    out = await w.call("risk.position_size", params={"symbol": "XAUUSD"},
                       inputs={"stop_distance": 15.0})
    assert out["volume"] == 0.06  # 100 / 1500 = 0.0667 → 0.06


@pytest.mark.asyncio
async def test_position_size_converts_the_quote_currency_like_the_paper_broker() -> None:
    w = World()  # USDJPY mid 150.00, USD account
    out = await w.call("risk.position_size", params={"symbol": "USDJPY"},
                       inputs={"stop_distance": 0.5, "account": ACCOUNT})
    # 0.5 JPY × 100 000 = 50 000 JPY per lot = 333.33 USD → 100 USD risk = 0.30 lots
    assert out["volume"] == 0.3
    assert out["risk_amount"] == pytest.approx(0.3 * 0.5 * 100_000 / 150.0)


@pytest.mark.asyncio
async def test_position_size_errors_name_the_fix() -> None:
    w = World()
    with pytest.raises(UserError, match="connect Stop Loss 'distance'"):
        await w.call("risk.position_size")
    with pytest.raises(UserError, match="min_volume"):
        await w.call("risk.position_size", params={"stop_distance": 0.002, "min_volume": 2.0,
                                                   "max_volume": 1.0})
    broke = replace(ACCOUNT, equity=0.0)
    with pytest.raises(UserError, match="nothing to risk"):
        await w.call("risk.position_size", params={"stop_distance": 0.002},
                     inputs={"account": broke})
    with pytest.raises(UserError, match="NaN"):
        await w.call("risk.position_size", inputs={"stop_distance": float("nan")})


def test_round_down_to_step_is_robust_to_float_noise() -> None:
    assert riskmath.round_down_to_step(0.3, 0.1) == 0.3
    assert riskmath.round_down_to_step(0.29999999, 0.01) == 0.29
    assert riskmath.round_down_to_step(1.0, 0.01) == 1.0
    assert riskmath.round_down_to_step(7.0, 0.5) == 7.0
    assert riskmath.round_down_to_step(7.49, 0.5) == 7.0


# -- Stop Loss / Take Profit ------------------------------------------------------------

@pytest.mark.asyncio
async def test_stop_loss_percent_and_price_modes_use_ask_for_buy_bid_for_sell() -> None:
    w = World()  # EURUSD 1.1000 / 1.1002
    out = await w.call("risk.stop_loss", params={"mode": "percent", "distance": 1.0})
    assert out["distance"] == pytest.approx(0.011002)
    assert out["stop_price"] == pytest.approx(1.08920)  # 1.1002 - 0.011002, 5 digits
    out = await w.call("risk.stop_loss", params={"side": "sell", "mode": "price",
                                                 "distance": 0.0020})
    assert out["stop_price"] == pytest.approx(1.1020)
    assert out["distance"] == pytest.approx(0.0020)
    out = await w.call("risk.stop_loss", params={"mode": "price", "distance": 0.0050},
                       inputs={"entry": 1.2})
    assert out["stop_price"] == pytest.approx(1.1950)


@pytest.mark.asyncio
async def test_stop_loss_atr_mode_is_atr_multiple_of_the_last_bar() -> None:
    w = World()
    bars = make_candles(random_walk(100, seed=2))
    out = await w.call("risk.stop_loss",
                       params={"mode": "atr", "atr_period": 14, "atr_multiple": 1.5},
                       inputs={"candles": bars, "entry": 1.1})
    atr = riskmath.atr(bars.high, bars.low, bars.close, 14)[-1]
    assert out["distance"] == pytest.approx(1.5 * atr, rel=1e-12)
    assert out["stop_price"] == pytest.approx(round(1.1 - 1.5 * atr, 5))
    with pytest.raises(UserError, match="needs candles"):
        await w.call("risk.stop_loss", params={"mode": "atr"})
    with pytest.raises(UserError, match="ATR period 14 needs at least 15 bars, got 10"):
        await w.call("risk.stop_loss", params={"mode": "atr"},
                     inputs={"candles": make_candles(random_walk(10))})


@pytest.mark.asyncio
async def test_stop_price_below_zero_is_refused() -> None:
    w = World()
    with pytest.raises(UserError, match="lower param 'distance'"):
        await w.call("risk.stop_loss", params={"mode": "percent", "distance": 100.0})


@pytest.mark.asyncio
async def test_take_profit_modes() -> None:
    w = World()
    out = await w.call("risk.take_profit", params={"mode": "r_multiple", "r_multiple": 2.0},
                       inputs={"stop_distance": 0.0020})
    assert out["take_profit"] == pytest.approx(1.1042)  # ask 1.1002 + 2 × 0.0020
    assert out["distance"] == pytest.approx(0.0040)
    out = await w.call("risk.take_profit", params={"side": "sell", "mode": "price",
                                                   "distance": 0.0030})
    assert out["take_profit"] == pytest.approx(1.0970)  # bid 1.1000 - 0.0030
    out = await w.call("risk.take_profit", params={"mode": "percent", "distance": 2.0},
                       inputs={"entry": 100.0, "stop_distance": 1.0})
    assert out["take_profit"] == pytest.approx(102.0)
    with pytest.raises(UserError, match="connect Stop Loss 'distance'"):
        await w.call("risk.take_profit", params={"mode": "r_multiple"})


@pytest.mark.asyncio
async def test_stop_size_target_chain_through_the_executor() -> None:
    w = World()
    w.set_bars(make_candles(random_walk(200, seed=4)))
    wf = workflow(
        {"c": ("market.candles", {"symbol": "EURUSD"}),
         "stop": ("risk.stop_loss", {"mode": "atr", "atr_multiple": 2.0}),
         "size": ("risk.position_size", {"risk_percent": 1.0}),
         "tp": ("risk.take_profit", {"mode": "r_multiple", "r_multiple": 3.0})},
        ["c.candles -> stop.candles", "stop.distance -> size.stop_distance",
         "stop.distance -> tp.stop_distance"],
    )
    result = await w.run(wf)
    assert result.ok, result.error
    dist = w.outputs["stop"]["distance"]
    assert w.outputs["size"]["volume"] == riskmath.round_down_to_step(
        100.0 / (dist * 100_000), 0.01)
    assert w.outputs["tp"]["take_profit"] == pytest.approx(round(1.1002 + 3 * dist, 5))


# -- guards -----------------------------------------------------------------------------

@pytest.mark.parametrize("equity,ok", [(10_000.0, True), (9_000.0, True), (8_999.0, False)])
@pytest.mark.asyncio
async def test_max_drawdown_guard(equity: float, ok: bool) -> None:
    w = World()
    acct = replace(ACCOUNT, equity=equity)
    out = await w.call("risk.max_drawdown", params={"max_drawdown_percent": 10.0},
                       inputs={"account": acct})
    assert out["ok"] is ok
    assert out["drawdown_percent"] == pytest.approx((10_000 - equity) / 100)
    assert ("exceeds the 10% limit" in out["reason"]) is not ok


@pytest.mark.asyncio
async def test_exposure_limit_checks() -> None:
    w = World()
    base = dict(max_open_positions=3, max_volume_per_symbol=1.0, daily_loss_limit=500.0)
    out = await w.call("risk.exposure_limit", params=base, inputs={"account": ACCOUNT})
    assert out == {"ok": True, "reason": "within limits"}
    three = replace(ACCOUNT, positions=tuple(position(pid=i, volume=0.1) for i in range(3)))
    out = await w.call("risk.exposure_limit", params=base, inputs={"account": three})
    assert not out["ok"] and "3 open positions" in out["reason"]
    # per symbol: 0.9 lots open, 0.2 more would exceed 1.0; 0.1 more is fine
    heavy = replace(ACCOUNT, positions=(position(volume=0.9),))
    out = await w.call("risk.exposure_limit", params=base,
                       inputs={"account": heavy, "volume": 0.2})
    assert not out["ok"] and "EURUSD has 0.9 lots open + 0.2 new" in out["reason"]
    out = await w.call("risk.exposure_limit", params=base,
                       inputs={"account": heavy, "volume": 0.1})
    assert out["ok"]
    # the symbol filter only looks at that symbol
    out = await w.call("risk.exposure_limit", params={**base, "symbol": "XAUUSD"},
                       inputs={"account": three})
    assert out["ok"]
    # daily loss: realized today + open
    losing = replace(ACCOUNT, realized_pnl_today=-300.0, positions=(position(pnl=-250.0),))
    out = await w.call("risk.exposure_limit", params=base, inputs={"account": losing})
    assert not out["ok"] and "today's loss 550.00 USD" in out["reason"]
    out = await w.call("risk.exposure_limit", params={**base, "daily_loss_limit": 0.0},
                       inputs={"account": losing})
    assert out["ok"]  # 0 turns the check off


@pytest.mark.asyncio
async def test_guard_ok_false_blocks_everything_downstream() -> None:
    w = World()
    w.broker.snapshot = replace(ACCOUNT, equity=8_000.0)  # 20% below the peak
    wf = workflow(
        {"acct": ("market.account", {}),
         "dd": ("risk.max_drawdown", {"max_drawdown_percent": 10.0}),
         "size": ("risk.position_size", {"stop_distance": 0.002}),
         "buy": ("order.place", {"symbol": "EURUSD"}),
         "tell": ("notify.message", {"message": "bought"})},
        ["acct.account -> dd.account", "dd.ok -> size.when", "size.volume -> buy.volume",
         "buy.order -> tell.value"],
    )
    result = await w.run(wf)
    assert result.ok
    assert statuses(result) == {"acct": "succeeded", "dd": "succeeded", "size": "skipped",
                                "buy": "skipped", "tell": "skipped"}
    assert "dd.ok is false" in run_of(result, "size").skip_reason
    assert w.broker.orders == {} and w.notifier.sent == []
    # within the limit, the same graph trades
    w.broker.snapshot = ACCOUNT
    result = await w.run(wf)
    assert set(statuses(result).values()) == {"succeeded"}
    assert [o.volume for o in w.broker.orders.values()] == [0.5]
