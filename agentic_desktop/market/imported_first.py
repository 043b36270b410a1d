"""MarketData that prefers imported candles (issue 2: "the Candles node prefers imported data
when it exists") and falls back to another market (normally the simulated one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agentic_desktop.domain.errors import UnknownSymbolError
from agentic_desktop.domain.nodespec import TIMEFRAME_SECONDS
from agentic_desktop.domain.trading import Candles, Quote, SymbolInfo
from agentic_desktop.engine.ports import CandleRepository, Clock, MarketData
from agentic_desktop.market.timeframes import check_count, check_timeframe, to_epoch


def guess_digits(prices: list[float]) -> int:
    """Decimals needed to write these prices (at most 8): the price grid of imported data."""
    digits = 0
    for p in prices:
        text = f"{p:.8f}".rstrip("0")
        digits = max(digits, len(text.split(".")[1]) if "." in text else 0)
    return digits


class ImportedFirstMarket:
    """Candles come from the repository when it holds that symbol and timeframe, otherwise
    from `market`.

    - Imported series are served as stored: the last `count` bars that closed at or before
      `end` (or the clock's now when a clock is given; without one, the latest stored bars).
      A stored series with no bar before `end` gives empty candles rather than mixing in
      simulated bars, which would silently splice two different worlds.
    - `symbols()` adds imported-only symbols with a generic SymbolInfo (digits guessed from
      the data, pip one digit up for 3/5-digit prices, contract 1, lot step 0.01).
    - `quote()` of an imported-only symbol has no live feed: it is the last imported close
      (of the freshest series) with zero spread, timestamped at that bar's close time so a
      price trigger's staleness check sees how old it is.
    """

    def __init__(self, market: MarketData, candles: CandleRepository,
                 *, clock: Clock | None = None) -> None:
        self._market = market
        self._repo = candles
        self._clock = clock
        self._infos: dict[str, SymbolInfo] = {}

    # -- symbols --------------------------------------------------------------------------

    def _imported(self) -> dict[str, list[str]]:
        series: dict[str, list[str]] = {}
        for symbol, timeframe, count in self._repo.available():
            if count > 0:
                series.setdefault(symbol, []).append(timeframe)
        return series

    def _market_symbols(self) -> dict[str, SymbolInfo]:
        return {s.symbol: s for s in self._market.symbols()}

    def symbols(self) -> list[SymbolInfo]:
        known = self._market_symbols()
        extra = [self._generic_info(s) for s in self._imported() if s not in known]
        return [*known.values(), *extra]

    def symbol_info(self, symbol: str) -> SymbolInfo:
        try:
            return self._market.symbol_info(symbol)
        except UnknownSymbolError:
            if symbol in self._imported():
                return self._generic_info(symbol)
            raise UnknownSymbolError(symbol, [s.symbol for s in self.symbols()]) from None

    def _generic_info(self, symbol: str) -> SymbolInfo:
        info = self._infos.get(symbol)
        if info is None:
            last = self._last_bar(symbol)
            prices = [] if last is None else [float(x) for x in last.close]
            digits = guess_digits(prices) if prices else 5
            pip = 10.0 ** -(digits - 1) if digits in (3, 5) else 10.0 ** -digits
            info = SymbolInfo(symbol=symbol, description="Imported candles (no live quotes)",
                              digits=digits, pip_size=pip, contract_size=1.0, lot_step=0.01,
                              min_lot=0.01, max_lot=1_000_000.0)
            self._infos[symbol] = info
        return info

    def _last_bar(self, symbol: str) -> Candles | None:
        """The freshest stored bar of any timeframe (by close time), with the 50 before it
        so digits can be guessed from more than one price."""
        best: Candles | None = None
        best_close = 0
        for timeframe in self._imported().get(symbol, []):
            bars = self._repo.load(symbol, timeframe, 50)
            if bars is None or len(bars) == 0:
                continue
            close_time = int(bars.time[-1]) + TIMEFRAME_SECONDS.get(timeframe, 0)
            if best is None or close_time > best_close:
                best, best_close = bars, close_time
        return best

    # -- MarketData -----------------------------------------------------------------------

    async def quote(self, symbol: str) -> Quote:
        if symbol in self._market_symbols():
            return await self._market.quote(symbol)
        bars = self._last_bar(symbol)
        if bars is None:
            raise UnknownSymbolError(symbol, [s.symbol for s in self.symbols()])
        price = float(bars.close[-1])
        opened = datetime.fromtimestamp(int(bars.time[-1]), UTC)
        closed = opened + timedelta(seconds=TIMEFRAME_SECONDS.get(bars.timeframe, 0))
        return Quote(symbol=symbol, bid=price, ask=price, last=price, time=closed)

    async def candles(self, symbol: str, timeframe: str, count: int,
                      end: datetime | None = None) -> Candles:
        tf = check_timeframe(timeframe)
        count = check_count(count)
        if end is None and self._clock is not None:
            end = self._clock.now()
        # The repository filters on open time; a bar is closed once open + tf <= end.
        end_open = None if end is None else to_epoch(end) - tf
        stored = self._repo.load(symbol, timeframe, count, end_open)
        if stored is not None:
            return stored
        return await self._market.candles(symbol, timeframe, count, end)
