from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from agentic_desktop.domain.errors import UnknownSymbolError, UserError
from agentic_desktop.domain.nodespec import TIMEFRAME_SECONDS, TIMEFRAMES
from agentic_desktop.engine.clock import FakeClock
from agentic_desktop.market.simulated import SimulatedMarket

NOW = datetime(2024, 6, 12, 14, 37, 25, tzinfo=UTC)
LEVELS = {"EURUSD": 1.09, "GBPUSD": 1.27, "USDJPY": 150.0, "XAUUSD": 2350.0,
          "BTCUSDT": 65_000.0, "ETHUSDT": 3300.0, "AAPL": 190.0}


def market(now: datetime = NOW, seed: int = 0) -> tuple[SimulatedMarket, FakeClock]:
    clock = FakeClock(now)
    return SimulatedMarket(clock, seed=seed), clock


def test_symbols_have_realistic_contracts() -> None:
    m, _ = market()
    infos = {s.symbol: s for s in m.symbols()}
    assert set(infos) == set(LEVELS)
    eur = infos["EURUSD"]
    assert (eur.digits, eur.pip_size, eur.contract_size) == (5, 0.0001, 100_000.0)
    assert (eur.lot_step, eur.min_lot, eur.max_lot) == (0.01, 0.01, 100.0)
    assert (infos["USDJPY"].digits, infos["USDJPY"].pip_size) == (3, 0.01)
    assert infos["XAUUSD"].contract_size == 100.0
    assert (infos["BTCUSDT"].contract_size, infos["BTCUSDT"].lot_step) == (1.0, 0.001)
    assert (infos["AAPL"].lot_step, infos["AAPL"].min_lot) == (1.0, 1.0)


def test_unknown_symbol_names_the_known_ones() -> None:
    m, _ = market()
    with pytest.raises(UnknownSymbolError, match="EURUSD"):
        m.symbol_info("EURUSDX")
    with pytest.raises(UnknownSymbolError):
        asyncio.run(m.quote("NOPE"))
    with pytest.raises(UnknownSymbolError):
        asyncio.run(m.candles("NOPE", "H1", 10))


@pytest.mark.parametrize("tf", ["H2", "m1", "", 5])
def test_bad_timeframe_is_a_user_error_listing_valid_ones(tf: object) -> None:
    m, _ = market()
    with pytest.raises(UserError, match="M1, M5, M15"):
        m.history("EURUSD", tf, 10)  # type: ignore[arg-type]


@pytest.mark.parametrize("count", [0, -3, 2.5, True, 10**9])
def test_bad_count_is_a_user_error(count: object) -> None:
    m, _ = market()
    with pytest.raises(UserError, match="count"):
        m.history("EURUSD", "H1", count)  # type: ignore[arg-type]


def test_same_seed_and_time_give_identical_values_across_instances() -> None:
    a, _ = market()
    b, _ = market()
    for symbol in LEVELS:
        ca, cb = a.history(symbol, "M15", 300), b.history(symbol, "M15", 300)
        for field in ("time", "open", "high", "low", "close", "volume"):
            assert np.array_equal(getattr(ca, field), getattr(cb, field))
        assert a.quote_at(symbol, NOW) == b.quote_at(symbol, NOW)


def test_different_seed_gives_a_different_path() -> None:
    a, _ = market(seed=0)
    b, _ = market(seed=1)
    assert not np.array_equal(a.history("EURUSD", "H1", 50).close,
                              b.history("EURUSD", "H1", 50).close)


@pytest.mark.parametrize("symbol", list(LEVELS))
def test_levels_volatility_and_spread_are_realistic(symbol: str) -> None:
    m, _ = market()
    daily = m.history(symbol, "D1", 1500)  # about four years
    level = LEVELS[symbol]
    assert level * 0.6 < daily.low.min() and daily.high.max() < level * 1.6
    assert abs(np.median(daily.close) / level - 1) < 0.2
    info = m.symbol_info(symbol)
    q = m.quote_at(symbol, NOW)
    assert q.bid <= q.last <= q.ask
    assert round(q.bid, info.digits) == q.bid and round(q.ask, info.digits) == q.ask
    spread_pct = (q.ask - q.bid) / q.last
    assert 0 < spread_pct < 0.001
    vol = np.std(np.diff(np.log(daily.close)))
    expected = {"EURUSD": 0.0045, "GBPUSD": 0.0055, "USDJPY": 0.006, "XAUUSD": 0.01,
                "BTCUSDT": 0.028, "ETHUSDT": 0.034, "AAPL": 0.015}[symbol]
    assert expected * 0.7 < vol < expected * 1.3


def test_eurusd_spread_is_about_a_pip() -> None:
    m, _ = market()
    spreads = [m.quote_at("EURUSD", NOW + timedelta(seconds=20 * i)) for i in range(200)]
    pips = [(q.ask - q.bid) / 0.0001 for q in spreads]
    assert 0.55 < min(pips) and max(pips) < 1.05


@pytest.mark.parametrize(("big", "small"), [("M5", "M1"), ("H1", "M1"), ("H4", "M15"),
                                            ("D1", "H1"), ("W1", "D1"), ("W1", "H4")])
def test_bigger_bars_are_exact_aggregates_of_smaller_bars(big: str, small: str) -> None:
    m, _ = market()
    n_big = 3 if big == "W1" else 6
    ratio = TIMEFRAME_SECONDS[big] // TIMEFRAME_SECONDS[small]
    b = m.history("EURUSD", big, n_big)
    s = m.history("EURUSD", small, n_big * ratio + ratio)  # more than needed
    # keep the small bars inside the big ones
    inside = (s.time >= b.time[0]) & (s.time < b.time[-1] + TIMEFRAME_SECONDS[big])
    shape = (n_big, ratio)
    assert np.array_equal(s.time[inside][::ratio], b.time)
    assert np.array_equal(s.open[inside].reshape(shape)[:, 0], b.open)
    assert np.array_equal(s.high[inside].reshape(shape).max(axis=1), b.high)
    assert np.array_equal(s.low[inside].reshape(shape).min(axis=1), b.low)
    assert np.array_equal(s.close[inside].reshape(shape)[:, -1], b.close)
    assert np.array_equal(s.volume[inside].reshape(shape).sum(axis=1), b.volume)


def test_bars_are_sane_and_aligned() -> None:
    m, _ = market()
    for tf in TIMEFRAMES:
        c = m.history("XAUUSD", tf, 50)
        assert len(c) == 50 and c.symbol == "XAUUSD" and c.timeframe == tf
        assert c.time.dtype == np.int64 and np.all(np.diff(c.time) == TIMEFRAME_SECONDS[tf])
        assert np.all(c.low <= np.minimum(c.open, c.close))
        assert np.all(c.high >= np.maximum(c.open, c.close))
        assert np.all(c.volume > 0)
    weekly = m.history("XAUUSD", "W1", 5)
    assert all(datetime.fromtimestamp(int(t), UTC).weekday() == 0 for t in weekly.time)


def test_only_closed_bars_are_returned() -> None:
    m, clock = market()
    now_ts = int(NOW.timestamp())
    for tf in TIMEFRAMES:
        c = m.history("EURUSD", tf, 3)
        step = TIMEFRAME_SECONDS[tf]
        assert c.time[-1] + step <= now_ts < c.time[-1] + 2 * step
    # exactly at a boundary, the bar that just ended is closed
    clock.set(datetime(2024, 6, 12, 15, 0, tzinfo=UTC))
    assert datetime.fromtimestamp(int(m.history("EURUSD", "H1", 1).time[-1]), UTC).hour == 14


def test_end_selects_history_and_never_reveals_the_future() -> None:
    m, _ = market()
    end = datetime(2024, 5, 1, 10, 30, tzinfo=UTC)
    c = m.history("EURUSD", "H1", 5, end=end)
    assert c.time[-1] == int(datetime(2024, 5, 1, 9, tzinfo=UTC).timestamp())
    future = m.history("EURUSD", "H1", 5, end=NOW + timedelta(days=3))
    assert np.array_equal(future.time, m.history("EURUSD", "H1", 5).time)


def test_candles_and_quote_agree() -> None:
    m, clock = market()
    for symbol in LEVELS:
        q = asyncio.run(m.quote(symbol))
        last_m1 = asyncio.run(m.candles(symbol, "M1", 1))
        assert q.time == NOW
        # 25 s into the minute, and a minute's moves are small
        assert abs(q.last / float(last_m1.close[-1]) - 1) < 0.004
    # a quote taken inside a bar lies inside that bar once it has closed
    quotes = []
    for _ in range(30):
        clock.advance(7)
        quotes.append(m.quote_at("BTCUSDT", clock.now()).last)
    clock.advance(3600)
    h1 = m.history("BTCUSDT", "M1", 80)
    t0 = int(NOW.timestamp())
    window = (h1.time + 60 > t0) & (h1.time <= t0 + 210)
    assert min(quotes) >= h1.low[window].min() and max(quotes) <= h1.high[window].max()


def test_quote_follows_the_clock() -> None:
    m, clock = market()
    first = asyncio.run(m.quote("EURUSD"))
    clock.advance(3600)
    second = asyncio.run(m.quote("EURUSD"))
    assert second.time == NOW + timedelta(hours=1)
    assert first.last != second.last


def test_long_histories_built_off_the_loop_match_the_sync_path() -> None:
    m, _ = market()
    via_thread = asyncio.run(m.candles("ETHUSDT", "D1", 120))  # beyond the inline span
    assert np.array_equal(via_thread.close, m.history("ETHUSDT", "D1", 120).close)
