"""Price triggers: {"symbol": "EURUSD", "condition": "price > 1.10", "check_interval": 5,
"source": "mid", "hysteresis": 0.0005}.

Edge-triggered (DESIGN.md §5): a trigger fires when its condition BECOMES true and re-arms only
once it is false again; with `hysteresis` h, `price > t` re-arms only when the price is back at
or below t - h (and `price < t` at or above t + h), so a price hovering at the threshold fires
once, not on every wiggle. `crosses_above t` behaves as `> t` does here (both fire on the
upward crossing); `crosses_below t` as `< t`.

The first evaluation after a trigger is added (app start, edit, resume) or after a detected
sleep or clock jump only establishes its state: a condition that is already true then does not
fire (it has not *become* true while we were watching), it has to turn false and true again.

The condition names the price: `price` is the config's `source` (bid, ask, mid or last; mid
by default); `bid`, `ask`, `mid` and `last` name a source directly.

Evaluation is vectorised: the common form `<name> <op> <number>` goes into numpy arrays, so
one tick over 1,000 triggers costs a handful of array operations on a (symbols x sources)
price table. Other conditions (and/or, == / !=, name against name like `bid > last`) take a
per-trigger path through `domain.expressions.evaluate`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from agentic_desktop.domain.expressions import (
    Comparison,
    Condition,
    ConditionError,
    Name,
    Number,
    evaluate,
    parse_condition,
    referenced_names,
)
from agentic_desktop.domain.jobs import ScheduledJob
from agentic_desktop.domain.schedule import ScheduleError
from agentic_desktop.domain.trading import PriceSource, Quote

SOURCES: tuple[PriceSource, ...] = ("bid", "ask", "mid", "last")
PRICE_NAMES = frozenset({"price", *SOURCES})
DEFAULT_SOURCE: PriceSource = "mid"
DEFAULT_CHECK_INTERVAL = 5.0
MIN_CHECK_INTERVAL = 0.5
MAX_CHECK_INTERVAL = 86400.0

# Vectorised operator codes.
_GT, _GE, _LT, _LE = 0, 1, 2, 3
_SIMPLE_OPS = {">": _GT, ">=": _GE, "<": _LT, "<=": _LE,
               "crosses_above": _GT, "crosses_below": _LT}
_FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">=",
            "crosses_above": "crosses_below", "crosses_below": "crosses_above"}


def stale_after_seconds(check_interval: float) -> float:
    """A quote older than this (vs the clock) is never acted on."""
    return max(2.0 * check_interval, 10.0)


@dataclass(frozen=True, kw_only=True)
class PriceCondition:
    symbol: str
    source: PriceSource
    condition: str
    parsed: Condition
    check_interval: float
    hysteresis: float
    op: int | None  # vectorisable threshold form: operator code...
    threshold: float  # ...and its number (NaN otherwise)


def _number(config: Mapping[str, object], key: str, default: float, low: float,
            high: float) -> float:
    raw = config.get(key, default)
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ScheduleError(key, f"must be a number, got {raw!r}")
    if not low <= raw <= high:
        raise ScheduleError(key, f"must be between {low:g} and {high:g}, got {raw!r}")
    return float(raw)


def parse_price_trigger(config: Mapping[str, object]) -> PriceCondition:
    """Validate a price trigger_config. Raises ScheduleError naming the field (the condition's
    message carries the column of the offending token)."""
    symbol = config.get("symbol")
    if not isinstance(symbol, str) or not symbol.strip():
        raise ScheduleError("symbol", "is missing: give the instrument, like 'EURUSD'")
    raw_source = config.get("source") or DEFAULT_SOURCE
    found = next((s for s in SOURCES if s == raw_source), None)
    if found is None:
        raise ScheduleError("source", f"must be one of {', '.join(SOURCES)}, got {raw_source!r}")
    source: PriceSource = found
    text = config.get("condition")
    if not isinstance(text, str):
        raise ScheduleError("condition", "is missing: write a comparison like 'price > 1.10'")
    try:
        parsed = parse_condition(text, allowed_names=PRICE_NAMES)
    except ConditionError as exc:
        raise ScheduleError("condition", str(exc).removeprefix("condition: ")) from None
    if not referenced_names(parsed):
        raise ScheduleError("condition", f"{text!r} names no price: compare price with a number")
    interval = _number(config, "check_interval", DEFAULT_CHECK_INTERVAL, MIN_CHECK_INTERVAL,
                       MAX_CHECK_INTERVAL)
    hysteresis = _number(config, "hysteresis", 0.0, 0.0, math.inf)
    op, threshold = None, math.nan
    if isinstance(parsed, Comparison):
        left, right, name_op = parsed.left, parsed.right, str(parsed.op)
        if isinstance(left, Number) and isinstance(right, Name):
            left, right, name_op = right, left, _FLIPPED.get(name_op, name_op)
        if isinstance(left, Name) and isinstance(right, Number) and name_op in _SIMPLE_OPS:
            op, threshold = _SIMPLE_OPS[name_op], right.value
            if left.name != "price":
                source = next(s for s in SOURCES if s == left.name)
    if hysteresis and op is None:
        raise ScheduleError("hysteresis", f"needs a simple condition like 'price > 1.10', "
                                          f"not {text!r}")
    return PriceCondition(symbol=symbol, source=source, condition=text, parsed=parsed,
                          check_interval=interval, hysteresis=hysteresis, op=op,
                          threshold=threshold)


def quote_values(quote: Quote, source: PriceSource) -> dict[str, float]:
    values = {"bid": float(quote.bid), "ask": float(quote.ask), "mid": float(quote.mid),
              "last": float(quote.last)}
    values["price"] = values[source]
    return values


@dataclass(frozen=True, kw_only=True)
class PriceFire:
    job: ScheduledJob
    quote: Quote
    payload: dict[str, Any]


@dataclass
class _Entry:
    job: ScheduledJob
    cond: PriceCondition
    # Scalar-path state (the vectorised ones keep theirs in arrays).
    known: bool = False
    armed: bool = False
    previous: dict[str, float] | None = None


BoolArray = npt.NDArray[np.bool_]


class PriceBook:
    """Price triggers that share one check interval, with their edge state."""

    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}
        self._dirty = True
        self._symbols: list[str] = []
        self._scalar: list[_Entry] = []
        # Vectorised columns, one row per simple trigger.
        self._ids: list[int] = []
        self._sym = np.zeros(0, dtype=np.intp)
        self._src = np.zeros(0, dtype=np.intp)
        self._sign = np.zeros(0)
        self._strict = np.zeros(0, dtype=bool)
        self._thr = np.zeros(0)
        self._rearm = np.zeros(0)
        self._known: BoolArray = np.zeros(0, dtype=bool)
        self._armed: BoolArray = np.zeros(0, dtype=bool)
        self._table = np.zeros((0, len(SOURCES)))

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, job: ScheduledJob, cond: PriceCondition) -> None:
        self.remove(job.id)
        self._entries[job.id] = _Entry(job=job, cond=cond)
        self._dirty = True

    def remove(self, schedule_id: int) -> None:
        if self._entries.pop(schedule_id, None) is not None:
            self._dirty = True

    def symbols(self) -> list[str]:
        self._build()
        return self._symbols

    def reset(self) -> None:
        """Forget every trigger's state: the next evaluation only establishes it."""
        self._known[:] = False
        self._armed[:] = False
        for entry in self._entries.values():
            entry.known, entry.armed, entry.previous = False, False, None

    def _build(self) -> None:
        if not self._dirty:
            return
        carried = {i: (bool(k), bool(a))
                   for i, k, a in zip(self._ids, self._known, self._armed, strict=True)}
        self._symbols = sorted({e.cond.symbol for e in self._entries.values()})
        index = {s: i for i, s in enumerate(self._symbols)}
        simple = [e for e in self._entries.values() if e.cond.op is not None]
        self._scalar = [e for e in self._entries.values() if e.cond.op is None]
        self._ids = [e.job.id for e in simple]
        self._sym = np.array([index[e.cond.symbol] for e in simple], dtype=np.intp)
        self._src = np.array([SOURCES.index(e.cond.source) for e in simple], dtype=np.intp)
        ops = np.array([e.cond.op for e in simple], dtype=np.int64)
        up = (ops == _GT) | (ops == _GE)
        self._strict = (ops == _GT) | (ops == _LT)
        # Below-operators are above-operators on the negated price: with sign s = +1 (>, >=)
        # or -1 (<, <=), `price > t` and `price < t` are both `s*price > s*t`.
        self._sign = np.where(up, 1.0, -1.0)
        thr = np.array([e.cond.threshold for e in simple], dtype=np.float64)
        hyst = np.array([e.cond.hysteresis for e in simple], dtype=np.float64)
        self._thr = self._sign * thr
        self._rearm = self._thr - hyst  # re-arm once s*price is back at or below this
        state = [carried.get(i, (False, False)) for i in self._ids]
        self._known = np.array([k for k, _ in state], dtype=bool)
        self._armed = np.array([a for _, a in state], dtype=bool)
        self._table = np.full((len(self._symbols), len(SOURCES)), np.nan)
        self._dirty = False

    def evaluate(self, quotes: Mapping[str, Quote]) -> list[PriceFire]:
        """One tick over usable quotes (the caller drops stale ones). A trigger whose symbol
        has no usable quote keeps its state and does not fire."""
        self._build()
        fires: list[PriceFire] = []
        if self._ids:
            table = self._table
            table.fill(np.nan)
            for i, symbol in enumerate(self._symbols):
                q = quotes.get(symbol)
                if q is not None:
                    table[i, 0], table[i, 1], table[i, 3] = q.bid, q.ask, q.last
                    table[i, 2] = (q.bid + q.ask) / 2.0
            fires.extend(self._evaluate_vector(table, quotes))
        for entry in self._scalar:
            fire = _evaluate_scalar(entry, quotes.get(entry.cond.symbol))
            if fire is not None:
                fires.append(fire)
        return fires

    def _evaluate_vector(self, table: npt.NDArray[np.float64],
                         quotes: Mapping[str, Quote]) -> list[PriceFire]:
        price = table[self._sym, self._src]
        valid = ~np.isnan(price)
        x = self._sign * price
        strict = self._strict
        with np.errstate(invalid="ignore"):
            # strict (>): x > t, re-armed at x <= t - h; non-strict (>=): x >= t, x < t - h.
            cond = (x > self._thr) | (~strict & (x == self._thr))
            back = (x < self._rearm) | (strict & (x == self._rearm))
        known, armed = self._known, self._armed
        fire = valid & known & armed & cond
        # First look: armed unless already true. Later: disarm on fire, re-arm once back.
        first = valid & ~known
        armed[first] = ~cond[first]
        armed[fire] = False
        armed[valid & known & back] = True
        known |= valid
        out = []
        for row in np.flatnonzero(fire):
            entry = self._entries[self._ids[row]]
            quote = quotes[entry.cond.symbol]
            out.append(_fire(entry, quote, float(price[row])))
        return out


def _evaluate_scalar(entry: _Entry, quote: Quote | None) -> PriceFire | None:
    if quote is None:
        return None
    values = quote_values(quote, entry.cond.source)
    cond = evaluate(entry.cond.parsed, values, entry.previous)
    entry.previous = values
    if not entry.known:
        entry.known, entry.armed = True, not cond
        return None
    if cond and entry.armed:
        entry.armed = False
        return _fire(entry, quote, values["price"])
    if not cond:
        entry.armed = True
    return None


def _fire(entry: _Entry, quote: Quote, price: float) -> PriceFire:
    cond = entry.cond
    payload: dict[str, Any] = {
        "trigger": "price", "schedule_id": entry.job.id, "symbol": cond.symbol,
        "price": price, "source": cond.source, "condition": cond.condition,
        "time": quote.time.isoformat().replace("+00:00", "Z"),
        "bid": float(quote.bid), "ask": float(quote.ask), "last": float(quote.last),
    }
    return PriceFire(job=entry.job, quote=quote, payload=payload)
