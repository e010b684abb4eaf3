"""The figures' reporting periods (`eventing.periods`, the order service's and the dashboard's):
days, Monday weeks, months and ranges as half-open intervals in a time zone (DST included), the
ratings window, the refusals naming their parameter, and the dashboard's series days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter, ValidationError

from eventing.periods import (
    Day,
    PeriodKind,
    PeriodRefused,
    TimeZoneName,
    day_start,
    reporting_period,
    zone_refusal,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 12, 1)  # a Tuesday


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "on", "start", "end"),
    [
        (PeriodKind.DAY, None, utc(2026, 11, 30, 16), utc(2026, 12, 1, 16)),
        (PeriodKind.DAY, date(2026, 2, 28), utc(2026, 2, 27, 16), utc(2026, 2, 28, 16)),
        (PeriodKind.WEEK, None, utc(2026, 11, 29, 16), utc(2026, 12, 6, 16)),
        (PeriodKind.WEEK, date(2026, 11, 30), utc(2026, 11, 29, 16), utc(2026, 12, 6, 16)),
        (PeriodKind.WEEK, date(2026, 12, 6), utc(2026, 11, 29, 16), utc(2026, 12, 6, 16)),
        (PeriodKind.WEEK, date(2027, 1, 1), utc(2026, 12, 27, 16), utc(2027, 1, 3, 16)),
        (PeriodKind.MONTH, None, utc(2026, 11, 30, 16), utc(2026, 12, 31, 16)),
        (PeriodKind.MONTH, date(2028, 2, 29), utc(2028, 1, 31, 16), utc(2028, 2, 29, 16)),
        (PeriodKind.MONTH, date(2026, 12, 31), utc(2026, 11, 30, 16), utc(2026, 12, 31, 16)),
    ],
)
def test_days_weeks_and_months_start_at_midnight_in_the_zone(
    kind: PeriodKind, on: date | None, start: datetime, end: datetime
) -> None:
    period = reporting_period(kind, SHANGHAI, today=TODAY, on=on)
    assert (period.start, period.end) == (start, end)
    shown = period.shown(period.start)
    assert shown is not None
    assert shown.utcoffset() == timedelta(hours=8)
    assert (shown.hour, shown.minute) == (0, 0)


def test_a_day_is_shown_from_midnight_to_midnight_with_the_zone_offset() -> None:
    day = reporting_period(PeriodKind.DAY, SHANGHAI, today=date(2026, 12, 2))
    shown = (day.shown(day.start), day.shown(day.end))
    assert shown[0] is not None
    assert shown[1] is not None
    assert shown[0].isoformat() == "2026-12-02T00:00:00+08:00"
    assert shown[1].isoformat() == "2026-12-03T00:00:00+08:00"


@pytest.mark.parametrize(("on", "end"), [(date(2026, 12, 31), date(2027, 1, 1)),
                                         (date(2026, 2, 10), date(2026, 3, 1))])  # fmt: skip
def test_a_month_ends_where_the_next_begins(on: date, end: date) -> None:
    month = reporting_period(PeriodKind.MONTH, SHANGHAI, today=TODAY, on=on)
    assert month.start == datetime(on.year, on.month, 1, tzinfo=SHANGHAI)
    assert month.end == datetime(end.year, end.month, end.day, tzinfo=SHANGHAI)


def test_a_day_in_another_zone_is_another_stretch_of_time() -> None:
    day = reporting_period(PeriodKind.DAY, ZoneInfo("America/New_York"), today=TODAY)
    assert day.start == utc(2026, 12, 1, 5)
    shown = day.shown(day.start)
    assert shown is not None
    assert shown.utcoffset() == timedelta(hours=-5)


def test_a_week_starts_on_monday() -> None:
    for offset in range(7):
        day = date(2026, 11, 30) + timedelta(days=offset)
        period = reporting_period(PeriodKind.WEEK, SHANGHAI, today=day)
        monday = period.shown(period.start)
        assert monday is not None
        assert monday.date() == date(2026, 11, 30)
        assert monday.weekday() == 0


def test_the_day_clocks_go_forward_in_berlin_has_23_hours() -> None:
    period = reporting_period(PeriodKind.DAY, BERLIN, today=TODAY, on=date(2026, 3, 29))
    assert period.start == utc(2026, 3, 28, 23)
    assert period.end == utc(2026, 3, 29, 22)
    shown = period.shown(period.end)
    assert shown is not None
    assert shown.utcoffset() == timedelta(hours=2)


def test_the_day_clocks_go_back_in_berlin_has_25_hours() -> None:
    period = reporting_period(PeriodKind.DAY, BERLIN, today=TODAY, on=date(2026, 10, 25))
    assert period.start is not None
    assert period.end is not None
    assert period.end - period.start == timedelta(hours=25)


def test_a_week_and_a_month_across_a_dst_change_end_at_local_midnight() -> None:
    week = reporting_period(PeriodKind.WEEK, BERLIN, today=TODAY, on=date(2026, 3, 26))
    assert (week.start, week.end) == (utc(2026, 3, 22, 23), utc(2026, 3, 29, 22))
    month = reporting_period(PeriodKind.MONTH, BERLIN, today=TODAY, on=date(2026, 10, 2))
    assert (month.start, month.end) == (utc(2026, 9, 30, 22), utc(2026, 10, 31, 23))


def test_a_day_whose_midnight_is_skipped_starts_when_the_clocks_jump() -> None:
    # Santiago moves from -04 to -03 at local midnight on 2026-09-06.
    santiago = ZoneInfo("America/Santiago")
    start = day_start(date(2026, 9, 6), santiago)
    assert start == utc(2026, 9, 6, 4)
    assert (start.hour, start.utcoffset()) == (1, timedelta(hours=-3))
    day = reporting_period(PeriodKind.DAY, santiago, today=TODAY, on=date(2026, 9, 6))
    shown = day.shown(day.start)
    assert (day.start, shown) == (start, start)
    assert shown is not None
    assert shown.isoformat() == "2026-09-06T01:00:00-03:00"
    assert day.end is not None
    assert day.end - start == timedelta(hours=23)


def test_a_range_covers_its_first_and_last_days() -> None:
    period = reporting_period(
        PeriodKind.RANGE, SHANGHAI, today=TODAY, first=date(2026, 11, 1), last=date(2026, 11, 3)
    )
    assert (period.start, period.end) == (utc(2026, 10, 31, 16), utc(2026, 11, 3, 16))


def test_a_range_of_one_day_is_that_day() -> None:
    one = reporting_period(PeriodKind.RANGE, SHANGHAI, today=TODAY, first=TODAY, last=TODAY)
    day = reporting_period(PeriodKind.DAY, SHANGHAI, today=TODAY)
    assert (one.start, one.end) == (day.start, day.end)


def test_a_range_may_cover_366_days_but_no_more() -> None:
    first = date(2028, 1, 1)
    longest = reporting_period(
        PeriodKind.RANGE, SHANGHAI, today=TODAY, first=first, last=date(2028, 12, 31)
    )
    assert longest.start is not None
    assert longest.end is not None
    assert longest.end - longest.start == timedelta(days=366)
    with pytest.raises(PeriodRefused) as refused:
        reporting_period(
            PeriodKind.RANGE, SHANGHAI, today=TODAY, first=first, last=date(2029, 1, 1)
        )
    assert refused.value.parameter == "to"


@pytest.mark.parametrize(
    ("kind", "changes", "parameter"),
    [
        (PeriodKind.RANGE, {"last": TODAY}, "from"),
        (PeriodKind.RANGE, {"first": TODAY}, "to"),
        (PeriodKind.RANGE, {"first": TODAY, "last": TODAY - timedelta(days=1)}, "to"),
        (PeriodKind.RANGE, {"first": TODAY, "last": TODAY, "on": TODAY}, "on"),
        (PeriodKind.DAY, {"first": TODAY}, "from"),
        (PeriodKind.MONTH, {"last": TODAY}, "to"),
        (PeriodKind.ALL, {"on": TODAY}, "on"),
        (PeriodKind.RANGE, {"first": date(2026, 11, 5), "last": date(2026, 11, 1)}, "to"),
        (PeriodKind.RANGE, {"first": date(2025, 1, 1), "last": date(2026, 1, 2)}, "to"),
        (PeriodKind.RANGE, {"on": date(2026, 11, 5), "first": TODAY, "last": TODAY}, "on"),
        (PeriodKind.WEEK, {"first": TODAY, "last": TODAY}, "from"),
    ],
)
def test_a_period_that_does_not_fit_its_parameters_is_refused_naming_the_parameter(
    kind: PeriodKind, changes: dict[str, date], parameter: str
) -> None:
    with pytest.raises(PeriodRefused) as refused:
        reporting_period(kind, SHANGHAI, today=TODAY, **changes)
    assert refused.value.parameter == parameter


def test_all_time_is_unbounded_and_its_ratings_end_now() -> None:
    period = reporting_period(PeriodKind.ALL, SHANGHAI, today=TODAY)
    assert (period.start, period.end) == (None, None)
    now = utc(2026, 12, 1, 12)
    assert period.ratings_window(now) == (now - timedelta(days=180), now)


def test_the_ratings_window_back_from_now_is_180_times_24_hours_across_a_dst_change() -> None:
    # Now in Berlin's winter, 180 days back in its summer: hours, not local midnights.
    now = utc(2026, 12, 1, 12)
    current = reporting_period(PeriodKind.MONTH, BERLIN, today=TODAY)
    start, end = current.ratings_window(now)
    assert (start, end) == (utc(2026, 6, 4, 12), now)
    assert end - start == timedelta(hours=180 * 24)


def test_the_ratings_window_back_from_a_period_end_starts_at_a_local_midnight() -> None:
    # 180 days before 2026-11-02 00:00 in Berlin (CET) is 2026-05-06 00:00 (CEST): 180 x 24 h
    # plus the hour the clocks went back.
    period = reporting_period(PeriodKind.DAY, BERLIN, today=TODAY, on=date(2026, 11, 1))
    start, end = period.ratings_window(utc(2026, 12, 1))
    assert end == utc(2026, 11, 1, 23)
    assert start == utc(2026, 5, 5, 22)
    assert end - start == timedelta(days=180, hours=1)


def test_the_ratings_window_ends_at_the_period_end_or_now_whichever_is_first() -> None:
    now = utc(2026, 12, 1, 12)
    past = reporting_period(PeriodKind.DAY, SHANGHAI, today=TODAY, on=date(2026, 6, 1))
    assert past.end is not None
    assert past.ratings_window(now) == (past.end - timedelta(days=180), past.end)
    current = reporting_period(PeriodKind.MONTH, SHANGHAI, today=TODAY)
    assert current.ratings_window(now) == (now - timedelta(days=180), now)


@pytest.mark.parametrize("name", ["Asia/Shanghai", "Europe/Berlin", "UTC", "America/Santiago"])
def test_iana_zone_names_are_accepted(name: str) -> None:
    assert zone_refusal(name) is None
    assert TypeAdapter(TimeZoneName).validate_python(name) == name


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "Mars/Olympus_Mons", "", "asia/shanghai", "../etc/passwd", "Asia"]
)
def test_unknown_zone_names_are_refused(name: str) -> None:
    assert zone_refusal(name) is not None
    with pytest.raises(ValidationError):
        TypeAdapter(TimeZoneName).validate_python(name)


@pytest.mark.parametrize(
    "text", ["2026-12-1", "20261201", "1764547200", "2026-13-01", "0001-01-01", "9999-12-31"]
)
def test_a_day_is_only_yyyy_mm_dd_in_a_representable_year(text: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Day).validate_python(text)
    assert TypeAdapter(Day).validate_python("2026-12-01") == TODAY


@pytest.mark.parametrize("value", [0, 1, 1764547200, 2026.5])
def test_a_number_is_not_a_day(value: float) -> None:
    # pydantic alone would read a number as a Unix timestamp (`on=0`: 1970-01-01).
    with pytest.raises(ValidationError):
        TypeAdapter(Day).validate_python(value)
    with pytest.raises(ValidationError):
        TypeAdapter(Day).validate_python(str(value))


def test_an_unknown_zone_is_refused_with_an_example_of_a_name() -> None:
    refused = zone_refusal("Mars/Olympus_Mons")
    assert refused == (
        "'Mars/Olympus_Mons' is not an IANA time zone name (e.g. Asia/Shanghai, Europe/Berlin)"
    )
