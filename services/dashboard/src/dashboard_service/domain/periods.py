"""The periods figures count in: a day, a Monday-to-Sunday week, a month, a range of days or
all time, each in one IANA time zone; and the days of a series.

Pure: "today" comes in from the caller's clock. A refusal names the query parameter at fault
(`BadPeriod.parameter`), so the API can answer a 422 pointing at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator

MAX_RANGE_DAYS = 366
MAX_SERIES_DAYS = 92
DEFAULT_SERIES_DAYS = 14


class BadPeriod(ValueError):
    """A period the query cannot mean; `parameter` is the query parameter at fault."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def time_zone(name: str, parameter: str = "tz") -> ZoneInfo:
    """The IANA zone `name` (`BadPeriod` naming `parameter` when there is none such)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadPeriod(parameter, f"unknown IANA time zone {name!r}") from None


def _known_zone(name: str) -> str:
    time_zone(name)
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
"""A setting naming an IANA time zone (checked when the settings load)."""


class PeriodKind(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    RANGE = "range"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class Period:
    """`[start, end)` in `zone`; both None for all time."""

    kind: PeriodKind
    zone: ZoneInfo
    start: datetime | None
    end: datetime | None

    def ratings_window_end(self, now: datetime) -> datetime:
        """Ratings count over the 180 days ending at the period's end, or now if sooner."""
        return now if self.end is None else min(self.end, now)


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of `day` in `zone`."""
    return datetime.combine(day, time(), tzinfo=zone)


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def period(
    kind: PeriodKind,
    zone: ZoneInfo,
    today: date,
    *,
    on: date | None = None,
    first: date | None = None,
    last: date | None = None,
) -> Period:
    """The period a figures query asks for (`first`/`last`: `from`/`to`, inclusive)."""
    if kind is not PeriodKind.RANGE and (first is not None or last is not None):
        raise BadPeriod("from" if first is not None else "to", "only with period=range")
    if kind is PeriodKind.ALL:
        if on is not None:
            raise BadPeriod("on", "period=all has no day to be on")
        return Period(kind, zone, None, None)
    if kind is PeriodKind.RANGE:
        if on is not None:
            raise BadPeriod("on", "period=range takes from and to, not on")
        start_day, end_day = days_between(first, last, limit=MAX_RANGE_DAYS, required=True)
        return Period(kind, zone, midnight(start_day, zone), midnight(end_day, zone))
    day = on or today
    if kind is PeriodKind.DAY:
        start_day, end_day = day, day + timedelta(days=1)
    elif kind is PeriodKind.WEEK:
        start_day = day - timedelta(days=day.weekday())
        end_day = start_day + timedelta(days=7)
    else:
        start_day, end_day = day.replace(day=1), _first_of_next_month(day)
    return Period(kind, zone, midnight(start_day, zone), midnight(end_day, zone))


def days_between(
    first: date | None, last: date | None, *, limit: int, required: bool
) -> tuple[date, date]:
    """`first` and the day after `last` (inclusive range of at most `limit` days)."""
    if first is None or last is None:
        if required:
            raise BadPeriod("from" if first is None else "to", "period=range needs from and to")
        raise BadPeriod("from" if first is None else "to", "give both from and to, or neither")
    if first > last:
        raise BadPeriod("to", "to must not be before from")
    if (last - first).days + 1 > limit:
        raise BadPeriod("to", f"at most {limit} days from from to to")
    return first, last + timedelta(days=1)


def series_days(first: date | None, last: date | None, today: date) -> list[date]:
    """The days of a series: `first`..`last`, or the 14 days ending today."""
    if first is None and last is None:
        first, last = today - timedelta(days=DEFAULT_SERIES_DAYS - 1), today
    start, end = days_between(first, last, limit=MAX_SERIES_DAYS, required=False)
    return [start + timedelta(days=n) for n in range((end - start).days)]
