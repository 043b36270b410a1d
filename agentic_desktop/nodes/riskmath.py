"""Pure risk arithmetic: ATR, stop and target prices, fixed-fractional position size.

No I/O and no node context, so the live nodes and a backtest engine share one implementation.
Bad inputs raise UserError naming the param and the fix.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import talib

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.trading import FloatArray, Side

StopMode = Literal["price", "percent", "atr"]
TargetMode = Literal["price", "percent", "r_multiple"]


def atr(high: Any, low: Any, close: Any, period: int = 14) -> FloatArray:
    """TA-Lib ATR: Wilder smoothing of the true range (TR from bar 1); first value at bar
    `period`, NaN before."""
    h, lo, c = (np.ascontiguousarray(x, dtype=np.float64) for x in (high, low, close))
    return talib.ATR(h, lo, c, timeperiod=period)


def last_atr(high: Any, low: Any, close: Any, period: int = 14) -> float:
    """The ATR of the last bar. Raises UserError when there are too few bars."""
    n = len(close)
    if n < period + 1:
        raise UserError(
            f"ATR period {period} needs at least {period + 1} bars, got {n}: "
            "raise the Candles lookback or lower atr_period"
        )
    value = float(atr(high, low, close, period)[-1])
    if not math.isfinite(value):
        raise UserError(f"ATR period {period} has no value on the last bar: check the candles "
                        "for missing prices")
    return value


def stop_distance(mode: str, *, entry: float, distance: float, atr_value: float | None = None,
                  atr_multiple: float = 2.0) -> float:
    """Price distance from entry to the stop.

    price: `distance` is a price difference (0.0020 on EURUSD = 20 pips);
    percent: `distance` is a percent of entry; atr: `atr_multiple` × `atr_value`.
    """
    if mode == "price":
        d = distance
    elif mode == "percent":
        d = entry * distance / 100.0
    elif mode == "atr":
        if atr_value is None:
            raise UserError("stop mode 'atr' needs candles: connect a Candles node to 'candles'")
        d = atr_value * atr_multiple
    else:
        raise UserError(f"param 'mode' must be price, percent or atr, got {mode!r}")
    if not math.isfinite(d) or d <= 0:
        raise UserError(f"stop distance must be greater than 0, got {d:g}: "
                        "raise param 'distance' (or 'atr_multiple')")
    return d


def stop_price(side: Side, entry: float, distance: float) -> float:
    """Below entry for a buy, above it for a sell."""
    price = entry - distance if side == "buy" else entry + distance
    if price <= 0:
        raise UserError(f"stop price {price:g} is not above 0 (entry {entry:g}, distance "
                        f"{distance:g}): lower param 'distance'")
    return price


def target_distance(mode: str, *, entry: float, distance: float,
                    stop_dist: float | None = None, r_multiple: float = 2.0) -> float:
    """Price distance from entry to the take-profit.

    price: `distance` is a price difference; percent: a percent of entry;
    r_multiple: `r_multiple` × the stop distance (2R risks 1 to make 2).
    """
    if mode == "price":
        d = distance
    elif mode == "percent":
        d = entry * distance / 100.0
    elif mode == "r_multiple":
        if stop_dist is None:
            raise UserError("take-profit mode 'r_multiple' needs the stop distance: connect "
                            "Stop Loss 'distance' to input 'stop_distance'")
        d = stop_dist * r_multiple
    else:
        raise UserError(f"param 'mode' must be price, percent or r_multiple, got {mode!r}")
    if not math.isfinite(d) or d <= 0:
        raise UserError(f"take-profit distance must be greater than 0, got {d:g}: "
                        "raise param 'distance' (or 'r_multiple')")
    return d


def target_price(side: Side, entry: float, distance: float) -> float:
    """Above entry for a buy, below it for a sell."""
    price = entry + distance if side == "buy" else entry - distance
    if price <= 0:
        raise UserError(f"take-profit price {price:g} is not above 0 (entry {entry:g}, "
                        f"distance {distance:g}): lower param 'distance'")
    return price


def round_down_to_step(volume: float, step: float) -> float:
    """Floor `volume` to a multiple of `step`, tolerant of float noise (0.3/0.1 = 2.9999…)."""
    if step <= 0:
        return volume
    steps = math.floor(volume / step + 1e-9)
    decimals = max(0, -math.floor(math.log10(step)) + 2)
    return round(steps * step, decimals)


def fixed_fractional_volume(*, equity: float, risk_percent: float, stop_dist: float,
                            contract_size: float, lot_step: float, min_lot: float,
                            max_lot: float, quote_to_account: float = 1.0) -> float:
    """Lots such that hitting the stop loses `risk_percent` of `equity`:

        volume = equity × risk% / (stop_dist × contract_size × quote_to_account)

    `stop_dist × contract_size` is the loss per lot in the symbol's quote currency;
    `quote_to_account` converts it to the account currency (1.0 when they are the same).
    Rounded down to `lot_step` (never risk more than asked), then clamped to
    [min_lot, max_lot]: at min_lot the real risk can exceed `risk_percent`.
    """
    if equity <= 0:
        raise UserError(f"account equity is {equity:g}: there is nothing to risk")
    if stop_dist <= 0 or not math.isfinite(stop_dist):
        raise UserError(f"stop distance must be greater than 0, got {stop_dist:g}: "
                        "connect Stop Loss 'distance' or set param 'stop_distance'")
    loss_per_lot = stop_dist * contract_size * quote_to_account
    raw = equity * risk_percent / 100.0 / loss_per_lot
    volume = round_down_to_step(raw, lot_step)
    return min(max(volume, min_lot), max_lot)
