"""Periods figures count in: days, Monday weeks, months, ranges, all time, in a time zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dashboard_service.domain.periods import (
    BadPeriod,
    PeriodKind,
    period,
    series_days,
    time_zone,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 2)  # a Wednesday


def test_a_day_starts_at_midnight_in_the_zone() -> None:
    day = period(PeriodKind.DAY, SHANGHAI, TODAY)
    assert day.start is not None
    assert day.end is not None
    assert day.start.isoformat() == "2026-12-02T00:00:00+08:00"
    assert day.end.isoformat() == "2026-12-03T00:00:00+08:00"


def test_a_week_runs_from_monday() -> None:
    week = period(PeriodKind.WEEK, SHANGHAI, TODAY, on=date(2026, 12, 6))
    assert week.start == datetime(2026, 11, 30, tzinfo=SHANGHAI)
    assert week.end == datetime(2026, 12, 7, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("on", "end"), [(date(2026, 12, 31), date(2027, 1, 1)),
                                         (date(2026, 2, 10), date(2026, 3, 1))])  # fmt: skip
def test_a_month_ends_where_the_next_begins(on: date, end: date) -> None:
    month = period(PeriodKind.MONTH, SHANGHAI, TODAY, on=on)
    assert month.start == datetime(on.year, on.month, 1, tzinfo=SHANGHAI)
    assert month.end == datetime(end.year, end.month, end.day, tzinfo=SHANGHAI)


def test_a_range_includes_its_last_day() -> None:
    chosen = period(
        PeriodKind.RANGE, SHANGHAI, TODAY, first=date(2026, 11, 1), last=date(2026, 11, 3)
    )
    assert chosen.end == datetime(2026, 11, 4, tzinfo=SHANGHAI)


def test_all_time_is_unbounded_and_its_ratings_window_ends_now() -> None:
    chosen = period(PeriodKind.ALL, SHANGHAI, TODAY)
    now = datetime(2026, 12, 2, 9, tzinfo=SHANGHAI)
    assert (chosen.start, chosen.end) == (None, None)
    assert chosen.ratings_window_end(now) == now
    day = period(PeriodKind.DAY, SHANGHAI, TODAY, on=date(2026, 11, 1))
    assert day.ratings_window_end(now) == day.end


def test_a_day_in_another_zone_is_another_stretch_of_time() -> None:
    day = period(PeriodKind.DAY, ZoneInfo("America/New_York"), TODAY)
    assert day.start is not None
    assert day.end is not None
    assert day.start.utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize(
    ("kind", "values", "parameter"),
    [
        (PeriodKind.RANGE, {"first": date(2026, 11, 5), "last": date(2026, 11, 1)}, "to"),
        (PeriodKind.RANGE, {"first": date(2026, 11, 5)}, "to"),
        (PeriodKind.RANGE, {"last": date(2026, 11, 5)}, "from"),
        (PeriodKind.RANGE, {"first": date(2025, 1, 1), "last": date(2026, 1, 2)}, "to"),
        (PeriodKind.DAY, {"first": date(2026, 11, 5)}, "from"),
        (PeriodKind.ALL, {"on": date(2026, 11, 5)}, "on"),
        (PeriodKind.RANGE, {"on": date(2026, 11, 5), "first": TODAY, "last": TODAY}, "on"),
    ],
)
def test_a_period_the_query_cannot_mean_names_the_parameter(
    kind: PeriodKind, values: dict[str, date], parameter: str
) -> None:
    with pytest.raises(BadPeriod) as refused:
        period(kind, SHANGHAI, TODAY, **values)
    assert refused.value.parameter == parameter


def test_an_unknown_zone_is_refused_naming_tz() -> None:
    with pytest.raises(BadPeriod) as refused:
        time_zone("Mars/Olympus_Mons")
    assert refused.value.parameter == "tz"


def test_a_series_defaults_to_the_fourteen_days_ending_today_and_is_capped() -> None:
    days = series_days(None, None, TODAY)
    assert (len(days), days[-1], days[0]) == (14, TODAY, date(2026, 11, 19))
    with pytest.raises(BadPeriod):
        series_days(date(2026, 1, 1), date(2026, 6, 1), TODAY)
    with pytest.raises(BadPeriod):
        series_days(date(2026, 1, 1), None, TODAY)
