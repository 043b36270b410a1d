"""Indicators follow TA-Lib exactly (DESIGN.md §4): pinned against straightforward numpy
reference implementations and pinned first-output indices."""

from __future__ import annotations

import numpy as np
import pytest

from agentic_desktop.domain.trading import Series
from agentic_desktop.nodes import indicators, riskmath

from .fakes import World, first_valid, make_candles, random_walk, run_of, workflow

CLOSE = random_walk(300, seed=11)


# -- independent references -------------------------------------------------------------

def ref_sma(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(x.size, np.nan)
    for i in range(n - 1, x.size):
        out[i] = x[i - n + 1:i + 1].mean()
    return out


def ref_ema(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(x.size, np.nan)
    alpha = 2.0 / (n + 1)
    out[n - 1] = x[:n].mean()
    for i in range(n, x.size):
        out[i] = alpha * x[i] + (1 - alpha) * out[i - 1]
    return out


def ref_rsi(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(x.size, np.nan)
    diff = np.diff(x)
    gain, loss = np.clip(diff, 0, None), np.clip(-diff, 0, None)
    avg_g, avg_l = gain[:n].mean(), loss[:n].mean()
    out[n] = 100 * avg_g / (avg_g + avg_l)
    for i in range(n + 1, x.size):
        avg_g = (avg_g * (n - 1) + gain[i - 1]) / n
        avg_l = (avg_l * (n - 1) + loss[i - 1]) / n
        out[i] = 100 * avg_g / (avg_g + avg_l)
    return out


def ref_bbands(x: np.ndarray, n: int, k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mid = ref_sma(x, n)
    sd = np.full(x.size, np.nan)
    for i in range(n - 1, x.size):
        sd[i] = x[i - n + 1:i + 1].std(ddof=0)  # population σ
    return mid + k * sd, mid, mid - k * sd


def ref_atr(h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int) -> np.ndarray:
    tr = np.full(c.size, np.nan)
    for i in range(1, c.size):
        tr[i] = max(h[i] - lo[i], abs(h[i] - c[i - 1]), abs(lo[i] - c[i - 1]))
    out = np.full(c.size, np.nan)
    out[n] = tr[1:n + 1].mean()
    for i in range(n + 1, c.size):
        out[i] = (out[i - 1] * (n - 1) + tr[i]) / n
    return out


def assert_same(actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-10) -> None:
    assert np.array_equal(np.isnan(actual), np.isnan(expected))
    ok = ~np.isnan(expected)
    np.testing.assert_allclose(actual[ok], expected[ok], rtol=rtol, atol=1e-12)


# -- pure computations ------------------------------------------------------------------

@pytest.mark.parametrize("period", [2, 5, 20])
def test_sma_matches_reference(period: int) -> None:
    out = indicators.compute_sma(CLOSE, period)
    assert first_valid(out) == period - 1
    assert_same(out, ref_sma(CLOSE, period))


@pytest.mark.parametrize("period", [2, 10, 20])
def test_ema_is_seeded_with_the_sma_of_the_first_n(period: int) -> None:
    out = indicators.compute_ema(CLOSE, period)
    assert first_valid(out) == period - 1
    assert out[period - 1] == pytest.approx(CLOSE[:period].mean(), rel=1e-12)
    assert_same(out, ref_ema(CLOSE, period))


@pytest.mark.parametrize("period", [2, 14, 30])
def test_rsi_is_wilder_with_first_value_at_index_period(period: int) -> None:
    out = indicators.compute_rsi(CLOSE, period)
    assert first_valid(out) == period
    assert_same(out, ref_rsi(CLOSE, period), rtol=1e-9)
    assert np.nanmin(out) >= 0 and np.nanmax(out) <= 100


def test_rsi_pinned_values_on_a_known_series() -> None:
    # A fixed zig-zag: +1, -0.5 alternating from 10.
    x = 10 + np.cumsum(np.tile([1.0, -0.5], 20))
    out = indicators.compute_rsi(x, 14)
    assert first_valid(out) == 14
    # First RSI: 7 gains of 1 and 7 losses of 0.5 in the first 14 changes → 100·7/(7+3.5).
    assert out[14] == pytest.approx(100 * 7 / 10.5, rel=1e-12)


def test_macd_first_output_index_is_33_and_hist_is_macd_minus_signal() -> None:
    macd, signal, hist = indicators.compute_macd(CLOSE, 12, 26, 9)
    assert first_valid(macd) == 33
    assert first_valid(signal) == 33
    assert first_valid(hist) == 33
    np.testing.assert_allclose(hist[33:], macd[33:] - signal[33:], rtol=1e-12, atol=1e-15)
    # Far from the seed the line is the difference of the two EMAs, whatever the seeding.
    long = random_walk(2000, seed=3)
    m, _, _ = indicators.compute_macd(long, 12, 26, 9)
    expected = ref_ema(long, 12)[-1] - ref_ema(long, 26)[-1]
    assert m[-1] == pytest.approx(expected, rel=1e-8)


def test_bollinger_uses_population_sigma() -> None:
    upper, middle, lower = indicators.compute_bbands(CLOSE, 20, 2.0, 2.0)
    eu, em, el = ref_bbands(CLOSE, 20, 2.0)
    assert first_valid(middle) == 19
    assert_same(upper, eu)
    assert_same(middle, em)
    assert_same(lower, el)


def test_bollinger_asymmetric_widths() -> None:
    upper, middle, lower = indicators.compute_bbands(CLOSE, 10, 1.0, 3.0)
    i = 50
    sd = CLOSE[i - 9:i + 1].std(ddof=0)
    assert upper[i] == pytest.approx(middle[i] + sd, rel=1e-10)
    assert lower[i] == pytest.approx(middle[i] - 3 * sd, rel=1e-10)


def test_atr_is_wilder_with_first_value_at_index_period() -> None:
    c = make_candles(CLOSE)
    out = riskmath.atr(c.high, c.low, c.close, 14)
    assert first_valid(out) == 14
    assert_same(out, ref_atr(c.high, c.low, c.close, 14))
    assert riskmath.last_atr(c.high, c.low, c.close, 14) == pytest.approx(out[-1])


# -- nodes through the executor ---------------------------------------------------------

def _bars_world(close: np.ndarray = CLOSE) -> World:
    w = World()
    w.set_bars(make_candles(close))
    return w


@pytest.mark.asyncio
async def test_indicator_nodes_output_series_aligned_to_candle_times() -> None:
    w = _bars_world()
    wf = workflow(
        {"c": ("market.candles", {"lookback": 300}),
         "sma": ("indicator.sma", {"period": 20}), "ema": ("indicator.ema", {"period": 20}),
         "rsi": ("indicator.rsi", {}), "macd": ("indicator.macd", {}),
         "bb": ("indicator.bbands", {})},
        ["c.candles -> sma.candles", "c.candles -> ema.candles", "c.close -> rsi.candles",
         "c.candles -> macd.candles", "c.candles -> bb.candles"],
    )
    result = await w.run(wf)
    assert result.ok, result.error
    times = w.outputs["c"]["candles"].time
    for node_id, port, first in [("sma", "sma", 19), ("ema", "ema", 19), ("rsi", "rsi", 14),
                                 ("macd", "macd", 33), ("macd", "signal", 33),
                                 ("macd", "hist", 33), ("bb", "upper", 19),
                                 ("bb", "middle", 19), ("bb", "lower", 19)]:
        series = w.outputs[node_id][port]
        assert isinstance(series, Series)
        assert np.array_equal(series.time, times)
        assert first_valid(series.values) == first, (node_id, port)
    assert_same(w.outputs["rsi"]["rsi"].values, ref_rsi(CLOSE, 14), rtol=1e-9)
    assert run_of(result, "rsi").output_summary["rsi"]["series"] == 300


@pytest.mark.asyncio
async def test_candles_node_asks_for_lookback_bars_up_to_the_clock() -> None:
    w = _bars_world()
    out = await w.call("market.candles", params={"symbol": "EURUSD", "lookback": 50})
    assert len(out["candles"]) == 50
    assert np.array_equal(out["close"].values, CLOSE[-50:])


@pytest.mark.asyncio
async def test_candles_node_serves_only_bars_closed_at_the_clock() -> None:
    w = World()
    now = int(w.clock.now().timestamp())
    # 100 H1 bars; the second last opens at now-1h (closes exactly now), the last is forming.
    bars = make_candles(CLOSE[:100], start=now - 99 * 3600)
    w.set_bars(bars)
    out = await w.call("market.candles", params={"symbol": "EURUSD", "lookback": 500})
    assert len(out["candles"]) == 99
    assert out["candles"].time[-1] == now - 3600


@pytest.mark.parametrize("source,expected", [
    ("open", lambda c: c.open), ("high", lambda c: c.high), ("low", lambda c: c.low),
    ("hl2", lambda c: (c.high + c.low) / 2), ("hlc3", lambda c: (c.high + c.low + c.close) / 3),
])
@pytest.mark.asyncio
async def test_source_param_picks_the_bar_price(source: str, expected) -> None:
    w = World()
    c = make_candles(CLOSE)
    out = await w.call("indicator.sma", params={"period": 5, "source": source},
                       inputs={"candles": c})
    assert_same(out["sma"].values, ref_sma(expected(c), 5))


@pytest.mark.asyncio
async def test_indicator_of_an_indicator_skips_the_leading_nans() -> None:
    w = World()
    rsi = Series(time=np.arange(300), values=indicators.compute_rsi(CLOSE, 14))
    out = await w.call("indicator.sma", params={"period": 5}, inputs={"candles": rsi})
    assert first_valid(out["sma"].values) == 14 + 4
    assert out["sma"].values[-1] == pytest.approx(rsi.values[-5:].mean())


@pytest.mark.asyncio
async def test_too_few_bars_fails_naming_the_period_and_the_fix() -> None:
    w = _bars_world(CLOSE[:10])
    wf = workflow({"c": ("market.candles", {"lookback": 10}), "rsi": ("indicator.rsi", {})},
                  ["c.candles -> rsi.candles"])
    result = await w.run(wf)
    assert result.status == "failed"
    assert result.failed_node == "rsi"
    assert result.error_kind == "user"
    assert "RSI period 14 needs at least 15 bars, got 10: raise the Candles lookback" in (
        result.error or "")


@pytest.mark.parametrize("type_id,params,needed", [
    ("indicator.sma", {"period": 50}, 50), ("indicator.ema", {"period": 40}, 40),
    ("indicator.macd", {}, 34), ("indicator.bbands", {"period": 31}, 31),
])
@pytest.mark.asyncio
async def test_bar_requirements(type_id: str, params: dict, needed: int) -> None:
    w = World()
    from agentic_desktop.domain.errors import UserError
    with pytest.raises(UserError, match=f"needs at least {needed} bars, got {needed - 1}"):
        await w.call(type_id, params=params, inputs={"candles": make_candles(CLOSE[:needed - 1])})
    out = await w.call(type_id, params=params, inputs={"candles": make_candles(CLOSE[:needed])})
    assert not np.isnan(next(iter(out.values())).values[-1])


@pytest.mark.asyncio
async def test_macd_fast_must_be_shorter_than_slow() -> None:
    w = _bars_world()
    wf = workflow({"c": ("market.candles", {}),
                   "m": ("indicator.macd", {"fast_period": 30, "slow_period": 26})},
                  ["c.candles -> m.candles"])
    result = await w.run(wf)
    assert result.failed_node == "m"
    assert "must be shorter than slow_period" in (result.error or "")


def test_period_ranges_are_validated_by_the_spec() -> None:
    from agentic_desktop.domain.workflow import validate

    from .fakes import CATALOG
    wf = workflow({"c": ("market.candles", {"lookback": 5}),
                   "r": ("indicator.rsi", {"period": 1, "source": "median"})},
                  ["c.candles -> r.candles"])
    problems = {(p.node_id, p.param) for p in validate(wf, CATALOG)}
    assert {("c", "lookback"), ("r", "period"), ("r", "source")} <= problems


@pytest.mark.asyncio
async def test_large_inputs_leave_the_loop_and_give_the_same_result() -> None:
    w = World()
    big = random_walk(indicators.CPU_OFFLOAD_BARS + 10, seed=5)
    s = Series(time=np.arange(big.size), values=big)
    out = await w.call("indicator.rsi", inputs={"candles": s})
    np.testing.assert_array_equal(out["rsi"].values, indicators.compute_rsi(big, 14))
