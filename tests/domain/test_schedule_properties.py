"""Property tests: cron fires agree with a brute-force minute-by-minute oracle of the DST rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from agentic_desktop.domain.schedule import CronSchedule, IntervalSchedule

MINUTE = timedelta(minutes=1)
WINDOW = timedelta(hours=30)
ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "UTC",
    "Asia/Kolkata",
    "America/Santiago",  # transitions at midnight
    "Pacific/Chatham",  # +12:45 / +13:45
    "Pacific/Apia",  # skipped 2011-12-30 entirely
    "Europe/Dublin",  # "negative DST" in tzdata
    "America/St_Johns",  # -3:30
]
MINUTES = ["*", "0", "30", "*/15", "0,30", "10-40/10", "45", "59", "*/7"]
HOURS = ["*", "0", "1", "2", "3", "1,2", "0-3", "*/2", "23", "2-4/2"]
DOMS = ["*", "*", "*", "1", "30"]
DOWS = ["*", "*", "*", "0", "1-5", "6"]

expressions = st.tuples(
    st.sampled_from(MINUTES), st.sampled_from(HOURS), st.sampled_from(DOMS), st.sampled_from(DOWS)
).map(lambda t: f"{t[0]} {t[1]} {t[2]} * {t[3]}")


@cache
def transitions(zone: str) -> tuple[datetime, ...]:
    tz = ZoneInfo(zone)
    found = []
    for year in (2011, 2025):
        t = datetime(year, 1, 1, tzinfo=UTC)
        offset = t.astimezone(tz).utcoffset()
        while t.year == year:
            t += timedelta(hours=1)
            if t.astimezone(tz).utcoffset() != offset:
                offset = t.astimezone(tz).utcoffset()
                found.append(t)
    return tuple(found) or (datetime(2025, 6, 1, tzinfo=UTC),)


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    if draw(st.booleans()):
        base = draw(st.sampled_from(transitions(zone)))
        return base + timedelta(seconds=draw(st.integers(-26 * 3600, 2 * 3600)))
    return draw(st.datetimes(datetime(2000, 1, 1), datetime(2037, 1, 1), timezones=st.just(UTC)))


def expand(text: str, low: int, high: int) -> set[int]:
    out: set[int] = set()
    for part in text.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            a, b = low, high
        elif "-" in base:
            a, b = (int(x) for x in base.split("-"))
        else:
            a = int(base)
            b = high if step else a
        out.update(range(a, b + 1, int(step or 1)))
    return out


def oracle(expr: str, zone: str, after: datetime, end: datetime) -> list[datetime]:
    """Debian rules, stated directly: walk UTC minute by minute and read the wall clock."""
    minute_f, hour_f, dom_f, _, dow_f = expr.split()
    minutes, hours = expand(minute_f, 0, 59), expand(hour_f, 0, 23)
    doms, dows = expand(dom_f, 1, 31), {d % 7 for d in expand(dow_f, 0, 7)}
    fixed = not any(c in minute_f + hour_f for c in "*/")

    def matches(wall: datetime) -> bool:
        if wall.minute not in minutes or wall.hour not in hours:
            return False
        dom_ok, dow_ok = wall.day in doms, (wall.weekday() + 1) % 7 in dows
        if dom_f != "*" and dow_f != "*":
            return dom_ok or dow_ok
        return dom_ok and dow_ok

    tz = ZoneInfo(zone)
    fires = []
    t = after.replace(second=0, microsecond=0)
    prev_wall = (t - MINUTE).astimezone(tz).replace(tzinfo=None)
    while t <= end:
        local = t.astimezone(tz)
        wall = local.replace(tzinfo=None)
        hit = matches(wall) and (not fixed or local.fold == 0)
        if fixed and wall - prev_wall > MINUTE:  # a gap: skipped wall times run at its end
            skipped = prev_wall + MINUTE
            while skipped < wall and not hit:
                hit = matches(skipped)
                skipped += MINUTE
        if hit and t > after:
            fires.append(t)
        prev_wall, t = wall, t + MINUTE
    return fires


@settings(max_examples=120, deadline=None)
@given(data=st.data(), expr=expressions, zone=st.sampled_from(ZONES))
def test_cron_fires_match_the_oracle(data: st.DataObject, expr: str, zone: str) -> None:
    after = data.draw(instants(zone))
    end = after + WINDOW
    schedule = CronSchedule.parse(expr, zone)
    expected = oracle(expr, zone, after, end)
    got = [t for t in schedule.fire_times(after, len(expected) + 1) if t <= end]
    assert got == expected
    assert all(a < b for a, b in zip(got, got[1:], strict=False))
    assert all(t.tzinfo is UTC for t in got)
    if got:
        assert schedule.next_fire(after) == got[0]
        assert schedule.next_fire(got[-1] - timedelta(microseconds=1)) == got[-1]


@settings(max_examples=200, deadline=None)
@given(
    seconds=st.integers(1, 366 * 86400),
    anchor=st.datetimes(datetime(1990, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)),
    after=st.datetimes(datetime(1980, 1, 1), datetime(2060, 1, 1), timezones=st.just(UTC)),
)
def test_interval_next_fire_is_the_first_period_after(
    seconds: int, anchor: datetime, after: datetime
) -> None:
    s = IntervalSchedule(seconds, anchor)
    got = s.next_fire(after)
    period = timedelta(seconds=seconds)
    assert got > after
    assert got == anchor or got - period <= after
    assert (got - anchor) % period == timedelta(0) and got >= anchor
    times = s.fire_times(after, 3)
    assert times == [got, got + period, got + 2 * period]
