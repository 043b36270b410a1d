from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from agentic_desktop.domain.errors import UnknownSymbolError, UserError
from agentic_desktop.domain.trading import SymbolInfo
from agentic_desktop.engine.clock import FakeClock
from agentic_desktop.market.scripted import ScriptedMarket
from agentic_desktop.market.simulated import SimulatedMarket

NOW = datetime(2024, 6, 12, 14, 37, 25, tzinfo=UTC)


def test_unscripted_symbols_come_from_the_simulated_market() -> None:
    clock = FakeClock(NOW)
    scripted, sim = ScriptedMarket(clock), SimulatedMarket(clock)
    assert asyncio.run(scripted.quote("EURUSD")) == asyncio.run(sim.quote("EURUSD"))
    a = asyncio.run(scripted.candles("EURUSD", "H1", 10))
    assert np.array_equal(a.close, sim.history("EURUSD", "H1", 10).close)


def test_set_price_fixes_quotes_with_zero_spread_by_default() -> None:
    clock = FakeClock(NOW)
    m = ScriptedMarket(clock)
    m.set_price("EURUSD", 1.105)
    q = asyncio.run(m.quote("EURUSD"))
    assert (q.bid, q.ask, q.last, q.mid, q.time) == (1.105, 1.105, 1.105, 1.105, NOW)
    m.set_price("EURUSD", 1.1, 1.1002)
    clock.advance(5)
    q = asyncio.run(m.quote("EURUSD"))
    assert (q.bid, q.ask) == (1.1, 1.1002) and q.time == NOW + timedelta(seconds=5)
    assert q.last == pytest.approx(1.1001)


def test_script_quotes_steps_through_prices_then_sticks() -> None:
    m = ScriptedMarket(FakeClock(NOW))
    m.script_quotes("XAUUSD", [2300.0, (2301.0, 2301.5), 2302.0])
    bids = [asyncio.run(m.quote("XAUUSD")).bid for _ in range(5)]
    assert bids == [2300.0, 2301.0, 2302.0, 2302.0, 2302.0]
    m.clear("XAUUSD")
    assert asyncio.run(m.quote("XAUUSD")).bid != 2302.0


def test_script_rejects_nonsense() -> None:
    m = ScriptedMarket(FakeClock(NOW))
    with pytest.raises(UnknownSymbolError):
        m.set_price("NOPE", 1.0)
    with pytest.raises(UserError, match="below bid"):
        m.set_price("EURUSD", 1.2, 1.1)
    with pytest.raises(UserError):
        m.script_quotes("EURUSD", [])


def test_set_closes_serves_closed_bars_ending_now() -> None:
    clock = FakeClock(NOW)
    m = ScriptedMarket(clock)
    closes = [1.0, 1.1, 1.2, 1.3, 1.4]
    m.set_closes("EURUSD", "H1", closes)
    c = asyncio.run(m.candles("EURUSD", "H1", 3))
    assert list(c.close) == [1.2, 1.3, 1.4]
    assert c.time[-1] == int(datetime(2024, 6, 12, 13, tzinfo=UTC).timestamp())
    assert list(c.open) == [1.1, 1.2, 1.3]
    # fewer stored bars than asked: return what there is
    assert len(asyncio.run(m.candles("EURUSD", "H1", 50))) == 5
    # an earlier end hides the later bars
    early = asyncio.run(m.candles("EURUSD", "H1", 50, end=NOW - timedelta(hours=2)))
    assert list(early.close) == [1.0, 1.1, 1.2]
    # other timeframes still come from the simulation
    assert len(asyncio.run(m.candles("EURUSD", "M15", 50))) == 50


def test_add_symbol_for_a_made_up_instrument() -> None:
    m = ScriptedMarket(FakeClock(NOW))
    info = SymbolInfo(symbol="TEST", description="test", digits=2, pip_size=0.01,
                      contract_size=1.0, lot_step=1.0, min_lot=1.0, max_lot=10.0)
    m.add_symbol(info)
    assert m.symbol_info("TEST") == info and info in m.symbols()
    with pytest.raises(UserError, match="set_price"):
        asyncio.run(m.quote("TEST"))
    m.set_price("TEST", 10.0)
    assert asyncio.run(m.quote("TEST")).last == 10.0
