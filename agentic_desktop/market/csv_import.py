"""Import candles from CSV files: generic OHLCV with a header, and MetaTrader 5 exports.

Parsing is separate from storing so an import can be all-or-nothing: every row is checked
first and every bad row is reported with its line number; only a clean file is written.
Times are stored as UTC epoch seconds of each bar's OPEN time.
"""

from __future__ import annotations

import csv
import math
import re
from calendar import timegm
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.nodespec import TIMEFRAME_SECONDS, TIMEFRAMES
from agentic_desktop.engine.ports import CandleRepository, CandleRow
from agentic_desktop.market.timeframes import check_timeframe

MAX_LISTED = 20
EXPECTED = ("expected a header row naming the columns: time (or date and time), open, high, "
            "low, close and optionally volume, separated by commas, semicolons or tabs; "
            "MetaTrader 5 exports (<DATE> <TIME> <OPEN> <HIGH> <LOW> <CLOSE> <TICKVOL> ...) "
            "also work")

# Header aliases after normalising (lower case, no <>, quotes or spaces). First match wins,
# so e.g. MT5's <TICKVOL> (what its charts show as volume) beats <VOL>, which is 0 for FX.
_ALIASES: dict[str, tuple[str, ...]] = {
    "time": ("datetime", "date_time", "timestamp", "time", "open_time", "opentime",
             "time_utc", "date"),
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c"),
    "volume": ("volume", "tick_volume", "tickvol", "tickvolume", "vol", "real_volume"),
}
_SYMBOL_RE = re.compile(r"^[A-Z0-9._-]{1,32}$")


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str


class CsvImportError(UserError):
    """A CSV file cannot be imported. `problems` lists every bad row (line numbers 1-based)."""

    def __init__(self, source_name: str, problems: list[RowProblem],
                 message: str | None = None) -> None:
        self.source_name = source_name
        self.problems = problems
        if message is not None:  # the file as a whole is unusable (empty, no header)
            text = message
        elif len(problems) == 1:
            p = problems[0]
            text = f"{source_name} line {p.line}: {p.message}; fix or delete the row"
        else:
            shown = "; ".join(f"line {p.line}: {p.message}" for p in problems[:MAX_LISTED])
            more = len(problems) - MAX_LISTED
            tail = f"; and {more} more bad rows" if more > 0 else ""
            text = (f"{source_name} has {len(problems)} bad rows, fix or delete them: "
                    f"{shown}{tail}")
        super().__init__(text)


def _file_error(name: str, message: str) -> CsvImportError:
    return CsvImportError(name, [], message)


# -- reading ------------------------------------------------------------------------------


def decode_bytes(data: bytes) -> str:
    """Text of a CSV file in UTF-8 (with or without BOM) or UTF-16 (MT5's default export)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    sample = data[:4000]
    if len(sample) >= 4 and sample.count(0) > len(sample) // 4:
        # UTF-16 without a BOM: the zero bytes of ASCII characters tell the byte order.
        le = sample[1::2].count(0) > sample[0::2].count(0)
        return data.decode("utf-16-le" if le else "utf-16-be", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # MT4/MT5 "ANSI" exports


def _read_source(source: str | Path | bytes, source_name: str | None) -> tuple[str, str]:
    if isinstance(source, bytes):
        return decode_bytes(source), source_name or "<data>"
    if isinstance(source, str) and ("\n" in source or not Path(source).is_file()):
        return source, source_name or "<text>"
    path = Path(source)
    name = source_name or path.name
    try:
        return decode_bytes(path.read_bytes()), name
    except FileNotFoundError:
        raise UserError(f"{path} not found: check the file path") from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None


def _resolve_tz(tz: str | tzinfo | None) -> tzinfo:
    if tz is None:
        return UTC
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"unknown time zone {tz!r}: use an IANA name such as "
                        "'Europe/London' or 'Etc/GMT-2' (UTC+2)") from None


# -- header -------------------------------------------------------------------------------


def _normalise(name: str) -> str:
    name = name.strip().strip("\"'").strip().strip("<>").strip().lower()
    return re.sub(r"[\s\-]+", "_", name).strip("_")


def _split(line: str, sep: str) -> list[str]:
    if '"' in line:
        return next(csv.reader([line], delimiter=sep))
    return line.split(sep)


def _detect_sep(header: str) -> str:
    counts = {sep: header.count(sep) for sep in ("\t", ";", ",")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


@dataclass(frozen=True)
class _Layout:
    sep: str
    time: int
    clock: int | None  # a separate time-of-day column (MT5 <TIME>)
    open: int
    high: int
    low: int
    close: int
    volume: int | None

    @property
    def needed(self) -> int:
        cols = [self.time, self.clock, self.open, self.high, self.low, self.close, self.volume]
        return 1 + max(c for c in cols if c is not None)


def _layout(header: str, name: str, line_no: int) -> _Layout:
    sep = _detect_sep(header)
    names = [_normalise(n) for n in _split(header, sep)]
    found: dict[str, int] = {}
    for field, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in names and names.index(alias) not in found.values():
                found[field] = names.index(alias)
                break
    clock = None
    # A "date" column next to a "time" column (MT5, many exports): join them.
    if "date" in names and "time" in names and found.get("time") == names.index("time"):
        found["time"], clock = names.index("date"), names.index("time")
    missing = [f for f in ("time", "open", "high", "low", "close") if f not in found]
    if len(missing) >= 4:
        shown = ", ".join(n for n in names if n) or "nothing"
        raise _file_error(name, f"{name} line {line_no}: no recognisable header "
                          f"(found: {shown}); {EXPECTED}")
    if missing:
        raise _file_error(name, f"{name} line {line_no}: the header has no "
                          f"{' or '.join(missing)} column; {EXPECTED}")
    return _Layout(sep=sep, time=found["time"], clock=clock, open=found["open"],
                   high=found["high"], low=found["low"], close=found["close"],
                   volume=found.get("volume"))


# -- values -------------------------------------------------------------------------------


def _number(text: str, what: str, decimal_comma: bool) -> float:
    try:
        value = float(text)  # the common case; float() already ignores surrounding spaces
    except ValueError:
        s = text.strip().strip('"')
        try:
            value = float(s.replace(",", ".") if decimal_comma else s)
        except ValueError:
            raise ValueError(f"{what} {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{what} {text.strip()!r} is not a finite number")
    return value


def _parse_time(text: str, tz: tzinfo) -> tuple[int, int]:
    """(UTC epoch seconds, wall-clock seconds as written) of a time cell."""
    s = text.strip().strip('"').strip()
    if re.fullmatch(r"\d{8}", s) and 1900 <= int(s[:4]) <= 2100:
        s = f"{s[:4]}-{s[4:6]}-{s[6:]}"  # YYYYMMDD, not epoch seconds in 1970
    elif re.fullmatch(r"\d+(\.\d+)?", s):
        value = float(s)
        # Epoch units by magnitude: seconds until year 5138, then ms, us, ns.
        for scale in (1, 1_000, 1_000_000, 1_000_000_000):
            if value < 1e11 * scale:
                seconds = value / scale
                break
        else:
            raise ValueError(f"time {text.strip()!r} is too large for a unix time")
        if seconds != int(seconds):
            raise ValueError(f"time {text.strip()!r} is not a whole second")
        return int(seconds), int(seconds)
    if len(s) >= 10 and s[4] in "./" and s[7] == s[4]:
        s = f"{s[:4]}-{s[5:7]}-{s[8:]}"  # MT5's 2024.01.02 and 2024/01/02
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"time {text.strip()!r} is not a date/time I can read: use "
                         "2024-01-02 13:45[:00], ISO 8601, 2024.01.02 or unix seconds") from None
    if dt.microsecond:
        raise ValueError(f"time {text.strip()!r} is not a whole second")
    wall = timegm(dt.timetuple())
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return int(dt.timestamp()), wall


def _aligned(wall: int, tf: str) -> bool:
    if tf == "W1":
        # MT5 weekly bars open on Sunday, most other sources on Monday.
        return wall % 86400 == 0 and datetime.fromtimestamp(wall, UTC).weekday() in (0, 6)
    return wall % TIMEFRAME_SECONDS[tf] == 0


def _fmt(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _row(cells: list[str], lay: _Layout, tz: tzinfo, decimal_comma: bool) -> tuple[CandleRow, int]:
    if len(cells) < lay.needed:
        raise ValueError(f"expected at least {lay.needed} columns, found {len(cells)}")
    stamp = cells[lay.time] if lay.clock is None else f"{cells[lay.time]} {cells[lay.clock]}"
    epoch, wall = _parse_time(stamp, tz)
    o, h, lo, c = (_number(cells[i], what, decimal_comma) for i, what in
                   ((lay.open, "open"), (lay.high, "high"), (lay.low, "low"), (lay.close, "close")))
    v = 0.0 if lay.volume is None else _number(cells[lay.volume], "volume", decimal_comma)
    for what, value in (("open", o), ("high", h), ("low", lo), ("close", c)):
        if value <= 0:
            raise ValueError(f"{what} {value:g} must be above zero")
    if h < lo:
        raise ValueError(f"high {h:g} is below low {lo:g}")
    for what, value in (("open", o), ("close", c)):
        if value > h:
            raise ValueError(f"{what} {value:g} is above high {h:g}")
        if value < lo:
            raise ValueError(f"{what} {value:g} is below low {lo:g}")
    if v < 0:
        raise ValueError(f"volume {v:g} is negative")
    return CandleRow(time=epoch, open=o, high=h, low=lo, close=c, volume=v), wall


# -- public API ---------------------------------------------------------------------------


def parse_candles_csv(source: str | Path | bytes, *, source_name: str | None = None,
                      timeframe: str | None = None,
                      tz: str | tzinfo | None = None) -> list[CandleRow]:
    """Parse a whole CSV file into candle rows sorted by time.

    `source` is a file path (Path, or a str naming an existing file), the file's bytes, or
    its text. Naive times are read in `tz` (an IANA name or tzinfo; default UTC); times
    with an offset and unix epochs (seconds, ms, us or ns) are absolute. With `timeframe`,
    every bar must open on that timeframe's boundary, judged on the time as written.
    Raises CsvImportError listing every bad row, or UserError if the file is unusable.
    """
    text, name = _read_source(source, source_name)
    zone = _resolve_tz(tz)
    if timeframe is not None:
        check_timeframe(timeframe)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header_at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        raise _file_error(name, f"{name} is empty: {EXPECTED}")
    layout = _layout(lines[header_at].lstrip("\ufeff"), name, header_at + 1)
    decimal_comma = layout.sep != ","
    rows: list[CandleRow] = []
    problems: list[RowProblem] = []
    seen: dict[int, int] = {}
    for i in range(header_at + 1, len(lines)):
        line = lines[i]
        if not line.strip():
            continue
        line_no = i + 1
        try:
            row, wall = _row(_split(line, layout.sep), layout, zone, decimal_comma)
            if row.time in seen:
                raise ValueError(f"time {_fmt(row.time)} repeats line {seen[row.time]}")
            if timeframe is not None and not _aligned(wall, timeframe):
                raise ValueError(f"time {_fmt(row.time)} is not the open of a {timeframe} bar")
        except ValueError as exc:
            problems.append(RowProblem(line_no, str(exc)))
            continue
        seen[row.time] = line_no
        rows.append(row)
    if problems:
        raise CsvImportError(name, problems)
    if not rows:
        raise _file_error(name, f"{name} has a header but no data rows: add candles below "
                          f"line {header_at + 1}")
    rows.sort(key=lambda r: r.time)
    return rows


def check_symbol(symbol: object) -> str:
    if not isinstance(symbol, str) or not _SYMBOL_RE.match(symbol):
        hint = ""
        if isinstance(symbol, str) and _SYMBOL_RE.match(symbol.strip().upper()):
            hint = f" (did you mean {symbol.strip().upper()!r}?)"
        raise UserError(f"symbol {symbol!r} is not valid{hint}: use 1-32 uppercase letters, "
                        "digits, '.', '_' or '-', e.g. EURUSD")
    return symbol


def import_candles_csv(path: str | Path, *, symbol: str, timeframe: str,
                       repository: CandleRepository, tz: str | tzinfo | None = None) -> int:
    """Parse the whole file, then store it in one transaction: nothing is written unless
    every row is good. Returns the number of bars written."""
    check_symbol(symbol)
    if timeframe not in TIMEFRAMES:
        raise UserError(f"unknown timeframe {timeframe!r}: use one of {', '.join(TIMEFRAMES)}")
    rows = parse_candles_csv(Path(path), timeframe=timeframe, tz=tz)
    return repository.import_rows(symbol, timeframe, rows)
