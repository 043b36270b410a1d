from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from agentic_desktop.domain.errors import UnknownSymbolError
from agentic_desktop.domain.trading import Candles
from agentic_desktop.engine.clock import FakeClock
from agentic_desktop.engine.ports import CandleRepository, CandleRow
from agentic_desktop.market.csv_import import import_candles_csv
from agentic_desktop.market.imported_first import ImportedFirstMarket
from agentic_desktop.market.simulated import SimulatedMarket

NOW = datetime(2024, 6, 12, 14, 37, 25, tzinfo=UTC)


class MemoryCandleRepository:
    """In-memory CandleRepository with the store's semantics (replace on same time)."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, str], dict[int, CandleRow]] = {}

    def import_rows(self, symbol: str, timeframe: str, rows: Sequence[CandleRow]) -> int:
        self.series.setdefault((symbol, timeframe), {}).update({r.time: r for r in rows})
        return len(rows)

    def load(self, symbol: str, timeframe: str, count: int,
             end_time: int | None = None) -> Candles | None:
        bars = self.series.get((symbol, timeframe))
        if bars is None:
            return None
        rows = [bars[t] for t in sorted(bars) if end_time is None or t <= end_time][-count:]
        return Candles(symbol=symbol, timeframe=timeframe,
                       time=np.array([r.time for r in rows], dtype=np.int64),
                       **{f: np.array([getattr(r, f) for r in rows], dtype=np.float64)
                          for f in ("open", "high", "low", "close", "volume")})

    def available(self) -> list[tuple[str, str, int]]:
        return [(s, tf, len(b)) for (s, tf), b in sorted(self.series.items())]


def hourly(start: datetime, closes: list[float]) -> list[CandleRow]:
    t0 = int(start.timestamp())
    return [CandleRow(time=t0 + 3600 * i, open=c, high=c + 0.001, low=c - 0.001, close=c,
                      volume=10.0) for i, c in enumerate(closes)]


MakeMarket = Callable[[], tuple[ImportedFirstMarket, CandleRepository, SimulatedMarket]]


@pytest.fixture(params=["memory", "sqlite"])
def make_market(request: pytest.FixtureRequest, data_dir: Path) -> MakeMarket:
    """The same tests over the in-memory fake and the real SQLite repository."""

    def make() -> tuple[ImportedFirstMarket, CandleRepository, SimulatedMarket]:
        clock = FakeClock(NOW)
        sim = SimulatedMarket(clock)
        repo: CandleRepository
        if request.param == "memory":
            repo = MemoryCandleRepository()
        else:
            from agentic_desktop.store import SqlCandleRepository, open_database

            repo = SqlCandleRepository(open_database(data_dir))
        return ImportedFirstMarket(sim, repo, clock=clock), repo, sim

    return make


def test_imported_candles_win_for_their_symbol_and_timeframe_only(make_market: MakeMarket) -> None:
    market, repo, sim = make_market()
    repo.import_rows("EURUSD", "H1", hourly(datetime(2024, 6, 12, 9, tzinfo=UTC),
                                            [1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7]))
    c = asyncio.run(market.candles("EURUSD", "H1", 3))
    # the 15:00 bar is still forming at 14:37 and the 14:00 one has not closed either
    assert list(c.close) == [1.3, 1.4, 1.5]
    assert c.time[-1] == int(datetime(2024, 6, 12, 13, tzinfo=UTC).timestamp())
    # other timeframes and symbols come from the simulation
    m15 = asyncio.run(market.candles("EURUSD", "M15", 4))
    assert np.array_equal(m15.close, sim.history("EURUSD", "M15", 4).close)
    gbp = asyncio.run(market.candles("GBPUSD", "H1", 4))
    assert np.array_equal(gbp.close, sim.history("GBPUSD", "H1", 4).close)
    # quotes of a simulated symbol stay live
    assert asyncio.run(market.quote("EURUSD")) == sim.quote_at("EURUSD", NOW)


def test_end_limits_imported_bars_to_those_closed_by_then(make_market: MakeMarket) -> None:
    market, repo, _ = make_market()
    repo.import_rows("EURUSD", "H1", hourly(datetime(2024, 6, 12, 9, tzinfo=UTC),
                                            [1.1, 1.2, 1.3, 1.4]))
    c = asyncio.run(market.candles("EURUSD", "H1", 10, end=datetime(2024, 6, 12, 11, 0,
                                                                     tzinfo=UTC)))
    assert list(c.close) == [1.1, 1.2]
    early = asyncio.run(market.candles("EURUSD", "H1", 10, end=datetime(2024, 1, 1, tzinfo=UTC)))
    assert len(early) == 0


def test_imported_only_symbol_gets_generic_info_and_last_close_quote(
    make_market: MakeMarket,
) -> None:
    market, repo, _ = make_market()
    repo.import_rows("DE40", "H1", hourly(datetime(2024, 6, 12, 10, tzinfo=UTC),
                                          [18250.5, 18261.25, 18270.75]))
    names = [s.symbol for s in market.symbols()]
    assert "DE40" in names and "EURUSD" in names
    info = market.symbol_info("DE40")
    assert (info.symbol, info.digits, info.pip_size) == ("DE40", 2, 0.01)
    q = asyncio.run(market.quote("DE40"))
    assert (q.bid, q.ask, q.last) == (18270.75, 18270.75, 18270.75)
    assert q.time == datetime(2024, 6, 12, 13, tzinfo=UTC)  # the last bar's close time
    assert len(asyncio.run(market.candles("DE40", "H1", 10))) == 3
    with pytest.raises(UnknownSymbolError, match="DE40"):
        market.symbol_info("NOPE")


def test_csv_import_then_candles_node_view(make_market: MakeMarket, tmp_path: Path) -> None:
    market, repo, _ = make_market()
    path = tmp_path / "xau.csv"
    path.write_text("time,open,high,low,close,volume\n"
                    "2024-06-11,2300,2320,2290,2310,1000\n"
                    "2024-06-10,2290,2305,2280,2300,900\n")
    assert import_candles_csv(path, symbol="XAUUSD", timeframe="D1", repository=repo) == 2
    d1 = asyncio.run(market.candles("XAUUSD", "D1", 5))
    assert list(d1.close) == [2300.0, 2310.0]
