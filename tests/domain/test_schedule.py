"""Cron and interval schedules: DESIGN.md §5's DST examples exactly, plus other zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.schedule import (
    CronSchedule,
    IntervalSchedule,
    Schedule,
    ScheduleError,
)

US = timedelta(microseconds=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def fires_on_local_day(expr: str, zone: str, day: tuple[int, int, int]) -> list[datetime]:
    schedule = CronSchedule.parse(expr, zone)
    tz = ZoneInfo(zone)
    start = datetime(*day, tzinfo=tz).astimezone(UTC)
    end = (datetime(*day) + timedelta(days=1)).replace(tzinfo=tz).astimezone(UTC)
    return [t for t in schedule.fire_times(start - US, 500) if t < end]


# ----------------------------------------------------------------- DESIGN.md §5, exactly


def test_spring_forward_fixed_time_runs_once_at_end_of_gap() -> None:
    s = CronSchedule.parse("30 2 * * *", "America/New_York")
    assert s.next_fire(utc(2025, 3, 9)) == utc(2025, 3, 9, 7, 0)  # 03:00 EDT
    assert s.fire_times(utc(2025, 3, 9), 2) == [utc(2025, 3, 9, 7, 0), utc(2025, 3, 10, 6, 30)]


def test_fall_back_fixed_time_runs_once_on_first_pass() -> None:
    s = CronSchedule.parse("30 1 * * *", "America/New_York")
    assert s.fire_times(utc(2025, 11, 2), 2) == [utc(2025, 11, 2, 5, 30), utc(2025, 11, 3, 6, 30)]


def test_wildcard_hour_runs_in_both_passes_on_fall_back() -> None:
    fires = fires_on_local_day("30 * * * *", "America/New_York", (2025, 11, 2))
    assert len(fires) == 25
    assert utc(2025, 11, 2, 5, 30) in fires and utc(2025, 11, 2, 6, 30) in fires


def test_stepped_minutes_skip_the_gap_on_spring_forward() -> None:
    fires = fires_on_local_day("*/15 * * * *", "America/New_York", (2025, 3, 9))
    assert len(fires) == 92
    assert utc(2025, 3, 9, 6, 45) in fires and utc(2025, 3, 9, 7, 0) in fires  # 01:45 EST, 03:00


def test_stepped_hours_run_in_both_passes() -> None:
    fires = fires_on_local_day("0 */1 * * *", "America/New_York", (2025, 11, 2))
    assert len(fires) == 25


# ----------------------------------------------------------------- other zones


@pytest.mark.parametrize(
    ("expr", "zone", "after", "expected"),
    [
        # London: gap 01:00-02:00 GMT->BST, overlap 01:00-02:00 BST->GMT
        (
            "30 1 * * *",
            "Europe/London",
            utc(2025, 3, 29, 2),
            [utc(2025, 3, 30, 1), utc(2025, 3, 31, 0, 30)],
        ),
        (
            "30 1 * * *",
            "Europe/London",
            utc(2025, 10, 25, 2),
            [utc(2025, 10, 26, 0, 30), utc(2025, 10, 27, 1, 30)],
        ),
        # Sydney (southern hemisphere): DST ends in April, starts in October
        (
            "30 2 * * *",
            "Australia/Sydney",
            utc(2025, 4, 5),
            [utc(2025, 4, 5, 15, 30), utc(2025, 4, 6, 16, 30)],
        ),
        (
            "30 2 * * *",
            "Australia/Sydney",
            utc(2025, 10, 4),
            [utc(2025, 10, 4, 16), utc(2025, 10, 5, 15, 30)],
        ),
        # Lord Howe: a 30-minute shift
        (
            "45 1 * * *",
            "Australia/Lord_Howe",
            utc(2025, 4, 5),
            [utc(2025, 4, 5, 14, 45), utc(2025, 4, 6, 15, 15)],
        ),
        (
            "15 2 * * *",
            "Australia/Lord_Howe",
            utc(2025, 10, 4),
            [utc(2025, 10, 4, 15, 30), utc(2025, 10, 5, 15, 15)],
        ),
        # UTC has no DST at all
        ("30 2 * * *", "UTC", utc(2025, 3, 9), [utc(2025, 3, 9, 2, 30), utc(2025, 3, 10, 2, 30)]),
    ],
)
def test_fixed_time_jobs_across_transitions(
    expr: str, zone: str, after: datetime, expected: list[datetime]
) -> None:
    assert CronSchedule.parse(expr, zone).fire_times(after, 2) == expected


@pytest.mark.parametrize(
    ("expr", "zone", "day", "count"),
    [
        ("*/15 * * * *", "Australia/Lord_Howe", (2025, 4, 6), 96 + 2),
        ("*/15 * * * *", "Australia/Lord_Howe", (2025, 10, 5), 96 - 2),
        ("*/15 * * * *", "Europe/London", (2025, 10, 26), 100),
        ("*/15 * * * *", "Europe/London", (2025, 3, 30), 92),
        ("30 * * * *", "Australia/Sydney", (2025, 4, 6), 25),
        ("30 * * * *", "Australia/Sydney", (2025, 10, 5), 23),
        ("*/15 * * * *", "UTC", (2025, 3, 9), 96),
        # fixed-time lists and ranges are fixed times (Debian): once each on fall-back
        ("0,30 1 * * *", "America/New_York", (2025, 11, 2), 2),
        ("30 0-3 * * *", "America/New_York", (2025, 11, 2), 4),
        # ... and the gap's skipped wall times collapse into one run at its end
        ("0,30 2 * * *", "America/New_York", (2025, 3, 9), 1),
    ],
)
def test_fires_per_local_day(expr: str, zone: str, day: tuple[int, int, int], count: int) -> None:
    assert len(fires_on_local_day(expr, zone, day)) == count


def test_second_pass_fires_come_in_utc_order() -> None:
    s = CronSchedule.parse("*/15 * * * *", "Australia/Lord_Howe")
    got = s.fire_times(utc(2025, 4, 5, 14, 20), 6)
    assert got == [utc(2025, 4, 5, 14, 30) + timedelta(minutes=15 * i) for i in range(6)]
    # after is inside the first pass: the second pass of an earlier wall time is still next
    assert s.next_fire(utc(2025, 4, 5, 14, 50)) == utc(2025, 4, 5, 15, 0)  # 01:30 +10:30


def test_next_fire_is_strictly_after() -> None:
    s = CronSchedule.parse("0 9 * * *", "Europe/London")
    assert s.next_fire(utc(2025, 1, 6, 9)) == utc(2025, 1, 7, 9)
    assert s.next_fire(utc(2025, 1, 6, 9) - US) == utc(2025, 1, 6, 9)


def test_non_utc_input_is_accepted_and_output_is_utc() -> None:
    s = CronSchedule.parse("0 9 * * *", "America/New_York")
    after = datetime(2025, 1, 6, 8, tzinfo=ZoneInfo("America/New_York"))
    got = s.next_fire(after)
    assert got == utc(2025, 1, 6, 14) and got.tzinfo is UTC


def test_naive_input_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CronSchedule.parse("0 9 * * *", "UTC").next_fire(datetime(2025, 1, 1))


# ----------------------------------------------------------------- syntax


@pytest.mark.parametrize(
    ("alias", "equivalent"),
    [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@ANNUALLY", "0 0 1 1 *"),
    ],
)
def test_aliases(alias: str, equivalent: str) -> None:
    after = utc(2025, 2, 3, 4, 5)
    a = CronSchedule.parse(alias, "Europe/London").fire_times(after, 5)
    b = CronSchedule.parse(equivalent, "Europe/London").fire_times(after, 5)
    assert a == b


def test_six_fields_put_seconds_first() -> None:
    s = CronSchedule.parse("15 30 9 * * *", "UTC")
    assert s.fire_times(utc(2025, 1, 1), 2) == [
        utc(2025, 1, 1, 9, 30, 15),
        utc(2025, 1, 2, 9, 30, 15),
    ]
    every = CronSchedule.parse("*/20 * * * * *", "UTC")
    assert every.fire_times(utc(2025, 1, 1, 0, 0, 5), 3) == [
        utc(2025, 1, 1, 0, 0, 20),
        utc(2025, 1, 1, 0, 0, 40),
        utc(2025, 1, 1, 0, 1, 0),
    ]


def test_seconds_inside_a_gap_collapse_to_one_run() -> None:
    s = CronSchedule.parse("*/10 30 2 * * *", "America/New_York")
    assert s.fire_times(utc(2025, 3, 9), 2) == [utc(2025, 3, 9, 7), utc(2025, 3, 10, 6, 30)]


@pytest.mark.parametrize(
    ("expr", "after", "first"),
    [
        ("0 9 * * MON-FRI", utc(2025, 1, 4), utc(2025, 1, 6, 9)),  # Sat -> Mon
        ("0 9 * * 7", utc(2025, 1, 6), utc(2025, 1, 12, 9)),  # 7 is Sunday
        ("0 9 * * 5-0", utc(2025, 1, 6), utc(2025, 1, 10, 9)),  # Fri-Sun
        ("0 0 1 JAN,jul *", utc(2025, 2, 1), utc(2025, 7, 1)),
        ("0 0 ? * 1", utc(2025, 1, 1), utc(2025, 1, 6)),
        ("5/20 * * * *", utc(2025, 1, 1), utc(2025, 1, 1, 0, 5)),
        ("0 0 29 2 *", utc(2025, 1, 1), utc(2028, 2, 29)),
    ],
)
def test_field_syntax(expr: str, after: datetime, first: datetime) -> None:
    assert CronSchedule.parse(expr, "UTC").next_fire(after) == first


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("61 * * * *", "cron_expression: minute field '61' is out of range 0-59"),
        ("* 24 * * *", "hour field '24' is out of range 0-23"),
        ("0 0 0 * *", "day-of-month field '0' is out of range 1-31"),
        ("0 0 * 13 *", "month field '13' is out of range 1-12"),
        ("0 0 * * 8", "day-of-week field '8' is out of range 0-7"),
        ("5,61 * * * *", "minute field '61' is out of range 0-59 (in '5,61')"),
        ("*/0 * * * *", "minute field '*/0' has step '0'"),
        ("*/x * * * *", "minute field '*/x' has step 'x'"),
        ("*/99 * * * *", "out of range 1-59"),
        ("0 22-2 * * *", "hour range '22-2' runs backwards"),
        ("0 9 * * FOO", "day-of-week field 'FOO' is not a valid value"),
        ("0 9 L * *", "day-of-month field 'L' is not a valid value"),
        ("0 9 * * 1#2", "day-of-week field '1#2' contains '#'"),
        ("0 9 1,,2 * *", "empty list item"),
        ("0 9- * * *", "hour field '9-' is incomplete"),
        ("0 ? * * *", "'?' is only for the day fields"),
        ("0 0 31 2 *", "day-of-month '31' never occurs in month '2'"),
        ("0 0 30 2,4 *", None),  # April has a 30th: valid
        ("* * * *", "expected 5 fields"),
        ("* * * * * * *", "but got 7"),
        ("", "cron_expression: is empty"),
        ("   ", "cron_expression: is empty"),
        ("@reboot", "unknown alias '@reboot': use one of @yearly"),
        ("1" * 300, "is too long"),
        ("99999999999 * * * *", "is not a valid value"),
    ],
)
def test_invalid_expressions_name_the_field_and_token(expr: str, message: str | None) -> None:
    if message is None:
        CronSchedule.parse(expr, "UTC")
        return
    with pytest.raises(ScheduleError) as info:
        CronSchedule.parse(expr, "UTC")
    assert info.value.field == "cron_expression"
    assert isinstance(info.value, UserError)
    assert message in str(info.value)
    assert str(info.value).startswith("cron_expression: ")


@pytest.mark.parametrize("zone", ["Mars/Base", "", "../../etc/passwd", "/etc/localtime", "utc "])
def test_unknown_time_zone(zone: str) -> None:
    with pytest.raises(ScheduleError) as info:
        CronSchedule.parse("0 9 * * *", zone)
    assert info.value.field == "timezone"
    assert "use an IANA name like 'Europe/London'" in str(info.value)


def test_unknown_time_zone_message() -> None:
    with pytest.raises(ScheduleError) as info:
        CronSchedule.parse("0 9 * * *", "Mars/Base")
    assert str(info.value) == (
        "timezone: unknown time zone 'Mars/Base': use an IANA name like 'Europe/London'"
    )


def test_cron_schedule_is_a_value() -> None:
    a = CronSchedule.parse("0 9 * * *", "UTC")
    assert a == CronSchedule("0 9 * * *", "UTC") and hash(a) == hash(
        CronSchedule("0 9 * * *", "UTC")
    )
    assert isinstance(a, Schedule)
    assert a.fixed_time and not CronSchedule.parse("*/5 9 * * *", "UTC").fixed_time


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        ("0 9 * * 1-5", "At 09:00 on Monday through Friday (America/New_York)"),
        ("*/15 * * * *", "Every 15 minutes (America/New_York)"),
        ("* * * * *", "Every minute (America/New_York)"),
        ("@hourly", "At minute 0 of every hour (America/New_York)"),
        ("@daily", "At 00:00 every day (America/New_York)"),
        ("@yearly", "At 00:00 on 1 January (America/New_York)"),
        ("0 9,17 * * *", "At 09:00 and 17:00 every day (America/New_York)"),
        ("30 */4 * * *", "At minute 30 of every 4 hours (America/New_York)"),
        ("0 0 1 * *", "At 00:00 on day 1 of the month (America/New_York)"),
        ("0 8 * * MON,WED,FRI", "At 08:00 on Monday, Wednesday and Friday (America/New_York)"),
        ("*/30 * * * * *", "Every 30 seconds (America/New_York)"),
        ("15 0 9 * * *", "At 09:00:15 every day (America/New_York)"),
        ("0 9 * 1-3 *", "At 09:00 every day in January through March (America/New_York)"),
        ("1-7/2 3,4 * * *", "1-7/2 3,4 * * * (America/New_York)"),  # falls back to the text
    ],
)
def test_describe(expr: str, text: str) -> None:
    assert CronSchedule.parse(expr, "America/New_York").describe() == text


# ----------------------------------------------------------------- interval


def test_interval_next_fire_is_anchor_plus_k_periods() -> None:
    anchor = utc(2025, 1, 1, 0, 0, 7)
    s = IntervalSchedule(900, anchor)
    assert s.next_fire(utc(2024, 1, 1)) == anchor  # before the anchor: the anchor itself
    assert s.next_fire(anchor) == anchor + timedelta(minutes=15)
    assert s.next_fire(anchor + timedelta(minutes=15) - US) == anchor + timedelta(minutes=15)
    assert s.fire_times(anchor, 3) == [anchor + timedelta(minutes=15 * k) for k in (1, 2, 3)]


def test_interval_is_added_in_utc_across_dst() -> None:
    anchor = datetime(2025, 3, 9, 1, 0, tzinfo=ZoneInfo("America/New_York"))
    s = IntervalSchedule.from_config({"interval_minutes": 60}, anchor=anchor)
    assert s.fire_times(anchor, 2) == [utc(2025, 3, 9, 7), utc(2025, 3, 9, 8)]  # 03:00, 04:00 EDT


def test_interval_after_ten_years_is_exact_and_immediate() -> None:
    anchor = utc(2015, 1, 1, 0, 0, 0)
    s = IntervalSchedule.from_config({"interval_seconds": 7}, anchor=anchor)
    after = utc(2025, 1, 1, 0, 0, 3, 500)
    got = s.next_fire(after)
    assert got > after and got - timedelta(seconds=7) <= after
    assert (got - anchor).total_seconds() % 7 == 0


@pytest.mark.parametrize(
    ("config", "field", "message"),
    [
        ({"interval_minutes": 0}, "interval_minutes", "must be greater than 0"),
        ({"interval_minutes": -5}, "interval_minutes", "must be greater than 0"),
        ({"interval_seconds": "30"}, "interval_seconds", "must be a number"),
        ({"interval_seconds": True}, "interval_seconds", "must be a number"),
        ({"interval_seconds": None}, "interval_seconds", "must be a number"),
        ({"interval_seconds": float("nan")}, "interval_seconds", "finite"),
        ({"interval_minutes": float("inf")}, "interval_minutes", "finite"),
        ({"interval_seconds": 0.5}, "interval_seconds", "whole number of seconds"),
        ({"interval_minutes": 527041}, "interval_minutes", "longer than 366 days"),
        ({"interval_seconds": 10**30}, "interval_seconds", "longer than 366 days"),
        ({"interval_minutes": 1, "interval_seconds": 60}, "trigger_config", "not both"),
        ({}, "trigger_config", "interval_minutes is missing"),
    ],
)
def test_interval_config_errors(config: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ScheduleError) as info:
        IntervalSchedule.from_config(config, anchor=utc(2025, 1, 1))
    assert info.value.field == field and message in str(info.value)


def test_interval_config_accepts_fractional_minutes_and_describes() -> None:
    assert (
        IntervalSchedule.from_config({"interval_minutes": 1.5}, anchor=utc(2025, 1, 1)).seconds
        == 90
    )
    anchor = utc(2025, 1, 1)
    assert IntervalSchedule(900, anchor).describe() == "Every 15 minutes"
    assert IntervalSchedule(60, anchor).describe() == "Every minute"
    assert IntervalSchedule(7200, anchor).describe() == "Every 2 hours"
    assert IntervalSchedule(86400, anchor).describe() == "Every day"
    assert IntervalSchedule(90, anchor).describe() == "Every 90 seconds"


def test_fire_times_count_is_checked() -> None:
    s = CronSchedule.parse("* * * * *", "UTC")
    assert s.fire_times(utc(2025, 1, 1), 0) == []
    with pytest.raises(ScheduleError) as info:
        s.fire_times(utc(2025, 1, 1), -1)
    assert info.value.field == "count"
    with pytest.raises(ScheduleError):
        IntervalSchedule(60, utc(2025, 1, 1)).fire_times(utc(2025, 1, 1), 10**9)


def test_cron_from_config() -> None:
    s = CronSchedule.from_config({"cron_expression": "0 9 * * *"}, default_timezone="Europe/London")
    assert s == CronSchedule("0 9 * * *", "Europe/London")
    s = CronSchedule.from_config(
        {"cron_expression": "0 9 * * *", "timezone": "Asia/Tokyo"}, default_timezone="UTC"
    )
    assert s.timezone == "Asia/Tokyo"
    for config, field_name in [
        ({}, "cron_expression"),
        ({"cron_expression": 5}, "cron_expression"),
        ({"cron_expression": "0 9 * * *", "timezone": None}, "timezone"),
        ({"cron_expression": "0 9 * * *", "timezone": "Nowhere/Land"}, "timezone"),
    ]:
        with pytest.raises(ScheduleError) as info:
            CronSchedule.from_config(config, default_timezone="UTC")
        assert info.value.field == field_name
