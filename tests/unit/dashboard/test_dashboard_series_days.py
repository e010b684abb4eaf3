"""The days of the dashboard's day series: the 14 days ending today by default, both ends or
neither, at most 92 days, refusals naming the parameter as the figures' ranges do."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard_service.domain.series import MAX_SERIES_DAYS, series_days
from eventing.periods import PeriodRefused

TODAY = date(2026, 12, 2)


def test_a_series_defaults_to_the_fourteen_days_ending_today_and_is_capped() -> None:
    days = series_days(None, None, TODAY)
    assert (len(days), days[-1], days[0]) == (14, TODAY, date(2026, 11, 19))
    with pytest.raises(PeriodRefused):
        series_days(date(2026, 1, 1), date(2026, 6, 1), TODAY)
    with pytest.raises(PeriodRefused):
        series_days(date(2026, 1, 1), None, TODAY)


def test_a_series_has_every_day_from_its_first_to_its_last() -> None:
    days = series_days(date(2026, 2, 27), date(2026, 3, 2), TODAY)
    assert days == [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2)]
    assert series_days(TODAY, TODAY, TODAY) == [TODAY]


@pytest.mark.parametrize(
    ("first", "last", "parameter", "reason"),
    [
        (None, TODAY, "from", "give both from and to (YYYY-MM-DD), or neither"),
        (TODAY, None, "to", "give both from and to (YYYY-MM-DD), or neither"),
        (TODAY, date(2026, 12, 1), "to", "to is before from"),
        (date(2026, 1, 1), date(2026, 4, 3), "to", "a range covers at most 92 days"),
    ],
)
def test_a_series_that_cannot_be_drawn_is_refused_naming_the_parameter(
    first: date | None, last: date | None, parameter: str, reason: str
) -> None:
    with pytest.raises(PeriodRefused) as refused:
        series_days(first, last, TODAY)
    assert (refused.value.parameter, refused.value.reason) == (parameter, reason)


def test_a_series_may_cover_92_days() -> None:
    first = date(2026, 1, 1)
    assert len(series_days(first, date(2026, 4, 2), TODAY)) == MAX_SERIES_DAYS
