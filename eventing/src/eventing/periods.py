"""Reporting periods of the figures: a day, a Monday-to-Sunday week, a month, a range of days
or all time, in a named time zone, as the half-open UTC interval the figures filter on.

Calendar arithmetic, no business rule: the order service's shop figures and the dashboard's
count in the same periods, so both take them (and the query types `Day` and `TimeZoneName`)
from here and refuse the same queries with the same words. Today's date comes in from the
caller (the service clock), never from `datetime.now()`. A refused choice names the query
parameter it came from, so the API answers 422 problem+json pointing at it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator, BeforeValidator

MAX_RANGE_DAYS = 366
RATINGS_WINDOW = timedelta(days=180)
"""Average ratings are taken over the 180 days ending at the period's end (or now, if sooner)."""

EARLIEST_YEAR = 2
LATEST_YEAR = 9998
"""A day in year 1 or 9999 has no UTC bounds in some zones (`datetime` overflows)."""

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PeriodKind(StrEnum):
    """Which span of days the figures cover."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    RANGE = "range"
    ALL = "all"


class PeriodRefused(ValueError):
    """The requested period cannot be reported; `parameter` is the query parameter at fault."""

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(reason)
        self.parameter = parameter
        self.reason = reason


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_refusal(name: str) -> str | None:
    """Why `name` is not an IANA time zone this process knows, or None when it is one."""
    if name in _known_zones():
        return None
    return f"{name!r} is not an IANA time zone name (e.g. Asia/Shanghai, Europe/Berlin)"


def _known_zone(name: str) -> str:
    refused = zone_refusal(name)
    if refused is not None:
        raise ValueError(refused)
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
"""An IANA time zone name, checked against the zone database (`zoneinfo`)."""


def _iso_day(value: Any) -> Any:
    # Only YYYY-MM-DD: pydantic would otherwise read a number as a Unix timestamp.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.match(value)):
        return value
    raise ValueError("a day is written YYYY-MM-DD, e.g. 2026-12-01")


def _representable_day(day: date) -> date:
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise ValueError(f"a day lies in the years {EARLIEST_YEAR}..{LATEST_YEAR}")
    return day


Day = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_representable_day)]
"""A calendar day in a query string: YYYY-MM-DD, years 2..9998."""


@dataclass(frozen=True, slots=True)
class ReportingPeriod:
    """The figures' span: `start` inclusive, `end` exclusive, in UTC (so differences are true
    durations, 23 or 25 hours on a DST day); both None for all time. `shown` gives them with
    the zone's offset."""

    kind: PeriodKind
    zone: ZoneInfo
    start: datetime | None
    end: datetime | None

    def ratings_window(self, now: datetime) -> tuple[datetime, datetime]:
        """The 180 days ending at the period's end, or at `now` when that comes first. Back
        from the period's end they are calendar days in the zone (the window starts at a local
        midnight, across a DST change too); back from now, 180 x 24 hours."""
        if self.end is None or now < self.end:
            return now - RATINGS_WINDOW, now
        local_end = self.end.astimezone(self.zone)
        return (local_end - RATINGS_WINDOW).astimezone(UTC), self.end

    def shown(self, moment: datetime | None) -> datetime | None:
        """`moment` with the zone's offset at that instant (as the figures' scope shows it)."""
        return None if moment is None else moment.astimezone(self.zone)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone` (where midnight is skipped by a DST change, the
    instant the day begins), expressed in the zone's offset at that instant."""
    wall = datetime.combine(day, time(), tzinfo=zone)
    # Through UTC: a wall time in a DST gap is only normalised when it changes zone.
    return wall.astimezone(UTC).astimezone(zone)


def reporting_period(
    kind: PeriodKind,
    zone: ZoneInfo,
    *,
    today: date,
    on: date | None = None,
    first: date | None = None,
    last: date | None = None,
) -> ReportingPeriod:
    """The period `kind` in `zone`: the day, week (from Monday) or month containing `on`
    (default `today`), the days `first`..`last` inclusive, or all time."""
    if kind is PeriodKind.RANGE:
        if on is not None:
            raise PeriodRefused("on", "period=range takes from and to, not on")
        first_day, last_day = _range_days(first, last)
        return _between(kind, zone, first_day, last_day + timedelta(days=1))
    for name, given in (("from", first), ("to", last)):
        if given is not None:
            raise PeriodRefused(name, f"{name} applies to period=range only")
    if kind is PeriodKind.ALL:
        if on is not None:
            raise PeriodRefused("on", "period=all covers all time and takes no on")
        return ReportingPeriod(kind, zone, None, None)
    day = today if on is None else on
    if kind is PeriodKind.DAY:
        return _between(kind, zone, day, day + timedelta(days=1))
    if kind is PeriodKind.WEEK:
        monday = day - timedelta(days=day.weekday())
        return _between(kind, zone, monday, monday + timedelta(days=7))
    first_of_month = day.replace(day=1)
    next_month = (first_of_month + timedelta(days=32)).replace(day=1)
    return _between(kind, zone, first_of_month, next_month)


def _range_days(first: date | None, last: date | None) -> tuple[date, date]:
    if first is None:
        raise PeriodRefused("from", "period=range needs from (YYYY-MM-DD)")
    if last is None:
        raise PeriodRefused("to", "period=range needs to (YYYY-MM-DD)")
    return checked_days(first, last, limit=MAX_RANGE_DAYS)


def checked_days(first: date, last: date, *, limit: int) -> tuple[date, date]:
    """`first` and `last` (`from` and `to`, both included) when they span 1..`limit` days."""
    if last < first:
        raise PeriodRefused("to", "to is before from")
    if (last - first).days + 1 > limit:
        raise PeriodRefused("to", f"a range covers at most {limit} days")
    return first, last


def _between(kind: PeriodKind, zone: ZoneInfo, first: date, end: date) -> ReportingPeriod:
    start, stop = day_start(first, zone), day_start(end, zone)
    return ReportingPeriod(kind, zone, start.astimezone(UTC), stop.astimezone(UTC))
