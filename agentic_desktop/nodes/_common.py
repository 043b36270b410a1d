"""Small pieces the node modules share: the gate port, common params and input readers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.nodespec import ParamSpec, PortSpec
from agentic_desktop.domain.trading import AccountSnapshot, Candles, Series, Side
from agentic_desktop.engine.ports import NodeContext
from agentic_desktop.engine.summary import last_scalar

DEFAULT_SYMBOL = "EURUSD"
DEFAULT_TIMEFRAME = "H1"


def when_port(what: str = "this node") -> PortSpec:
    """The optional gate every action node has: a false last value skips the node."""
    return PortSpec(
        name="when", type="signal", accepts=("bool",), required=False, gate=True,
        help=f"Optional condition. When the last value arriving here is false (or NaN), "
             f"{what} is skipped, and so is everything behind it.",
    )


def symbol_param(help: str = "Instrument to work on, e.g. EURUSD.") -> ParamSpec:
    return ParamSpec(name="symbol", kind="symbol", default=DEFAULT_SYMBOL, help=help)


def side_param(help: str) -> ParamSpec:
    return ParamSpec(name="side", kind="choice", choices=("buy", "sell"), default="buy", help=help)


def number_input(ctx: NodeContext, name: str) -> float | None:
    """The last value of a connected number/series input as a float; None when unconnected."""
    if name not in ctx.inputs:
        return None
    raw = ctx.inputs[name]
    value = last_scalar(raw)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(
            f"input {name!r} must be a number, got {type(raw).__name__} {value!r}: "
            "connect a number output to it"
        )
    value = float(value)
    if not math.isfinite(value):
        raise UserError(
            f"input {name!r} has no value yet (NaN) on the last bar: the upstream indicator "
            "needs more bars, raise the Candles lookback"
        )
    return value


def positive(value: float, what: str, fix: str) -> float:
    if not math.isfinite(value) or value <= 0:
        raise UserError(f"{what} must be greater than 0, got {value:g}: {fix}")
    return value


async def account_of(ctx: NodeContext) -> AccountSnapshot:
    """The connected account input, or a fresh snapshot from the broker."""
    value = ctx.inputs.get("account")
    if value is None:
        return await ctx.broker.account()
    if not isinstance(value, AccountSnapshot):
        raise UserError(
            f"input 'account' must be an account snapshot, got {type(value).__name__}: "
            "connect the Account node's 'account' output"
        )
    return value


async def entry_price(ctx: NodeContext, symbol: str, side: Side) -> float:
    """The connected `entry` input, else the price a market order would get now:
    the ask for a buy, the bid for a sell."""
    entry = number_input(ctx, "entry")
    if entry is not None:
        return positive(entry, "input 'entry'", "connect a positive price")
    quote = await ctx.market.quote(symbol)
    return float(quote.ask if side == "buy" else quote.bid)


def candles_input(ctx: NodeContext, name: str = "candles") -> Candles | None:
    value = ctx.inputs.get(name)
    if value is None:
        return None
    if not isinstance(value, Candles):
        raise UserError(
            f"input {name!r} must be candles, got {type(value).__name__}: "
            "connect the Candles node's 'candles' output"
        )
    return value


def as_bool_array(values: Any) -> np.ndarray:
    """Signal values as a bool array: NaN and None count as false."""
    arr = np.asarray(values)
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind in "fc":
        return np.asarray(np.nan_to_num(arr, nan=0.0) != 0)
    if arr.dtype == object:
        return np.array([bool(v) and not (isinstance(v, float) and math.isnan(v)) for v in arr],
                        dtype=bool)
    return arr.astype(bool)


def is_series(value: Any) -> bool:
    return isinstance(value, Series)


def align_values(time: np.ndarray, other: Series, fill: Any) -> np.ndarray:
    """`other`'s values at each of `time` (exact bar-time match; `fill` where it has no bar).

    Exact matching, never as-of: pairing a bar with a later-closing bar of another series
    would look into the future.
    """
    if other.time.shape == time.shape and np.array_equal(other.time, time):
        return np.asarray(other.values)
    idx = np.searchsorted(other.time, time)
    idx_clipped = np.minimum(idx, max(len(other) - 1, 0))
    match = (idx < len(other)) & (other.time[idx_clipped] == time) if len(other) else \
        np.zeros(time.shape, dtype=bool)
    values = np.asarray(other.values)
    out = np.full(time.shape, fill, dtype=values.dtype if values.dtype != np.bool_ else bool)
    out[match] = values[idx_clipped[match]]
    return out
