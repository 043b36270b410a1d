"""When schedules fire: cron (with Debian-cron DST rules), fixed intervals, and misfire catch-up.

DESIGN.md §5 is the contract. All instants in and out are aware UTC datetimes.

Cron syntax: 5 fields `minute hour day-of-month month day-of-week`, or 6 fields with SECONDS
FIRST (`second minute hour day-of-month month day-of-week`, the Quartz/Spring/node-cron order).
Each field takes `*`, numbers, `a-b` ranges, `,` lists and `/step` (`*/15`, `10-50/10`, `5/15`
meaning `5-max/15`); months and weekdays also take names (`JAN`, `MON-FRI`); weekday 0 and 7 are
Sunday; `?` is `*` in the day fields. Aliases: @hourly @daily @midnight @weekly @monthly @yearly
@annually. Quartz extras (`L`, `W`, `#`) and Jenkins `H` are rejected with a message.

Day matching is croniter's (Vixie rules: when both day fields are restricted, either matches).
Wall times are resolved against the schedule's IANA zone here, not by croniter, so that:
  * a fixed-time job (no `*` and no `/` in the minute and hour fields; single values, lists and
    ranges are fixed times, as in Debian cron) whose wall time is skipped by a spring-forward
    gap runs once, at the end of the gap; one whose wall time happens twice runs once, on the
    first pass;
  * any other job runs at every instant whose wall time matches: skipped wall times never
    happen and repeated ones happen twice (`30 * * * *` fires 25 times on a fall-back day).
"""

from __future__ import annotations

import copy
import heapq
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Literal, Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

from agentic_desktop.domain.errors import UserError

MisfirePolicy = Literal["coalesce", "skip"]
MISFIRE_POLICIES: tuple[MisfirePolicy, ...] = ("coalesce", "skip")
MAX_INTERVAL_SECONDS = 366 * 24 * 3600
MAX_PREVIEW = 10_000  # fire_times() count limit
MAX_LISTED_MISSED = 32  # catch-up enumerates at most this many missed fires, then estimates
_MAX_EXPRESSION_LENGTH = 200
_ONE_US = timedelta(microseconds=1)


class ScheduleError(UserError):
    """An invalid schedule setting. `field` is the config key at fault (for a 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


@runtime_checkable
class Schedule(Protocol):
    def next_fire(self, after: datetime) -> datetime:
        """The first fire strictly after `after` (aware), as aware UTC."""
        ...

    def fire_times(self, after: datetime, count: int) -> list[datetime]:
        """The next `count` fires strictly after `after`, strictly increasing, aware UTC."""
        ...

    def describe(self) -> str:
        """Plain English for the GUI."""
        ...


def _as_utc(moment: datetime, name: str = "after") -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {moment!r}")
    return moment.astimezone(UTC)


def _check_count(count: int) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ScheduleError("count", f"must be a whole number >= 0, got {count!r}")
    if count > MAX_PREVIEW:
        raise ScheduleError("count", f"{count} is too many: ask for at most {MAX_PREVIEW}")


def load_zone(name: str, *, field_name: str = "timezone") -> ZoneInfo:
    """The IANA zone called `name`, or a ScheduleError naming `field_name`."""
    hint = "use an IANA name like 'Europe/London'"
    if not isinstance(name, str) or not name.strip():
        raise ScheduleError(field_name, f"is empty: {hint}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError(field_name, f"unknown time zone {name!r}: {hint}") from None


# --------------------------------------------------------------------------- cron fields


@dataclass(frozen=True)
class _FieldSpec:
    name: str
    low: int
    high: int
    names: Mapping[str, int]


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_SECOND = _FieldSpec("second", 0, 59, {})
_MINUTE = _FieldSpec("minute", 0, 59, {})
_HOUR = _FieldSpec("hour", 0, 23, {})
_DOM = _FieldSpec("day-of-month", 1, 31, {})
_MONTH = _FieldSpec("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)})
_DOW = _FieldSpec("day-of-week", 0, 7, {d: i for i, d in enumerate(_WEEKDAYS)})
_FIVE = (_MINUTE, _HOUR, _DOM, _MONTH, _DOW)

_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_SYNTAX = "use numbers, names, '*', ',', '-' and '/'"
_NUMBER = re.compile(r"[0-9]{1,4}")


@dataclass(frozen=True)
class _Item:
    """One comma-separated part of a field: `*`, `a`, `a-b`, each with an optional `/step`."""

    start: int | None  # None means '*'
    end: int | None
    step: int | None

    def render(self, spec: _FieldSpec) -> str:
        if self.start is None:
            text = "*"
        elif self.end is None:
            text = str(self.start) if self.step is None else f"{self.start}-{spec.high}"
        else:
            text = f"{self.start}-{self.end}"
        return text if self.step is None else f"{text}/{self.step}"


def _fail(message: str) -> ScheduleError:
    return ScheduleError("cron_expression", message)


def _value(spec: _FieldSpec, token: str, field_text: str) -> int:
    upper = token.upper()
    if upper in spec.names:
        return spec.names[upper]
    where = "" if token == field_text else f" (in {field_text!r})"
    if not _NUMBER.fullmatch(token):
        hint = f"use a number {spec.low}-{spec.high}"
        if spec.names:
            hint += f" or a name {list(spec.names)[0]}-{list(spec.names)[-1]}"
        raise _fail(f"{spec.name} field {token!r} is not a valid value{where}: {hint}")
    number = int(token)
    if not spec.low <= number <= spec.high:
        raise _fail(f"{spec.name} field {token!r} is out of range {spec.low}-{spec.high}{where}")
    return number


def _parse_item(spec: _FieldSpec, part: str, text: str) -> _Item:
    base, slash, step_text = part.partition("/")
    step: int | None = None
    if slash:
        if not _NUMBER.fullmatch(step_text) or int(step_text) == 0:
            raise _fail(
                f"{spec.name} field {text!r} has step {step_text!r}: use a whole number >= 1"
            )
        step = int(step_text)
        if step > spec.high:
            raise _fail(
                f"{spec.name} field {text!r} has step {step_text!r}, out of range 1-{spec.high}"
            )
    if base in ("*", "?"):
        if base == "?" and spec not in (_DOM, _DOW):
            raise _fail(f"{spec.name} field {text!r}: '?' is only for the day fields; use '*'")
        return _Item(None, None, step)
    first, dash, last = base.partition("-")
    if not first or (dash and not last):
        raise _fail(f"{spec.name} field {text!r} is incomplete: {_SYNTAX}")
    start = _value(spec, first, text)
    if not dash:
        return _Item(start, None, step)
    end = _value(spec, last, text)
    if end < start and not (spec is _DOW and end == 0):
        raise _fail(
            f"{spec.name} range {base!r} runs backwards: write it as two ranges, "
            f"like '{first}-{spec.high},{spec.low}-{last}'"
        )
    return _Item(start, 7 if spec is _DOW and end == 0 else end, step)


def _parse_field(spec: _FieldSpec, text: str) -> tuple[_Item, ...]:
    bad = re.search(r"[^0-9A-Za-z*?,/\-]", text)
    if bad:
        raise _fail(f"{spec.name} field {text!r} contains {bad.group()!r}: {_SYNTAX}")
    items = []
    for part in text.split(","):
        if not part:
            raise _fail(f"{spec.name} field {text!r} has an empty list item: {_SYNTAX}")
        items.append(_parse_item(spec, part, text))
    return tuple(items)


_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _values(items: tuple[_Item, ...], spec: _FieldSpec) -> set[int]:
    out: set[int] = set()
    for item in items:
        start = spec.low if item.start is None else item.start
        end = (
            spec.high
            if item.start is None or (item.end is None and item.step)
            else (item.end if item.end is not None else item.start)
        )
        out.update(range(start, end + 1, item.step or 1))
    return out


@dataclass(frozen=True)
class _CronFields:
    second: tuple[_Item, ...] | None
    minute: tuple[_Item, ...]
    hour: tuple[_Item, ...]
    dom: tuple[_Item, ...]
    month: tuple[_Item, ...]
    dow: tuple[_Item, ...]

    @property
    def fixed_time(self) -> bool:
        """Debian cron's 'fixed-time job': no '*' (and here no step) in minute or hour."""
        return all(i.start is not None and i.step is None for i in self.minute + self.hour)

    def croniter_text(self) -> str:
        parts = [self.minute, self.hour, self.dom, self.month, self.dow]
        specs = list(_FIVE)
        if self.second is not None:
            parts.append(self.second)
            specs.append(_SECOND)
        return " ".join(
            ",".join(i.render(s) for i in items) for items, s in zip(parts, specs, strict=True)
        )


def _parse_cron(expression: str) -> _CronFields:
    text = expression.strip() if isinstance(expression, str) else ""
    if not text:
        raise _fail("is empty: use 5 fields like '0 9 * * 1-5' or an alias like '@daily'")
    if len(text) > _MAX_EXPRESSION_LENGTH:
        raise _fail(f"is too long ({len(text)} characters): keep it under {_MAX_EXPRESSION_LENGTH}")
    if text.startswith("@"):
        alias = text.lower()
        if alias not in _ALIASES:
            raise _fail(f"unknown alias {text!r}: use one of {', '.join(_ALIASES)}")
        text = _ALIASES[alias]
    tokens = text.split()
    if len(tokens) not in (5, 6):
        raise _fail(
            f"expected 5 fields (minute hour day-of-month month day-of-week), or 6 with "
            f"seconds first, but got {len(tokens)} in {expression!r}"
        )
    second = _parse_field(_SECOND, tokens.pop(0)) if len(tokens) == 6 else None
    minute, hour, dom, month, dow = (_parse_field(s, t) for s, t in zip(_FIVE, tokens, strict=True))
    fields = _CronFields(second, minute, hour, dom, month, dow)
    restricted_dow = any(i.start is not None for i in dow)
    if not restricted_dow and all(i.start is not None for i in dom):
        longest = max(_DAYS_IN_MONTH[m - 1] for m in _values(month, _MONTH))
        if min(_values(dom, _DOM)) > longest:
            raise _fail(
                f"day-of-month {tokens[2]!r} never occurs in month {tokens[3]!r}: "
                "pick a day that exists in that month"
            )
    return fields


# --------------------------------------------------------------------------- cron schedule


def _offset_at(zone: ZoneInfo, moment: datetime) -> timedelta:
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None  # ZoneInfo always has one
    return offset


def _gap_end(zone: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The UTC instant of the forward transition in (before, after]: the end of the gap."""
    old = _offset_at(zone, before)
    low, high = int(before.timestamp()), int(after.timestamp())
    while high - low > 1:  # transitions fall on whole seconds
        mid = (low + high) // 2
        if _offset_at(zone, datetime.fromtimestamp(mid, UTC)) == old:
            low = mid
        else:
            high = mid
    return datetime.fromtimestamp(high, UTC)


@dataclass(frozen=True)
class CronSchedule:
    """A cron expression evaluated on the wall clock of an IANA zone. Validates on creation."""

    expression: str
    timezone: str
    _fields: _CronFields = field(init=False, repr=False, compare=False)
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _template: croniter = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fields = _parse_cron(self.expression)
        zone = load_zone(self.timezone)
        text = fields.croniter_text()
        try:  # expanding the fields is most of croniter's cost: do it once, copy per use
            template = croniter(text, datetime(2000, 1, 1))
        except (CroniterError, ValueError, TypeError) as exc:  # belt and braces
            raise _fail(f"{self.expression!r} is not valid: {exc}") from None
        object.__setattr__(self, "_fields", fields)
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_template", template)

    @classmethod
    def parse(cls, expression: str, timezone: str) -> CronSchedule:
        return cls(expression, timezone)

    @classmethod
    def from_config(cls, config: Mapping[str, object], *, default_timezone: str) -> CronSchedule:
        """From trigger_config {"cron_expression": ..., "timezone": ...}; the zone defaults to
        `default_timezone` (the machine's zone at creation, DESIGN.md §5)."""
        expression = config.get("cron_expression")
        if expression is None:
            raise _fail("is missing: give 5 fields like '0 9 * * 1-5' or an alias like '@daily'")
        timezone = config.get("timezone", default_timezone)
        for key, value in (("cron_expression", expression), ("timezone", timezone)):
            if not isinstance(value, str):
                raise ScheduleError(key, f"must be text, got {value!r}")
        assert isinstance(expression, str) and isinstance(timezone, str)
        return cls(expression, timezone)

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    @property
    def fixed_time(self) -> bool:
        return self._fields.fixed_time

    def next_fire(self, after: datetime) -> datetime:
        return next(self._fires(_as_utc(after)))

    def fire_times(self, after: datetime, count: int) -> list[datetime]:
        _check_count(count)
        return list(islice(self._fires(_as_utc(after)), count))

    def _wall_times(self, start: datetime) -> Iterator[datetime]:
        """Matching naive wall times strictly after naive `start`, in wall-clock order."""
        it = copy.copy(self._template)  # get_next copies the expanded fields it changes
        it.set_current(start, force=True)
        while True:
            try:
                yield it.get_next(datetime)
            except CroniterError:
                raise _fail(f"{self.expression!r} never fires after {start:%Y-%m-%d}") from None

    def _fires(self, after: datetime) -> Iterator[datetime]:
        """Fires strictly after `after`, strictly increasing.

        Wall times come from croniter in wall order. Mapping each to UTC (unique; first pass of
        an overlap; gap end) is monotone; only second passes of an overlap come out of order,
        so they wait in a heap until a later instant has been produced.
        """
        zone, fixed = self._zone, self._fields.fixed_time
        # A wall time up to one overlap before `after`'s own may still fire after it (second
        # pass), so start from the smallest offset in force soon after `after`.
        soon = (timedelta(0), timedelta(hours=3), timedelta(days=1), timedelta(days=2))
        start = min(after + _offset_at(zone, after + d) for d in soon).replace(tzinfo=None)
        second_passes: list[datetime] = []
        last = after
        for wall in self._wall_times(start - _ONE_US):
            first = wall.replace(tzinfo=zone, fold=0)
            second = wall.replace(tzinfo=zone, fold=1)
            off0, off1 = first.utcoffset(), second.utcoffset()
            assert off0 is not None and off1 is not None
            produced: datetime | None
            if off0 == off1:
                produced = (wall - off0).replace(tzinfo=UTC)
            elif off0 > off1:  # repeated wall time: fall-back overlap
                produced = (wall - off0).replace(tzinfo=UTC)
                if not fixed:
                    heapq.heappush(second_passes, (wall - off1).replace(tzinfo=UTC))
            elif fixed:  # skipped wall time: spring-forward gap
                produced = _gap_end(
                    zone, (wall - off1).replace(tzinfo=UTC), (wall - off0).replace(tzinfo=UTC)
                )
            else:
                produced = None
            if produced is None:
                continue
            while second_passes and second_passes[0] <= produced:
                pending = heapq.heappop(second_passes)
                if pending > last:
                    yield pending
                    last = pending
            if produced > last:
                yield produced
                last = produced

    def describe(self) -> str:
        return f"{_describe_cron(self._fields) or self.expression} ({self.timezone})"


# --------------------------------------------------------------------------- describe

_DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _single(items: tuple[_Item, ...]) -> int | None:
    if len(items) == 1 and items[0].start is not None and items[0].end is None:
        return None if items[0].step else items[0].start
    return None


def _every(items: tuple[_Item, ...]) -> int | None:
    """1 for '*', n for '*/n', None for anything else."""
    if len(items) == 1 and items[0].start is None:
        return items[0].step or 1
    return None


def _names(items: tuple[_Item, ...], names: tuple[str, ...], base: int) -> str | None:
    words = []
    for item in items:
        if item.start is None or item.step:
            return None
        if item.end is None:
            words.append(names[(item.start - base) % len(names)])
        else:
            first = names[(item.start - base) % len(names)]
            words.append(f"{first} through {names[(item.end - base) % len(names)]}")
    return _join(words)


def _describe_time(f: _CronFields) -> str | None:
    second = 0 if f.second is None else _single(f.second)
    if f.second is not None and second is None:
        step = _every(f.second)
        if step and _every(f.minute) == 1 and _every(f.hour) == 1:
            return "Every second" if step == 1 else f"Every {step} seconds"
        return None
    minute, hour = _single(f.minute), _single(f.hour)
    suffix = f":{second:02d}" if second else ""
    if minute is not None and hour is not None:
        return f"At {hour:02d}:{minute:02d}{suffix}"
    if minute is not None and all(i.start is not None and not i.step for i in f.hour):
        hours = sorted(_values(f.hour, _HOUR))
        if len(hours) <= 4:
            return "At " + _join([f"{h:02d}:{minute:02d}{suffix}" for h in hours])
    if second or (minute is None and _every(f.minute) is None):
        return None
    hour_step = _every(f.hour)
    if minute is not None:
        if hour_step == 1:
            return f"At minute {minute} of every hour"
        return f"At minute {minute} of every {hour_step} hours" if hour_step else None
    step = _every(f.minute)
    if hour_step == 1:
        return "Every minute" if step == 1 else f"Every {step} minutes"
    if hour is not None:
        every = "Every minute" if step == 1 else f"Every {step} minutes"
        return f"{every} from {hour:02d}:00 to {hour:02d}:59"
    return None


def _describe_cron(f: _CronFields) -> str | None:
    when = _describe_time(f)
    if when is None:
        return None
    any_dom, any_month, any_dow = _every(f.dom) == 1, _every(f.month) == 1, _every(f.dow) == 1
    day, month = _single(f.dom), _single(f.month)
    parts = [when]
    if any_dow and day is not None and month is not None:
        return f"{when} on {day} {_MONTH_NAMES[month - 1]}"
    if not any_dom:
        if day is None:
            return None
        parts.append(f"on day {day} of the month")
    if not any_dow:
        days = _names(f.dow, _DAY_NAMES, 0)
        if days is None:
            return None
        parts.append(("or on " if not any_dom else "on ") + days)
    daily = _every(f.hour) is None  # specific hours: once or a few times a day
    if any_dom and any_dow and daily:
        parts.append("every day")
    if not any_month:
        months = _names(f.month, _MONTH_NAMES, 1)
        if months is None:
            return None
        parts.append(f"in {months}")
    return " ".join(parts)


# --------------------------------------------------------------------------- interval


def _whole_seconds(key: str, raw: object, unit: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ScheduleError(key, f"must be a number, got {raw!r}")
    if raw != raw or raw in (float("inf"), float("-inf")):
        raise ScheduleError(key, f"must be a finite number, got {raw!r}")
    if raw <= 0:
        raise ScheduleError(key, f"must be greater than 0, got {raw!r}")
    seconds = raw * unit
    if seconds > MAX_INTERVAL_SECONDS:
        raise ScheduleError(key, f"{raw!r} is longer than 366 days: use a cron schedule instead")
    if seconds != int(seconds) or seconds < 1:
        raise ScheduleError(key, f"{raw!r} is not a whole number of seconds (minimum 1 second)")
    return int(seconds)


@dataclass(frozen=True)
class IntervalSchedule:
    """Fires at anchor + k*seconds (k >= 0), added in UTC: wall-clock changes do not matter."""

    seconds: int
    anchor: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "seconds", _whole_seconds("interval_seconds", self.seconds, 1))
        object.__setattr__(self, "anchor", _as_utc(self.anchor, "anchor"))

    @classmethod
    def from_config(cls, config: Mapping[str, object], *, anchor: datetime) -> IntervalSchedule:
        """From trigger_config {"interval_minutes": 15} (the seed's) or {"interval_seconds": 30}."""
        keys = [k for k in ("interval_minutes", "interval_seconds") if k in config]
        if len(keys) == 2:
            raise ScheduleError(
                "trigger_config", "give interval_minutes or interval_seconds, not both"
            )
        if not keys:
            raise ScheduleError(
                "trigger_config", "interval_minutes is missing: give it in minutes, like 15"
            )
        key = keys[0]
        return cls(_whole_seconds(key, config[key], 60 if key == "interval_minutes" else 1), anchor)

    def _index_after(self, moment: datetime) -> int:
        """The smallest k >= 0 with anchor + k*seconds > moment. O(1), exact (integer µs)."""
        elapsed = (moment - self.anchor) // _ONE_US
        if elapsed < 0:
            return 0
        return elapsed // (self.seconds * 1_000_000) + 1

    def at(self, index: int) -> datetime:
        return self.anchor + timedelta(seconds=self.seconds * index)

    def next_fire(self, after: datetime) -> datetime:
        return self.at(self._index_after(_as_utc(after)))

    def fire_times(self, after: datetime, count: int) -> list[datetime]:
        _check_count(count)
        first = self._index_after(_as_utc(after))
        return [self.at(first + i) for i in range(count)]

    def describe(self) -> str:
        for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
            if self.seconds % size == 0:
                n = self.seconds // size
                return f"Every {unit}" if n == 1 else f"Every {n} {unit}s"
        raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- misfire catch-up


@dataclass(frozen=True, kw_only=True)
class CatchUp:
    """What to do about the fires due in [last_due, now] (DESIGN.md §5).

    run_at/nominal: run once now for this nominal fire (coalesce, a fire within grace), else None.
    missed_count: fires recorded as missed, not run; exact when `missed_count_exact`, else an
    estimate (cron only, when more than MAX_LISTED_MISSED were missed).
    missed: the earliest missed nominal fires, at most MAX_LISTED_MISSED of them.
    next_fire: the first fire strictly after now.
    """

    run_at: datetime | None
    nominal: datetime | None
    missed_count: int
    next_fire: datetime
    missed: tuple[datetime, ...] = ()
    missed_count_exact: bool = True


def check_misfire_policy(policy: object) -> MisfirePolicy:
    if policy == "coalesce":
        return "coalesce"
    if policy == "skip":
        return "skip"
    raise ScheduleError("misfire_policy", f"unknown policy {policy!r}: use 'coalesce' or 'skip'")


def plan_catch_up(
    schedule: Schedule,
    last_due: datetime,
    now: datetime,
    grace_seconds: float,
    policy: MisfirePolicy,
) -> CatchUp:
    """Plan catch-up for the fires due in [last_due, now].

    `last_due` is the persisted next_fire_utc: the earliest fire not yet enqueued (it counts
    only if it is a fire of `schedule`). coalesce: the fires no older than `grace_seconds`
    become one run now, whose nominal fire is the latest of them; older fires are missed.
    skip: nothing runs and every due fire is missed, so call this only for fires you know
    were missed (after a sleep, a clock jump or at start), not for an on-time wake-up.

    O(1) for IntervalSchedule however long the gap; for other schedules a bounded number of
    next_fire calls (about MAX_LISTED_MISSED plus a few dozen), whatever the gap.
    """
    policy = check_misfire_policy(policy)
    if (
        isinstance(grace_seconds, bool)
        or not isinstance(grace_seconds, int | float)
        or not 0 <= grace_seconds < float("inf")
    ):
        raise ScheduleError(
            "misfire_grace_seconds", f"must be a finite number >= 0, got {grace_seconds!r}"
        )
    last_due, now = _as_utc(last_due, "last_due"), _as_utc(now, "now")
    next_fire = schedule.next_fire(now)
    if last_due > now:
        return CatchUp(run_at=None, nominal=None, missed_count=0, next_fire=next_fire)
    grace_us = min(round(grace_seconds * 1e6), (now - last_due) // _ONE_US)
    grace_start = now - timedelta(microseconds=grace_us)
    nominal = None
    if policy == "coalesce":
        nominal = _latest_fire(schedule, grace_start, now)
    cutoff = grace_start if nominal is not None else now + _ONE_US  # missed: [last_due, cutoff)
    if isinstance(schedule, IntervalSchedule):
        first = schedule._index_after(last_due - _ONE_US)
        count = max(0, schedule._index_after(cutoff - _ONE_US) - first)
        listed = tuple(schedule.at(first + i) for i in range(min(count, MAX_LISTED_MISSED)))
        exact = True
    else:
        count, listed, exact = _count_fires(schedule, last_due, cutoff)
    return CatchUp(
        run_at=now if nominal is not None else None,
        nominal=nominal,
        missed_count=count,
        next_fire=next_fire,
        missed=listed,
        missed_count_exact=exact,
    )


def _latest_fire(schedule: Schedule, start: datetime, end: datetime) -> datetime | None:
    """The latest fire in [start, end], with a bounded number of next_fire calls."""
    if isinstance(schedule, IntervalSchedule):
        index = schedule._index_after(end) - 1
        fire = schedule.at(index) if index >= 0 else None
        return fire if fire is not None and fire >= start else None
    found = schedule.next_fire(start - _ONE_US)
    if found > end:
        return None
    for candidate in schedule.fire_times(found, 16):
        if candidate > end:
            return found
        found = candidate
    # Dense schedule over a long window: bisect. Invariant: best == next_fire(low) <= end,
    # and no fire in (high, end].
    low, high, best = found - _ONE_US, end, found
    while high - low > _ONE_US:
        mid = low + (high - low) // 2
        fire = schedule.next_fire(mid)
        if fire <= end:
            low, best = mid, fire
        else:
            high = mid
    return best


def _count_fires(
    schedule: Schedule, start: datetime, stop: datetime
) -> tuple[int, tuple[datetime, ...], bool]:
    """Fires in [start, stop): (count, the first few, exact?). Estimates past the cap."""
    sample = schedule.fire_times(start - _ONE_US, MAX_LISTED_MISSED + 1)
    listed = tuple(t for t in sample if t < stop)
    if len(listed) <= MAX_LISTED_MISSED:
        return len(listed), listed, True
    listed = listed[:MAX_LISTED_MISSED]
    span = (listed[-1] - listed[0]) / max(1, len(listed) - 1)
    rest = (stop - listed[-1]) / span if span > timedelta(0) else 0
    return len(listed) + int(rest), listed, False
