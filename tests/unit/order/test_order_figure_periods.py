"""The figures' reporting periods: days, Monday weeks, months and ranges as half-open intervals in
a time zone (DST included), the ratings window, and the refusals naming their parameter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter, ValidationError

from order_service.application.periods import (
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


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "asia/shanghai", "../etc/passwd", "Asia"])
def test_unknown_zone_names_are_refused(name: str) -> None:
    assert zone_refusal(name) is not None
    with pytest.raises(ValidationError):
        TypeAdapter(TimeZoneName).validate_python(name)


@pytest.mark.parametrize(
    "text", ["2026-12-1", "20261201", "1764547200", "2026-13-01", "0001-01-01"]
)
def test_a_day_is_only_yyyy_mm_dd_in_a_representable_year(text: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Day).validate_python(text)
    assert TypeAdapter(Day).validate_python("2026-12-01") == TODAY
