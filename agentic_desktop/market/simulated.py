"""The default market: offline, deterministic, realistic symbols (DESIGN.md §1).

Quotes and candles of every timeframe are views of one deterministic price path per symbol
(see `pricepath`), so a strategy sees the same world live and in a backtest, and a test can
pin exact values by fixing the clock and the seed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import numpy as np

from agentic_desktop.domain.errors import UnknownSymbolError
from agentic_desktop.domain.trading import Candles, Quote, SymbolInfo
from agentic_desktop.engine.ports import Clock
from agentic_desktop.market.pricepath import DAY_SECONDS, PricePath
from agentic_desktop.market.symbols import SIM_SYMBOLS
from agentic_desktop.market.timeframes import bar_open, check_count, check_timeframe, to_epoch

_INLINE_SPAN = 60 * DAY_SECONDS


class SimulatedMarket:
    """MarketData over the simulated symbols (see `symbols.SIM_SYMBOLS`).

    The candles are "last"-price bars (the mid of each tick); bid and ask sit half a spread
    around it. The market never reveals the future: an `end` after the clock's now is treated
    as now. It trades around the clock (no weekend gaps), which keeps demos and price
    triggers alive on any day.
    """

    def __init__(self, clock: Clock, *, seed: int = 0) -> None:
        self._clock = clock
        self._seed = seed
        self._paths = {name: PricePath(spec, seed) for name, spec in SIM_SYMBOLS.items()}

    def symbols(self) -> list[SymbolInfo]:
        return [spec.info for spec in SIM_SYMBOLS.values()]

    def symbol_info(self, symbol: str) -> SymbolInfo:
        return self._path(symbol).spec.info

    def _path(self, symbol: str) -> PricePath:
        path = self._paths.get(symbol)
        if path is None:
            raise UnknownSymbolError(symbol, list(self._paths))
        return path

    # -- quotes ---------------------------------------------------------------------------

    def quote_at(self, symbol: str, when: datetime) -> Quote:
        """The quote in effect at `when` (synchronous; backtests and the broker may use it)."""
        path = self._path(symbol)
        price, tick = path.price_at(to_epoch(when))
        point = 10.0 ** -path.digits
        spread = path.spread_points(tick)
        # Split odd spreads towards the ask so bid <= last <= ask on the price grid.
        bid = round(price - (spread // 2) * point, path.digits)
        ask = round(bid + spread * point, path.digits)
        return Quote(symbol=symbol, bid=bid, ask=ask, last=price,
                     time=when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC))

    async def quote(self, symbol: str) -> Quote:
        return self.quote_at(symbol, self._clock.now())

    # -- candles --------------------------------------------------------------------------

    def history(self, symbol: str, timeframe: str, count: int,
                end: datetime | None = None) -> Candles:
        """Synchronous `candles` for CPU-bound callers (backtests in worker threads)."""
        path = self._path(symbol)
        tf = check_timeframe(timeframe)
        count = check_count(count)
        now = to_epoch(self._clock.now())
        end_ts = now if end is None else min(to_epoch(end), now)
        # The bar containing end_ts is still forming; the one before it closed at or before.
        last_open = bar_open(end_ts, tf) - tf
        first_open = last_open - (count - 1) * tf
        bars = path.bars(tf, first_open, count)
        return Candles(
            symbol=symbol, timeframe=timeframe,
            time=np.arange(first_open, last_open + 1, tf, dtype=np.int64),
            open=bars.open, high=bars.high, low=bars.low, close=bars.close,
            volume=bars.volume,
        )

    async def candles(self, symbol: str, timeframe: str, count: int,
                      end: datetime | None = None) -> Candles:
        tf = check_timeframe(timeframe)
        if isinstance(count, int) and count * tf > _INLINE_SPAN:
            # Years of history cost ~0.1 ms per simulated day the first time: keep the event
            # loop (and the GUI on it) responsive by building them on a worker thread.
            return await asyncio.to_thread(self.history, symbol, timeframe, count, end)
        return self.history(symbol, timeframe, count, end)
