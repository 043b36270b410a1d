from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agentic_desktop.domain.errors import UserError
from agentic_desktop.engine.ports import CandleRow
from agentic_desktop.store import SqlCandleRepository, open_database


def _bars(n: int, start: int = 1_700_000_000, step: int = 3600) -> list[CandleRow]:
    return [CandleRow(time=start + i * step, open=1.0 + i, high=2.0 + i, low=0.5 + i,
                      close=1.5 + i, volume=10.0 * i) for i in range(n)]


@pytest.fixture
def repo(data_dir: Path) -> SqlCandleRepository:
    return SqlCandleRepository(open_database(data_dir))


def test_load_returns_the_last_bars_ascending_as_numpy(repo: SqlCandleRepository) -> None:
    bars = _bars(10)
    assert repo.import_rows("EURUSD", "H1", list(reversed(bars))) == 10
    c = repo.load("EURUSD", "H1", 3)
    assert c is not None
    assert c.time.dtype == np.int64 and c.close.dtype == np.float64
    assert c.time.tolist() == [b.time for b in bars[7:]]
    assert c.open.tolist() == [8.0, 9.0, 10.0]
    assert c.volume.tolist() == [70.0, 80.0, 90.0]

    upto = repo.load("EURUSD", "H1", 4, end_time=bars[5].time)
    assert upto is not None and upto.time.tolist() == [b.time for b in bars[2:6]]
    assert len(repo.load("EURUSD", "H1", 100) or ()) == 10
    before = repo.load("EURUSD", "H1", 5, end_time=bars[0].time - 1)
    assert before is not None and len(before) == 0
    assert repo.load("EURUSD", "M5", 5) is None
    assert repo.load("GBPUSD", "H1", 5) is None


def test_import_replaces_existing_bars(repo: SqlCandleRepository) -> None:
    repo.import_rows("EURUSD", "H1", _bars(3))
    changed = CandleRow(time=_bars(3)[1].time, open=5, high=6, low=4, close=5.5, volume=1)
    repo.import_rows("EURUSD", "H1", [changed])
    c = repo.load("EURUSD", "H1", 10)
    assert c is not None and c.close.tolist() == [1.5, 5.5, 3.5]
    assert repo.available() == [("EURUSD", "H1", 3)]


@pytest.mark.parametrize("bad", [
    CandleRow(time=1, open=float("nan"), high=1, low=1, close=1, volume=1),
    CandleRow(time=1, open=1, high=1, low=2, close=1, volume=1),
    CandleRow(time=1, open=1, high=1, low=1, close=1, volume=-1),
])
def test_a_failing_row_rolls_back_the_whole_import(repo: SqlCandleRepository,
                                                   bad: CandleRow) -> None:
    repo.import_rows("EURUSD", "H1", _bars(2, start=100))
    rows = [*_bars(5), CandleRow(**{**bad.__dict__, "time": 1_800_000_000}), *_bars(3, 10**9)]
    with pytest.raises(UserError, match=r"bar 5 \(time 1800000000\).*nothing was written"):
        repo.import_rows("EURUSD", "H1", rows)
    assert repo.available() == [("EURUSD", "H1", 2)]  # the earlier import is untouched
