"""The edges of the world for broker tests: a market whose quotes are set by hand and a clock
that only moves when told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agentic_desktop.domain.errors import UnknownSymbolError
from agentic_desktop.domain.trading import Candles, Quote, SymbolInfo

START = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)

EURUSD = SymbolInfo(symbol="EURUSD", description="Euro vs US Dollar", digits=5,
                    pip_size=0.0001, contract_size=100_000.0, lot_step=0.01, min_lot=0.01,
                    max_lot=100.0)
USDJPY = SymbolInfo(symbol="USDJPY", description="US Dollar vs Yen", digits=3, pip_size=0.01,
                    contract_size=100_000.0, lot_step=0.01, min_lot=0.01, max_lot=100.0,
                    currency="JPY")
XAUUSD = SymbolInfo(symbol="XAUUSD", description="Gold", digits=2, pip_size=0.1,
                    contract_size=100.0, lot_step=0.01, min_lot=0.01, max_lot=50.0)


class HandClock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return self.at.timestamp()

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class HandMarket:
    """MarketData with quotes set by hand: `set(symbol, bid, ask)`."""

    def __init__(self, clock: HandClock, symbols: list[SymbolInfo]) -> None:
        self._clock = clock
        self._symbols = {s.symbol: s for s in symbols}
        self._prices: dict[str, tuple[float, float]] = {}

    def set(self, symbol: str, bid: float, ask: float) -> None:
        self._prices[symbol] = (bid, ask)

    def symbols(self) -> list[SymbolInfo]:
        return list(self._symbols.values())

    def symbol_info(self, symbol: str) -> SymbolInfo:
        try:
            return self._symbols[symbol]
        except KeyError:
            raise UnknownSymbolError(symbol, sorted(self._symbols)) from None

    async def quote(self, symbol: str) -> Quote:
        self.symbol_info(symbol)
        bid, ask = self._prices[symbol]
        return Quote(symbol=symbol, bid=bid, ask=ask, last=bid, time=self._clock.now())

    async def candles(self, symbol: str, timeframe: str, count: int,
                      end: datetime | None = None) -> Candles:
        raise NotImplementedError("broker tests use quotes only")
