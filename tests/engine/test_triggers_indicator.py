"""Indicator triggers through the scheduler: closed candles only, once per new bar, TA-Lib
values, edge-triggered, reset by a sleep."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
import talib

from agentic_desktop.domain.schedule import ScheduleError
from agentic_desktop.domain.trading import Candles
from agentic_desktop.engine.triggers.indicator import parse_indicator_trigger
from agentic_desktop.market.scripted import ScriptedMarket
from tests.engine.test_scheduler import Rig, make_rig

START = datetime(2025, 6, 2, 12, 0, 30, tzinfo=UTC)  # 30 s into an M1 bar


class CountingMarket:
    """The scripted market, counting candle requests; optionally appends a still-forming bar
    (as a sloppy data source might)."""

    def __init__(self, inner: ScriptedMarket) -> None:
        self.inner = inner
        self.candle_calls = 0
        self.forming: float | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def candles(self, symbol: str, timeframe: str, count: int,
                      end: datetime | None = None) -> Candles:
        self.candle_calls += 1
        bars = await self.inner.candles(symbol, timeframe, count, end)
        if self.forming is None:
            return bars
        f = np.array([self.forming])
        return replace(bars, time=np.append(bars.time, bars.time[-1] + 60),
                       open=np.append(bars.open, f), high=np.append(bars.high, f),
                       low=np.append(bars.low, f), close=np.append(bars.close, f),
                       volume=np.append(bars.volume, [1.0]))


def indicator_rig(**config: Any) -> tuple[Rig, CountingMarket, int]:
    markets: list[CountingMarket] = []
    rig = make_rig(START, market=lambda m: markets.append(CountingMarket(m)) or markets[0])
    s = rig.add("indicator", {"symbol": "EURUSD", "timeframe": "M1", "check_interval": 5,
                              **config})
    return rig, markets[0], s.id


class Bars:
    """Closing prices that grow by one bar each time a minute passes."""

    def __init__(self, rig: Rig, closes: list[float]) -> None:
        self.rig, self.closes = rig, list(closes)
        rig.market.set_closes("EURUSD", "M1", self.closes)

    async def next_bar(self, close: float) -> list[Any]:
        self.rig.clock.advance(60)
        self.closes.append(close)
        self.rig.market.set_closes("EURUSD", "M1", self.closes)
        return await self.rig.scheduler.market_triggers.tick_all()


@pytest.mark.asyncio
async def test_fires_once_when_a_closed_bar_makes_the_condition_true() -> None:
    rig, market, sid = indicator_rig(indicator="sma", params={"period": 3},
                                     condition="close > sma")
    bars = Bars(rig, [1.0] * 10)
    assert await rig.scheduler.market_triggers.tick_all() == []  # establishes: false, armed
    fired = await bars.next_bar(2.0)
    assert len(fired) == 1
    payload = fired[0].payload
    assert payload["values"]["sma"] == pytest.approx(4 / 3)
    assert payload["values"]["close"] == payload["price"] == 2.0
    assert payload["bar_time"] == "2025-06-02T12:00:00Z"  # the bar that just closed
    assert payload["bar_close_time"] == "2025-06-02T12:01:00Z"
    assert (payload["trigger"], payload["indicator"], payload["condition"]) == (
        "indicator", "sma", "close > sma")
    assert fired[0].nominal_fire_utc == datetime(2025, 6, 2, 12, 1, tzinfo=UTC)
    # Within the same bar, more checks neither fetch nor fire.
    calls = market.candle_calls
    for _ in range(5):
        rig.clock.advance(5)
        assert await rig.scheduler.market_triggers.tick_all() == []
    assert market.candle_calls == calls
    assert await bars.next_bar(3.0) == []  # still true: no new edge
    assert await bars.next_bar(0.5) == []  # false: re-armed
    assert len(await bars.next_bar(5.0)) == 1
    assert len(rig.jobs(sid)) == 2


@pytest.mark.asyncio
async def test_a_forming_bar_is_never_evaluated() -> None:
    rig, market, _ = indicator_rig(indicator="sma", params={"period": 3},
                                   condition="close > sma")
    Bars(rig, [1.0] * 10)
    market.forming = 9.0  # would make the condition true if it were used
    assert await rig.scheduler.market_triggers.tick_all() == []
    rig.clock.advance(60)  # the forming bar has now closed (the market still serves it)
    rig.market.set_closes("EURUSD", "M1", [1.0] * 10 + [9.0])
    market.forming = None
    fired = await rig.scheduler.market_triggers.tick_all()
    assert [f.payload["values"]["close"] for f in fired] == [9.0]


@pytest.mark.asyncio
async def test_rsi_values_are_talib_values() -> None:
    rig, _, _ = indicator_rig(indicator="rsi", params={"period": 14}, condition="rsi < 30")
    closes = list(np.linspace(1.20, 1.25, 40))
    bars = Bars(rig, closes)
    assert await rig.scheduler.market_triggers.tick_all() == []
    fired, expected = [], []
    for close in (1.24, 1.22, 1.20, 1.18, 1.16, 1.14):
        fired += await bars.next_bar(close)
        if fired and not expected:  # fewer bars than the 200 lookback: all of them count
            expected.append(talib.RSI(np.array(bars.closes), timeperiod=14)[-1])
    assert len(fired) == 1
    assert fired[0].payload["values"]["rsi"] == pytest.approx(expected[0], rel=1e-12)
    assert fired[0].payload["values"]["rsi"] < 30


@pytest.mark.asyncio
async def test_macd_crossing_its_signal() -> None:
    rig, _, _ = indicator_rig(indicator="macd", condition="macd crosses_above signal")
    closes = list(1.3 - 0.002 * np.arange(60))  # a steady fall: macd below signal
    bars = Bars(rig, closes)
    assert await rig.scheduler.market_triggers.tick_all() == []
    fired = []
    price = closes[-1]
    for _ in range(15):
        price += 0.006
        fired += await bars.next_bar(price)
    assert len(fired) == 1
    values = fired[0].payload["values"]
    assert values["macd"] > values["signal"] and values["hist"] > 0


@pytest.mark.asyncio
async def test_too_few_bars_never_fire() -> None:
    rig, _, _ = indicator_rig(indicator="sma", params={"period": 50}, condition="close > sma",
                              lookback=20)
    bars = Bars(rig, [1.0] * 30)
    assert await rig.scheduler.market_triggers.tick_all() == []
    assert await bars.next_bar(9.0) == []


@pytest.mark.asyncio
async def test_a_sleep_resets_the_state() -> None:
    rig, _, _ = indicator_rig(indicator="sma", params={"period": 3}, condition="close > sma")
    bars = Bars(rig, [1.0] * 10)
    assert await rig.scheduler.market_triggers.tick_all() == []
    rig.clock.sleep_wall(3600)
    bars.closes += [1.0] * 59
    assert await bars.next_bar(2.0) == []  # first look after the sleep: establishes only
    assert await bars.next_bar(0.5) == []
    assert len(await bars.next_bar(2.0)) == 1


def test_validation_names_the_field() -> None:
    base = {"symbol": "EURUSD", "timeframe": "H1", "indicator": "rsi", "condition": "rsi < 30"}
    assert parse_indicator_trigger(base).params == {"period": 14}
    for change, field in [
        ({"indicator": "stoch"}, "indicator"),
        ({"timeframe": "H2"}, "timeframe"),
        ({"params": {"length": 3}}, "params"),
        ({"params": {"period": 1}}, "params"),
        ({"condition": "sma < 30"}, "condition"),
        ({"indicator": "macd", "params": {"fast_period": 30}, "condition": "hist > 0"},
         "params"),
        ({"lookback": 5}, "lookback"),
    ]:
        with pytest.raises(ScheduleError) as err:
            parse_indicator_trigger({**base, **change})
        assert err.value.field == field, change
    bb = parse_indicator_trigger({**base, "indicator": "bbands",
                                  "condition": "price < lower"})
    assert bb.params == {"period": 20, "nbdev_up": 2.0, "nbdev_dn": 2.0}
