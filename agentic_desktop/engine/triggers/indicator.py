"""Indicator triggers: {"symbol": "EURUSD", "timeframe": "H1", "indicator": "rsi",
"params": {"period": 14}, "condition": "rsi < 30", "check_interval": 5, "lookback": 200}.

Evaluated on CLOSED candles only, once per new closed bar: the trigger remembers the open time
of the last bar it evaluated and does not even fetch candles until the next bar can have
closed. Indicators are TA-Lib's, with the same defaults as the indicator nodes (RSI 14,
SMA/EMA 20, MACD 12/26/9, Bollinger 20 with 2 population σ) and the same default lookback as
the Candles node (200 bars), so a trigger and a workflow computing the same indicator agree.

Names in the condition: rsi | sma | ema | macd, signal, hist | upper, middle, lower (the
indicator's outputs) and close / price (the bar's close). `crosses_above`/`crosses_below`
compare the last closed bar with the bar before it.

Edge-triggered like price triggers: fire when the condition becomes true on a new bar, re-arm
when it is false on a later bar. The first evaluation after the trigger is added, and the first
after a detected sleep or clock jump, only establishes the state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import talib

from agentic_desktop.domain.expressions import (
    Condition,
    ConditionError,
    evaluate,
    parse_condition,
)
from agentic_desktop.domain.jobs import ScheduledJob
from agentic_desktop.domain.nodespec import TIMEFRAME_SECONDS, TIMEFRAMES
from agentic_desktop.domain.schedule import ScheduleError
from agentic_desktop.domain.trading import Candles

FloatArray = npt.NDArray[np.float64]
DEFAULT_CHECK_INTERVAL = 5.0
DEFAULT_LOOKBACK = 200
MAX_LOOKBACK = 20_000

# indicator -> (its output names, default params)
INDICATORS: dict[str, tuple[tuple[str, ...], dict[str, float]]] = {
    "rsi": (("rsi",), {"period": 14}),
    "sma": (("sma",), {"period": 20}),
    "ema": (("ema",), {"period": 20}),
    "macd": (("macd", "signal", "hist"),
             {"fast_period": 12, "slow_period": 26, "signal_period": 9}),
    "bbands": (("upper", "middle", "lower"), {"period": 20, "nbdev_up": 2.0, "nbdev_dn": 2.0}),
}
# TA-Lib MA_Type.SMA: the middle band is a plain SMA (as in the Bollinger node).
_MA_SMA: Any = 0
_INTEGER_PARAMS = frozenset({"period", "fast_period", "slow_period", "signal_period"})


@dataclass(frozen=True, kw_only=True)
class IndicatorCondition:
    symbol: str
    timeframe: str
    indicator: str
    params: dict[str, float]
    condition: str
    parsed: Condition
    check_interval: float
    lookback: int

    @property
    def timeframe_seconds(self) -> int:
        return TIMEFRAME_SECONDS[self.timeframe]

    @property
    def names(self) -> tuple[str, ...]:
        return (*INDICATORS[self.indicator][0], "close", "price")


def _params(indicator: str, raw: object) -> dict[str, float]:
    defaults = INDICATORS[indicator][1]
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ScheduleError("params", f"must be an object like {{'period': 14}}, got {raw!r}")
    unknown = sorted(set(raw) - set(defaults))
    if unknown:
        raise ScheduleError("params", f"{indicator} has no param {unknown[0]!r}: use "
                                      f"{', '.join(defaults)}")
    out = dict(defaults)
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value):
            raise ScheduleError("params", f"{key} must be a number, got {value!r}")
        if key in _INTEGER_PARAMS:
            if value != int(value) or not 1 <= value <= 1000:
                raise ScheduleError("params", f"{key} must be a whole number 1-1000, "
                                              f"got {value!r}")
            if key == "period" and value < 2:
                raise ScheduleError("params", f"period must be at least 2, got {value!r}")
        elif not 0 <= value <= 10:
            raise ScheduleError("params", f"{key} must be between 0 and 10, got {value!r}")
        out[str(key)] = float(value)
    if indicator == "macd" and out["fast_period"] >= out["slow_period"]:
        raise ScheduleError("params", f"fast_period {out['fast_period']:g} must be shorter "
                                      f"than slow_period {out['slow_period']:g}")
    return out


def parse_indicator_trigger(config: Mapping[str, object]) -> IndicatorCondition:
    """Validate an indicator trigger_config. Raises ScheduleError naming the field."""
    symbol = config.get("symbol")
    if not isinstance(symbol, str) or not symbol.strip():
        raise ScheduleError("symbol", "is missing: give the instrument, like 'EURUSD'")
    timeframe = config.get("timeframe", "H1")
    if not isinstance(timeframe, str) or timeframe not in TIMEFRAMES:
        raise ScheduleError("timeframe", f"must be one of {', '.join(TIMEFRAMES)}, "
                                         f"got {timeframe!r}")
    indicator = config.get("indicator")
    if not isinstance(indicator, str) or indicator.lower() not in INDICATORS:
        raise ScheduleError("indicator", f"must be one of {', '.join(INDICATORS)}, "
                                         f"got {indicator!r}")
    indicator = indicator.lower()
    params = _params(indicator, config.get("params"))
    text = config.get("condition")
    if not isinstance(text, str):
        raise ScheduleError("condition", f"is missing: write a comparison like "
                                         f"'{INDICATORS[indicator][0][0]} < 30'")
    names = (*INDICATORS[indicator][0], "close", "price")
    try:
        parsed = parse_condition(text, allowed_names=names)
    except ConditionError as exc:
        raise ScheduleError("condition", str(exc).removeprefix("condition: ")) from None
    interval = config.get("check_interval", DEFAULT_CHECK_INTERVAL)
    if isinstance(interval, bool) or not isinstance(interval, int | float) \
            or not 0.5 <= interval <= 86400:
        raise ScheduleError("check_interval", f"must be a number of seconds 0.5-86400, "
                                              f"got {interval!r}")
    lookback = config.get("lookback", DEFAULT_LOOKBACK)
    if isinstance(lookback, bool) or not isinstance(lookback, int) \
            or not 10 <= lookback <= MAX_LOOKBACK:
        raise ScheduleError("lookback", f"must be a whole number of bars 10-{MAX_LOOKBACK}, "
                                        f"got {lookback!r}")
    return IndicatorCondition(symbol=symbol, timeframe=timeframe, indicator=indicator,
                              params=params, condition=text, parsed=parsed,
                              check_interval=float(interval), lookback=lookback)


def compute(cond: IndicatorCondition, close: FloatArray) -> dict[str, FloatArray]:
    """The indicator's outputs over `close` (TA-Lib), by condition name."""
    p = cond.params
    close = np.ascontiguousarray(close, dtype=np.float64)
    if cond.indicator == "rsi":
        return {"rsi": talib.RSI(close, timeperiod=int(p["period"]))}
    if cond.indicator == "sma":
        return {"sma": talib.SMA(close, timeperiod=int(p["period"]))}
    if cond.indicator == "ema":
        return {"ema": talib.EMA(close, timeperiod=int(p["period"]))}
    if cond.indicator == "macd":
        macd, signal, hist = talib.MACD(close, fastperiod=int(p["fast_period"]),
                                        slowperiod=int(p["slow_period"]),
                                        signalperiod=int(p["signal_period"]))
        return {"macd": macd, "signal": signal, "hist": hist}
    upper, middle, lower = talib.BBANDS(close, timeperiod=int(p["period"]),
                                        nbdevup=p["nbdev_up"], nbdevdn=p["nbdev_dn"],
                                        matype=_MA_SMA)
    return {"upper": upper, "middle": middle, "lower": lower}


def _at(series: Mapping[str, FloatArray], close: FloatArray, index: int) -> dict[str, float]:
    values = {name: float(arr[index]) for name, arr in series.items()}
    values["close"] = values["price"] = float(close[index])
    return values


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, kw_only=True)
class IndicatorFire:
    job: ScheduledJob
    bar_close: datetime
    payload: dict[str, Any]


@dataclass
class IndicatorState:
    job: ScheduledJob
    cond: IndicatorCondition
    last_bar: int | None = None  # open time (epoch s) of the last evaluated bar
    known: bool = False
    armed: bool = False
    warned: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.last_bar, self.known, self.armed = None, False, False

    def wants_candles(self, now_epoch: float) -> bool:
        """False until a bar after the last evaluated one can have closed."""
        if self.last_bar is None:
            return True
        return now_epoch >= self.last_bar + 2 * self.cond.timeframe_seconds

    def on_candles(self, candles: Candles, now_epoch: float,
                   warn: Callable[[str], None]) -> IndicatorFire | None:
        """Evaluate the last closed bar if it is new. Bars still open (closing after
        `now_epoch`) are ignored, whatever the market returned."""
        tf = self.cond.timeframe_seconds
        times = np.asarray(candles.time)
        closed = int(np.searchsorted(times, now_epoch - tf, side="right"))
        if closed == 0:
            return None
        last = int(times[closed - 1])
        if self.last_bar is not None and last <= self.last_bar:
            return None
        self.last_bar = last
        close = np.asarray(candles.close[:closed], dtype=np.float64)
        series = compute(self.cond, close)
        current = _at(series, close, -1)
        if any(math.isnan(v) for v in current.values()):
            message = (f"schedule {self.job.id}: {self.cond.indicator} needs more than "
                       f"{closed} {self.cond.timeframe} bars of {self.cond.symbol} to have a "
                       "value: raise 'lookback' or import more history")
            if message not in self.warned:
                self.warned.add(message)
                warn(message)
            return None
        previous = _at(series, close, -2) if closed >= 2 else None
        if previous is not None and any(math.isnan(v) for v in previous.values()):
            previous = None
        cond = evaluate(self.cond.parsed, current, previous)
        if not self.known:
            self.known, self.armed = True, not cond
            return None
        if not cond:
            self.armed = True
            return None
        if not self.armed:
            return None
        self.armed = False
        bar_close = last + tf
        payload: dict[str, Any] = {
            "trigger": "indicator", "schedule_id": self.job.id, "symbol": self.cond.symbol,
            "timeframe": self.cond.timeframe, "indicator": self.cond.indicator,
            "params": dict(self.cond.params), "condition": self.cond.condition,
            "values": current, "price": current["close"], "bar_time": _iso(last),
            "bar_close_time": _iso(bar_close), "time": _iso(int(now_epoch)),
        }
        return IndicatorFire(job=self.job, bar_close=datetime.fromtimestamp(bar_close, UTC),
                             payload=payload)
