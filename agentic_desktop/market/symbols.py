"""The simulated market's instruments: contract facts plus the parameters of their price paths.

Levels, volatilities and spreads are chosen to look like the real instruments in 2024 so that
position sizing, stops and P&L in a demo are in believable ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentic_desktop.domain.trading import SymbolInfo

# Relative weight of volatility per UTC hour (normalised later). FX is quiet in Asia and busiest
# in the London/New York overlap; crypto trades around the clock; AAPL moves mostly while
# Nasdaq is open (13:30-20:00 UTC) and drifts in extended hours.
_FX_HOURS = (0.6, 0.55, 0.5, 0.5, 0.55, 0.6, 0.75, 1.1, 1.35, 1.3, 1.2, 1.1,
             1.25, 1.5, 1.5, 1.4, 1.2, 0.95, 0.8, 0.7, 0.6, 0.5, 0.45, 0.5)
_CRYPTO_HOURS = (1.0, 0.95, 0.9, 0.9, 0.9, 0.9, 0.95, 1.0, 1.05, 1.05, 1.0, 1.0,
                 1.05, 1.15, 1.2, 1.2, 1.1, 1.05, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
_STOCK_HOURS = (0.15, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.25, 0.3, 0.35,
                0.4, 1.8, 2.2, 1.7, 1.5, 1.5, 1.7, 2.0, 0.35, 0.25, 0.2, 0.15)


@dataclass(frozen=True, kw_only=True)
class SimSymbol:
    info: SymbolInfo
    level: float  # the price the path wanders around
    daily_vol: float  # stdev of daily log returns
    anchor_vol: float  # stdev of the slow anchor that keeps the level realistic for decades
    spread_points: tuple[int, int]  # min/max spread in points (10**-digits)
    tick_volume: int  # typical volume per 20-second tick
    hourly_vol: tuple[float, ...]


def _fx(symbol: str, description: str, level: float, digits: int, pip: float, vol: float,
        spread: tuple[int, int], currency: str) -> SimSymbol:
    return SimSymbol(
        info=SymbolInfo(symbol=symbol, description=description, digits=digits, pip_size=pip,
                        contract_size=100_000.0, lot_step=0.01, min_lot=0.01, max_lot=100.0,
                        currency=currency),
        level=level, daily_vol=vol, anchor_vol=0.03, spread_points=spread, tick_volume=12,
        hourly_vol=_FX_HOURS,
    )


SIM_SYMBOLS: dict[str, SimSymbol] = {
    s.info.symbol: s
    for s in (
        _fx("EURUSD", "Euro vs US Dollar", 1.09, 5, 0.0001, 0.0045, (6, 10), "USD"),
        _fx("GBPUSD", "Pound Sterling vs US Dollar", 1.27, 5, 0.0001, 0.0055, (9, 14), "USD"),
        _fx("USDJPY", "US Dollar vs Japanese Yen", 150.0, 3, 0.01, 0.006, (8, 13), "JPY"),
        SimSymbol(
            info=SymbolInfo(symbol="XAUUSD", description="Gold vs US Dollar", digits=2,
                            pip_size=0.1, contract_size=100.0, lot_step=0.01, min_lot=0.01,
                            max_lot=100.0, currency="USD"),
            level=2350.0, daily_vol=0.01, anchor_vol=0.05, spread_points=(20, 35),
            tick_volume=20, hourly_vol=_FX_HOURS,
        ),
        SimSymbol(
            info=SymbolInfo(symbol="BTCUSDT", description="Bitcoin vs Tether", digits=2,
                            pip_size=1.0, contract_size=1.0, lot_step=0.001, min_lot=0.001,
                            max_lot=100.0, currency="USDT"),
            level=65_000.0, daily_vol=0.028, anchor_vol=0.06, spread_points=(500, 1500),
            tick_volume=8, hourly_vol=_CRYPTO_HOURS,
        ),
        SimSymbol(
            info=SymbolInfo(symbol="ETHUSDT", description="Ether vs Tether", digits=2,
                            pip_size=0.1, contract_size=1.0, lot_step=0.01, min_lot=0.01,
                            max_lot=1000.0, currency="USDT"),
            level=3300.0, daily_vol=0.034, anchor_vol=0.07, spread_points=(30, 80),
            tick_volume=60, hourly_vol=_CRYPTO_HOURS,
        ),
        SimSymbol(
            info=SymbolInfo(symbol="AAPL", description="Apple Inc. (24h CFD)", digits=2,
                            pip_size=0.01, contract_size=1.0, lot_step=1.0, min_lot=1.0,
                            max_lot=10_000.0, currency="USD"),
            level=190.0, daily_vol=0.015, anchor_vol=0.06, spread_points=(1, 3),
            tick_volume=1500, hourly_vol=_STOCK_HOURS,
        ),
    )
}
