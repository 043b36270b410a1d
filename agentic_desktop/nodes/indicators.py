"""Technical Indicator nodes. TA-Lib is the implementation (DESIGN.md §4): RSI Wilder seeded
with an SMA (first value at index n), EMA seeded with the SMA of the first n values, MACD(12,26,9)
first value at index 33, Bollinger Bands with population σ. Outputs are Series aligned to the
input's bar times with NaN before the first value.

The `compute_*` functions are pure (arrays in, arrays out) so a backtest can call them directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import talib

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.nodespec import NodeSpec, ParamSpec, PortSpec
from agentic_desktop.domain.trading import Candles, FloatArray, IntArray, Series
from agentic_desktop.engine.ports import NodeContext
from agentic_desktop.nodes.registry import node

CATEGORY = "Technical Indicators"
SOURCES = ("close", "open", "high", "low", "hl2", "hlc3")
# Above this many bars the computation leaves the event loop; below it the thread hop costs
# more than the work (TA-Lib RSI does 1M bars in ~3 ms).
CPU_OFFLOAD_BARS = 200_000
# TA-Lib MA_Type.SMA: the middle band is a plain SMA, the bands use population σ.
_MA_SMA: Any = 0


# -- pure computations ------------------------------------------------------------------

def _f64(values: Any) -> FloatArray:
    return np.ascontiguousarray(values, dtype=np.float64)


def compute_sma(values: Any, period: int) -> FloatArray:
    return talib.SMA(_f64(values), timeperiod=period)


def compute_ema(values: Any, period: int) -> FloatArray:
    return talib.EMA(_f64(values), timeperiod=period)


def compute_rsi(values: Any, period: int) -> FloatArray:
    return talib.RSI(_f64(values), timeperiod=period)


def compute_macd(values: Any, fast: int, slow: int, signal: int
                 ) -> tuple[FloatArray, FloatArray, FloatArray]:
    macd, sig, hist = talib.MACD(_f64(values), fastperiod=fast, slowperiod=slow,
                                 signalperiod=signal)
    return macd, sig, hist


def compute_bbands(values: Any, period: int, nbdev_up: float, nbdev_dn: float
                   ) -> tuple[FloatArray, FloatArray, FloatArray]:
    upper, middle, lower = talib.BBANDS(_f64(values), timeperiod=period, nbdevup=nbdev_up,
                                        nbdevdn=nbdev_dn, matype=_MA_SMA)
    return upper, middle, lower


def source_values(candles: Candles, source: str) -> FloatArray:
    if source == "hl2":
        return (candles.high + candles.low) / 2.0
    if source == "hlc3":
        return (candles.high + candles.low + candles.close) / 3.0
    if source in ("close", "open", "high", "low"):
        return _f64(getattr(candles, source))
    raise UserError(f"param 'source' must be one of {', '.join(SOURCES)}, got {source!r}")


# -- node plumbing ----------------------------------------------------------------------

def _input(ctx: NodeContext) -> tuple[IntArray, FloatArray]:
    value = ctx.inputs.get("candles")
    if isinstance(value, Candles):
        return value.time, source_values(value, ctx.params.get("source", "close"))
    if isinstance(value, Series):
        return value.time, _f64(value.values)
    raise UserError(
        f"input 'candles' must be candles or a series, got {type(value).__name__}: "
        "connect a Candles node (or another indicator's series)"
    )


def _need_bars(values: FloatArray, needed: int, what: str) -> None:
    valid = np.flatnonzero(~np.isnan(values))
    have = int(len(values) - valid[0]) if len(valid) else 0
    if have < needed:
        raise UserError(
            f"{what} needs at least {needed} bars, got {have}: raise the Candles lookback"
        )


async def _compute(ctx: NodeContext, values: FloatArray, fn: Callable[..., Any], *args: Any
                   ) -> Any:
    if len(values) > CPU_OFFLOAD_BARS:
        return await ctx.run_cpu(fn, values, *args)
    return fn(values, *args)


def _period(name: str = "period", default: int = 14, minimum: int = 2,
            help: str = "Number of bars the indicator averages over.") -> ParamSpec:
    return ParamSpec(name=name, kind="int", default=default, minimum=minimum, maximum=1000,
                     help=help)


SOURCE_PARAM = ParamSpec(
    name="source", kind="choice", choices=SOURCES, default="close",
    help="Which price of each bar to use when candles are connected: close, open, high, low, "
         "hl2 = (high+low)/2, hlc3 = (high+low+close)/3. Ignored when a series is connected.",
)
CANDLES_IN = PortSpec(
    name="candles", type="candles", accepts=("series",),
    help="Bars from a Candles node, or any series (e.g. another indicator) to compute on.",
)


def _out(name: str, help: str) -> PortSpec:
    return PortSpec(name=name, type="series", help=help)


def _series(time: IntArray, values: FloatArray, name: str) -> Series:
    return Series(time=time, values=values, name=name)


@node(NodeSpec(
    type_id="indicator.sma", version=1, category=CATEGORY, title="SMA",
    description="Simple moving average: the plain mean of the last n values.",
    inputs=(CANDLES_IN,),
    outputs=(_out("sma", "The moving average; NaN for the first period-1 bars."),),
    params=(_period(default=20), SOURCE_PARAM),
    summary="SMA {period}", cost="cpu",
))
async def sma(ctx: NodeContext) -> dict[str, Any]:
    time, values = _input(ctx)
    period = int(ctx.params["period"])
    _need_bars(values, period, f"SMA period {period}")
    out = await _compute(ctx, values, compute_sma, period)
    return {"sma": _series(time, out, f"SMA({period})")}


@node(NodeSpec(
    type_id="indicator.ema", version=1, category=CATEGORY, title="EMA",
    description="Exponential moving average (α = 2/(n+1)), seeded with the SMA of the first "
                "n values as TA-Lib does.",
    inputs=(CANDLES_IN,),
    outputs=(_out("ema", "The moving average; first value at bar period-1."),),
    params=(_period(default=20), SOURCE_PARAM),
    summary="EMA {period}", cost="cpu",
))
async def ema(ctx: NodeContext) -> dict[str, Any]:
    time, values = _input(ctx)
    period = int(ctx.params["period"])
    _need_bars(values, period, f"EMA period {period}")
    out = await _compute(ctx, values, compute_ema, period)
    return {"ema": _series(time, out, f"EMA({period})")}


@node(NodeSpec(
    type_id="indicator.rsi", version=1, category=CATEGORY, title="RSI",
    description="Relative Strength Index (Wilder smoothing, 0-100). Above 70 is often read as "
                "overbought, below 30 as oversold.",
    inputs=(CANDLES_IN,),
    outputs=(_out("rsi", "RSI from 0 to 100; first value at bar 'period'."),),
    params=(_period(default=14), SOURCE_PARAM),
    summary="RSI {period}", cost="cpu",
))
async def rsi(ctx: NodeContext) -> dict[str, Any]:
    time, values = _input(ctx)
    period = int(ctx.params["period"])
    _need_bars(values, period + 1, f"RSI period {period}")
    out = await _compute(ctx, values, compute_rsi, period)
    return {"rsi": _series(time, out, f"RSI({period})")}


@node(NodeSpec(
    type_id="indicator.macd", version=1, category=CATEGORY, title="MACD",
    description="Moving Average Convergence/Divergence: fast EMA minus slow EMA, its signal "
                "EMA and their difference (histogram).",
    inputs=(CANDLES_IN,),
    outputs=(
        _out("macd", "Fast EMA minus slow EMA; with 12/26/9 the first value is at bar 33."),
        _out("signal", "EMA of the MACD line over 'signal_period' bars."),
        _out("hist", "MACD minus signal: positive when momentum is rising."),
    ),
    params=(
        _period("fast_period", 12, help="Bars of the fast EMA (shorter than slow)."),
        _period("slow_period", 26, help="Bars of the slow EMA (longer than fast)."),
        _period("signal_period", 9, minimum=1, help="Bars of the signal line's EMA."),
        SOURCE_PARAM,
    ),
    summary="MACD {fast_period}/{slow_period}/{signal_period}", cost="cpu",
))
async def macd(ctx: NodeContext) -> dict[str, Any]:
    time, values = _input(ctx)
    fast, slow, sig = (int(ctx.params["fast_period"]), int(ctx.params["slow_period"]),
                       int(ctx.params["signal_period"]))
    if fast >= slow:
        raise UserError(
            f"MACD fast_period {fast} must be shorter than slow_period {slow}: swap them"
        )
    _need_bars(values, slow + sig - 1, f"MACD {fast}/{slow}/{sig}")
    line, signal, hist = await _compute(ctx, values, compute_macd, fast, slow, sig)
    label = f"MACD({fast},{slow},{sig})"
    return {"macd": _series(time, line, label), "signal": _series(time, signal, f"{label} signal"),
            "hist": _series(time, hist, f"{label} hist")}


@node(NodeSpec(
    type_id="indicator.bbands", version=1, category=CATEGORY, title="Bollinger Bands",
    description="A moving average with bands k population standard deviations above and below.",
    inputs=(CANDLES_IN,),
    outputs=(
        _out("upper", "Middle band plus nbdev_up standard deviations."),
        _out("middle", "The SMA of the last 'period' values."),
        _out("lower", "Middle band minus nbdev_dn standard deviations."),
    ),
    params=(
        _period(default=20),
        ParamSpec(name="nbdev_up", kind="float", default=2.0, minimum=0.0, maximum=10.0,
                  help="Width of the upper band in standard deviations."),
        ParamSpec(name="nbdev_dn", kind="float", default=2.0, minimum=0.0, maximum=10.0,
                  help="Width of the lower band in standard deviations."),
        SOURCE_PARAM,
    ),
    summary="BB {period}, {nbdev_up}σ", cost="cpu",
))
async def bbands(ctx: NodeContext) -> dict[str, Any]:
    time, values = _input(ctx)
    period = int(ctx.params["period"])
    _need_bars(values, period, f"Bollinger Bands period {period}")
    upper, middle, lower = await _compute(ctx, values, compute_bbands, period,
                                          float(ctx.params["nbdev_up"]),
                                          float(ctx.params["nbdev_dn"]))
    return {"upper": _series(time, upper, f"BB({period}) upper"),
            "middle": _series(time, middle, f"BB({period}) middle"),
            "lower": _series(time, lower, f"BB({period}) lower")}


NODES = (sma, ema, rsi, macd, bbands)
