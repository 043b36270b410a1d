"""JSON-safe, short descriptions of node output values (for run records, the CLI and the
API), and the last scalar of a value (for templates and gates)."""

from __future__ import annotations

import math
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from agentic_desktop.domain.trading import AccountSnapshot, Candles, Order, Position, Series


def last_scalar(value: Any) -> Any:
    """The value a condition or template sees: a series' last bar, a number as is."""
    if isinstance(value, Series):
        return value.last
    if isinstance(value, Candles):
        return float(value.close[-1]) if len(value) else None
    if isinstance(value, np.generic):
        return value.item()
    return value


def is_truthy(value: Any) -> bool:
    """Whether a gate value lets its node run. NaN and None are false: no signal, no action."""
    scalar = last_scalar(value)
    if scalar is None:
        return False
    if isinstance(scalar, float) and math.isnan(scalar):
        return False
    return bool(scalar)


def _num(x: float) -> float | None:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    return round(float(x), 6)


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).isoformat()


def summarize(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value if not isinstance(value, str) else value[:500]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (int, float)):
        return _num(value) if isinstance(value, float) else value
    if isinstance(value, Series):
        last = value.last
        return {"series": len(value), "last": _num(last) if isinstance(last, float) else last,
                "last_time": _iso(value.time[-1]) if len(value) else None}
    if isinstance(value, Candles):
        return {"symbol": value.symbol, "timeframe": value.timeframe, "bars": len(value),
                "last_close": _num(float(value.close[-1])) if len(value) else None,
                "last_time": _iso(value.time[-1]) if len(value) else None}
    if isinstance(value, Order):
        return {"id": value.id, "client_order_id": value.client_order_id, "symbol": value.symbol,
                "side": value.side, "type": value.type, "volume": value.volume,
                "status": value.status, "fill_price": value.fill_price,
                "stop_loss": value.stop_loss, "take_profit": value.take_profit,
                "existing": value.existing, "reason": value.reason}
    if isinstance(value, AccountSnapshot):
        return {"balance": _num(value.balance), "equity": _num(value.equity),
                "margin": _num(value.margin), "currency": value.currency,
                "open_positions": len(value.positions)}
    if isinstance(value, Position):
        return {"symbol": value.symbol, "side": value.side, "volume": value.volume,
                "open_price": value.open_price}
    if isinstance(value, dict):
        return {str(k)[:64]: summarize(v) for k, v in list(value.items())[:20]}
    if isinstance(value, (list, tuple)):
        return [summarize(v) for v in value[:20]]
    if is_dataclass(value) and not isinstance(value, type):
        return summarize(asdict(value))
    return str(value)[:200]
