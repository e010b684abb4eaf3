"""The days of a day series (`GET /v1/series`): `from`..`to` in the request's time zone, or
the 14 days ending today. The periods themselves are `eventing.periods`, shared with the
order service; only the dashboard draws series.

Pure: "today" comes in from the caller's clock. A refusal is `eventing.periods.PeriodRefused`
naming the query parameter at fault, worded as for a figures range.
"""

from __future__ import annotations

from datetime import date, timedelta

from eventing.periods import PeriodRefused, checked_days

MAX_SERIES_DAYS = 92
DEFAULT_SERIES_DAYS = 14


def series_days(first: date | None, last: date | None, today: date) -> list[date]:
    """The days of a series: `first`..`last` (both or neither), or the 14 days ending today."""
    if first is None and last is None:
        first, last = today - timedelta(days=DEFAULT_SERIES_DAYS - 1), today
    if first is None:
        raise PeriodRefused("from", "give both from and to (YYYY-MM-DD), or neither")
    if last is None:
        raise PeriodRefused("to", "give both from and to (YYYY-MM-DD), or neither")
    start, end = checked_days(first, last, limit=MAX_SERIES_DAYS)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]
