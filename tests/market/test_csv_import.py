from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agentic_desktop.domain.errors import UserError
from agentic_desktop.engine.ports import CandleRow
from agentic_desktop.market.csv_import import (
    CsvImportError,
    import_candles_csv,
    parse_candles_csv,
)


def ts(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())  # type: ignore[misc]


MT5_H1 = (
    "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
    "2024.01.02\t00:00:00\t1.10427\t1.10463\t1.10361\t1.10398\t1184\t0\t2\n"
    "2024.01.02\t01:00:00\t1.10398\t1.10420\t1.10327\t1.10335\t1459\t0\t2\n"
    "2024.01.02\t02:00:00\t1.10335\t1.10369\t1.10311\t1.10352\t1120\t0\t1\n"
)


class MemoryCandles:
    """Just enough of a CandleRepository to see what an import writes."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, str, list[CandleRow]]] = []

    def import_rows(self, symbol: str, timeframe: str, rows: Sequence[CandleRow]) -> int:
        self.writes.append((symbol, timeframe, list(rows)))
        return len(rows)

    def load(self, symbol: str, timeframe: str, count: int, end_time: int | None = None):  # noqa: ANN201
        return None

    def available(self) -> list[tuple[str, str, int]]:
        return []


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# -- MetaTrader 5 -------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_mt5_export_in_any_encoding(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, "EURUSD_H1.csv", MT5_H1.replace("\n", "\r\n"), encoding)
    rows = parse_candles_csv(path, timeframe="H1")
    assert [r.time for r in rows] == [ts(2024, 1, 2, 0), ts(2024, 1, 2, 1), ts(2024, 1, 2, 2)]
    assert rows[0] == CandleRow(time=ts(2024, 1, 2), open=1.10427, high=1.10463,
                                low=1.10361, close=1.10398, volume=1184.0)


def test_mt5_daily_export_without_time_column_and_short_times(tmp_path: Path) -> None:
    daily = ("<DATE>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
             "2024.01.02\t1.1042\t1.1046\t1.0936\t1.0940\t90000\t0\t1\n"
             "2024.01.03\t1.0940\t1.0960\t1.0892\t1.0921\t88000\t0\t1\n")
    rows = parse_candles_csv(write(tmp_path, "d.csv", daily, "utf-16"), timeframe="D1")
    assert [r.time for r in rows] == [ts(2024, 1, 2), ts(2024, 1, 3)]
    short = MT5_H1.replace(":00:00\t", ":00\t")
    assert len(parse_candles_csv(short, timeframe="H1")) == 3


def test_mt5_server_time_converted_with_tz(tmp_path: Path) -> None:
    # broker server at UTC+2 in winter: its midnight bar opened at 22:00 UTC the day before
    rows = parse_candles_csv(MT5_H1, tz="Europe/Athens", timeframe="H1")
    assert rows[0].time == ts(2024, 1, 1, 22)
    daily = "<DATE>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\n2024.01.02\t1\t2\t0.5\t1.5\n"
    # alignment is judged on the time as written, so server-time D1 bars are accepted
    assert parse_candles_csv(daily, tz="Etc/GMT-2", timeframe="D1")[0].time == ts(2024, 1, 1, 22)


# -- generic -----------------------------------------------------------------------------


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_generic_header_detection_with_separators(sep: str) -> None:
    text = sep.join(["Date", "Open", "High", "Low", "Close", "Volume"]) + "\n"
    text += sep.join(["2024-03-01 10:15", "190.5", "191", "190.1", "190.8", "1200"]) + "\n"
    rows = parse_candles_csv(text, timeframe="M15")
    assert rows == [CandleRow(time=ts(2024, 3, 1, 10, 15), open=190.5, high=191.0, low=190.1,
                              close=190.8, volume=1200.0)]


def test_short_names_quotes_extra_columns_and_no_volume() -> None:
    text = ('"timestamp","o","h","l","c","symbol"\n'
            '"2024-03-01T10:00:00Z","1.5","1.6","1.4","1.55","X"\n')
    [row] = parse_candles_csv(text)
    assert row.time == ts(2024, 3, 1, 10) and row.volume == 0.0 and row.close == 1.55


def test_semicolon_files_may_use_decimal_commas() -> None:
    text = "time;open;high;low;close;vol\n2024-03-01 10:00;1,0812;1,0820;1,0801;1,0815;12\n"
    assert parse_candles_csv(text)[0].open == 1.0812


@pytest.mark.parametrize(("cell", "expected"), [
    ("1709287200", ts(2024, 3, 1, 10)),
    ("1709287200000", ts(2024, 3, 1, 10)),
    ("2024-03-01T12:00:00+02:00", ts(2024, 3, 1, 10)),
    ("2024-03-01 10:00:00", ts(2024, 3, 1, 10)),
    ("2024.03.01 10:00", ts(2024, 3, 1, 10)),
    ("2024/03/01 10:00", ts(2024, 3, 1, 10)),
    ("2024-03-01", ts(2024, 3, 1)),
    ("20240301", ts(2024, 3, 1)),
])
def test_time_formats(cell: str, expected: int) -> None:
    text = f"time,open,high,low,close\n{cell},1,2,0.5,1.5\n"
    assert parse_candles_csv(text)[0].time == expected


def test_naive_times_use_tz_but_zoned_and_epoch_times_do_not() -> None:
    text = ("time,open,high,low,close\n"
            "2024-07-01 09:30,1,2,0.5,1.5\n"
            "2024-07-01T09:31:00+00:00,1,2,0.5,1.5\n"
            "1719826320,1,2,0.5,1.5\n")
    rows = parse_candles_csv(text, tz="America/New_York")
    assert [r.time for r in rows] == [ts(2024, 7, 1, 9, 31), ts(2024, 7, 1, 9, 32),
                                      ts(2024, 7, 1, 13, 30)]
    with pytest.raises(UserError, match="time zone"):
        parse_candles_csv(text, tz="Mars/Olympus")


def test_rows_are_sorted_and_blank_lines_ignored() -> None:
    text = "time,open,high,low,close\n\n2024-01-02,1,2,0.5,1\n\n2024-01-01,1,2,0.5,1\n"
    assert [r.time for r in parse_candles_csv(text)] == [ts(2024, 1, 1), ts(2024, 1, 2)]


# -- bad input ---------------------------------------------------------------------------


def test_every_bad_row_is_reported_with_its_line_number(tmp_path: Path) -> None:
    text = ("time,open,high,low,close,volume\n"                # 1
            "2024-01-02 00:00,1.0840,1.0850,1.0830,1.0845,5\n"  # 2 ok
            "\n"                                               # 3 blank
            "2024-01-02 01:00,1.0840,1.0831,1.0842,1.0835,5\n"  # 4 high < low
            "2024-01-02 02:00,abc,1.0850,1.0830,1.0845,5\n"     # 5 not a number
            "2024-01-02 00:00,1.0840,1.0850,1.0830,1.0845,5\n"  # 6 duplicate of 2
            "2024-01-02 04:00,1.0840,1.0850,1.0830,1.0845,-1\n"  # 7 negative volume
            "2024-01-02 05:00,0,1.0850,1.0830,1.0845,5\n"       # 8 zero price
            "2024-01-02 06:00,1.0860,1.0850,1.0830,1.0845,5\n"  # 9 open above high
            "2024-01-02 07:00,1.0840,1.0850\n"                  # 10 too few columns
            "02/01/2024 08:00,1.0840,1.0850,1.0830,1.0845,5\n"  # 11 unreadable time
            "2024-01-02 09:07,1.0840,1.0850,1.0830,1.0845,5\n")  # 12 not on an H1 boundary
    with pytest.raises(CsvImportError) as err:
        parse_candles_csv(write(tmp_path, "prices.csv", text), timeframe="H1")
    lines = [p.line for p in err.value.problems]
    assert lines == [4, 5, 6, 7, 8, 9, 10, 11, 12]
    message = str(err.value)
    assert message.startswith("prices.csv has 9 bad rows")
    assert "line 4: high 1.0831 is below low 1.0842" in message
    assert "line 5: open 'abc' is not a number" in message
    assert "line 6: time 2024-01-02 00:00:00 UTC repeats line 2" in message
    assert "line 12: time 2024-01-02 09:07:00 UTC is not the open of a H1 bar" in message


def test_one_bad_row_reads_as_one_sentence() -> None:
    text = "time,open,high,low,close\n2024-01-02,1,2,0.5,1\n2024-01-03,1.0840,1.0831,1.0842,1\n"
    with pytest.raises(CsvImportError, match=r"^prices.csv line 3: high 1.0831 is below low "
                                             r"1.0842; fix or delete the row$"):
        parse_candles_csv(text, source_name="prices.csv")


def test_many_bad_rows_are_capped_in_the_message() -> None:
    text = "time,open,high,low,close\n" + "".join(
        f"2024-01-02 {h:02d}:00,1,0.5,2,1\n" for h in range(24)) + "2024-01-03,x,1,1,1\n"
    with pytest.raises(CsvImportError) as err:
        parse_candles_csv(text)
    assert len(err.value.problems) == 25
    assert str(err.value).endswith("and 5 more bad rows")
    assert "line 21:" in str(err.value) and "line 22:" not in str(err.value)


@pytest.mark.parametrize(("text", "match"), [
    ("", "is empty: expected a header row"),
    ("\n  \n", "is empty"),
    ("a,b,c\n1,2,3\n", r"line 1: no recognisable header \(found: a, b, c\)"),
    ("2024.01.02,00:00,1.1,1.2,1.0,1.1,100\n", "no recognisable header"),
    ("time,open,high,close\n2024-01-01,1,2,1\n", "the header has no low column"),
    ("time,open,high,low,close\n", "has a header but no data rows"),
])
def test_unusable_files_get_one_clear_error(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(CsvImportError, match=match) as err:
        parse_candles_csv(write(tmp_path, "data.csv", text))
    assert str(err.value).startswith("data.csv")
    assert "open, high" in str(err.value) or "no data rows" in str(err.value)


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found"):
        parse_candles_csv(tmp_path / "nope.csv")


# -- import -------------------------------------------------------------------------------


def test_import_writes_all_rows_once(tmp_path: Path) -> None:
    repo = MemoryCandles()
    path = write(tmp_path, "eurusd.csv", MT5_H1, "utf-16")
    assert import_candles_csv(path, symbol="EURUSD", timeframe="H1", repository=repo) == 3
    [(symbol, timeframe, rows)] = repo.writes
    assert (symbol, timeframe, len(rows)) == ("EURUSD", "H1", 3)


def test_import_is_all_or_nothing(tmp_path: Path) -> None:
    repo = MemoryCandles()
    bad = MT5_H1 + "2024.01.02\t03:00:00\t1.1\t1.0\t1.2\t1.1\t1\t0\t1\n"
    with pytest.raises(CsvImportError, match="line 5"):
        import_candles_csv(write(tmp_path, "x.csv", bad), symbol="EURUSD", timeframe="H1",
                           repository=repo)
    with pytest.raises(CsvImportError, match="not the open of a H4 bar"):
        import_candles_csv(write(tmp_path, "y.csv", MT5_H1), symbol="EURUSD", timeframe="H4",
                           repository=repo)
    assert repo.writes == []


@pytest.mark.parametrize(("symbol", "match"), [("eurusd", "did you mean 'EURUSD'"),
                                               ("", "not valid"), ("EUR USD", "not valid")])
def test_import_validates_symbol(tmp_path: Path, symbol: str, match: str) -> None:
    with pytest.raises(UserError, match=match):
        import_candles_csv(write(tmp_path, "x.csv", MT5_H1), symbol=symbol, timeframe="H1",
                           repository=MemoryCandles())


def test_import_validates_timeframe(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="use one of M1"):
        import_candles_csv(write(tmp_path, "x.csv", MT5_H1), symbol="EURUSD", timeframe="1h",
                           repository=MemoryCandles())
