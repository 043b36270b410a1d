"""A market tests can script: the market is the edge of the world (DESIGN.md §10), so node,
broker and trigger tests fix its prices here instead of mocking the code under test."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from datetime import datetime

import numpy as np

from agentic_desktop.domain.errors import UnknownSymbolError, UserError
from agentic_desktop.domain.trading import Candles, Quote, SymbolInfo
from agentic_desktop.engine.ports import Clock, MarketData
from agentic_desktop.market.simulated import SimulatedMarket
from agentic_desktop.market.timeframes import bar_open, check_count, check_timeframe, to_epoch

ScriptedPrice = float | tuple[float, float]  # one price (bid = ask = last) or (bid, ask)


class ScriptedMarket:
    """MarketData whose quotes and candles can be fixed per symbol; anything not scripted
    comes from `inner` (by default a `SimulatedMarket` on the same clock and seed).

    - `set_price(symbol, bid, ask=None)`: every quote is this price from now on. Without
      `ask` the spread is zero, so bid = ask = mid = last = the given price.
    - `script_quotes(symbol, [p1, p2, ...])`: each `quote()` call takes the next price; the
      last one then sticks (a price trigger polling a path of prices).
    - `set_candles(symbol, timeframe, candles)`: `candles()` serves these bars for that
      symbol and timeframe, closed bars only, the last `count` at or before `end`.
    - `set_closes(symbol, timeframe, closes)`: the same, built from closing prices, ending at
      the last bar closed at the clock's current time.
    - `add_symbol(info)`: a symbol the inner market does not know (then script its prices).
    Quotes carry the clock's current time, so they are never stale.
    """

    def __init__(self, clock: Clock, *, seed: int = 0, inner: MarketData | None = None) -> None:
        self._clock = clock
        self._inner: MarketData = inner if inner is not None else SimulatedMarket(clock, seed=seed)
        self._extra: dict[str, SymbolInfo] = {}
        self._quotes: dict[str, deque[tuple[float, float]]] = {}
        self._candles: dict[tuple[str, str], Candles] = {}

    # -- scripting ------------------------------------------------------------------------

    def add_symbol(self, info: SymbolInfo) -> None:
        self._extra[info.symbol] = info

    def set_price(self, symbol: str, bid: float, ask: float | None = None) -> None:
        self.script_quotes(symbol, [(bid, bid if ask is None else ask)])

    def script_quotes(self, symbol: str, prices: Iterable[ScriptedPrice]) -> None:
        self.symbol_info(symbol)
        steps: deque[tuple[float, float]] = deque()
        for p in prices:
            bid, ask = (float(p[0]), float(p[1])) if isinstance(p, tuple) else (p, p)
            if ask < bid:
                raise UserError(f"scripted quote for {symbol}: ask {ask} is below bid {bid}")
            steps.append((float(bid), float(ask)))
        if not steps:
            raise UserError(f"script_quotes({symbol!r}) needs at least one price")
        self._quotes[symbol] = steps

    def set_candles(self, symbol: str, timeframe: str, candles: Candles) -> None:
        self.symbol_info(symbol)
        check_timeframe(timeframe)
        self._candles[(symbol, timeframe)] = candles

    def set_closes(self, symbol: str, timeframe: str, closes: Sequence[float],
                   *, volume: float = 100.0) -> Candles:
        """Bars whose closes are `closes`; each opens at the previous close, and the last bar
        is the one that most recently closed. Returns what `candles()` will serve."""
        tf = check_timeframe(timeframe)
        close = np.asarray(closes, dtype=np.float64)
        if close.ndim != 1 or close.size == 0:
            raise UserError("set_closes needs a non-empty list of prices")
        opens = np.concatenate((close[:1], close[:-1]))
        last_open = bar_open(to_epoch(self._clock.now()), tf) - tf
        candles = Candles(
            symbol=symbol, timeframe=timeframe,
            time=last_open - tf * np.arange(close.size - 1, -1, -1, dtype=np.int64),
            open=opens, high=np.maximum(opens, close), low=np.minimum(opens, close),
            close=close, volume=np.full(close.size, float(volume)),
        )
        self.set_candles(symbol, timeframe, candles)
        return candles

    def clear(self, symbol: str | None = None) -> None:
        """Drop scripted quotes and candles (of one symbol, or all)."""
        if symbol is None:
            self._quotes.clear()
            self._candles.clear()
            return
        self._quotes.pop(symbol, None)
        for key in [k for k in self._candles if k[0] == symbol]:
            del self._candles[key]

    # -- MarketData -----------------------------------------------------------------------

    def symbols(self) -> list[SymbolInfo]:
        return [*self._inner.symbols(), *self._extra.values()]

    def symbol_info(self, symbol: str) -> SymbolInfo:
        if symbol in self._extra:
            return self._extra[symbol]
        try:
            return self._inner.symbol_info(symbol)
        except UnknownSymbolError:
            raise UnknownSymbolError(symbol, [s.symbol for s in self.symbols()]) from None

    async def quote(self, symbol: str) -> Quote:
        steps = self._quotes.get(symbol)
        if steps is None:
            if symbol in self._extra:
                raise UserError(f"no price scripted for {symbol}: call set_price() first")
            return await self._inner.quote(symbol)
        bid, ask = steps.popleft() if len(steps) > 1 else steps[0]
        return Quote(symbol=symbol, bid=bid, ask=ask, last=(bid + ask) / 2.0,
                     time=self._clock.now())

    async def candles(self, symbol: str, timeframe: str, count: int,
                      end: datetime | None = None) -> Candles:
        scripted = self._candles.get((symbol, timeframe))
        if scripted is None:
            self.symbol_info(symbol)
            return await self._inner.candles(symbol, timeframe, count, end)
        tf = check_timeframe(timeframe)
        count = check_count(count)
        now = to_epoch(self._clock.now())
        end_ts = now if end is None else min(to_epoch(end), now)
        return take_closed(scripted, tf, count, end_ts)


def take_closed(candles: Candles, tf_seconds: int, count: int, end_ts: int) -> Candles:
    """The last `count` bars of `candles` that closed at or before `end_ts`."""
    stop = int(np.searchsorted(candles.time, end_ts - tf_seconds, side="right"))
    start = max(0, stop - count)
    return Candles(
        symbol=candles.symbol, timeframe=candles.timeframe,
        time=candles.time[start:stop], open=candles.open[start:stop],
        high=candles.high[start:stop], low=candles.low[start:stop],
        close=candles.close[start:stop], volume=candles.volume[start:stop],
    )
