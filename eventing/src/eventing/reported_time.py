"""Times a caller reports (a payment's `paid_at`, a carrier's scan, a delivery): the one window
every service accepts them in, so a fact from the future or from before its aggregate is refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from eventing.database import RawStatement
from eventing.decider import DomainError, Rejection

MAX_CLOCK_SKEW = timedelta(minutes=5)
"""How far a reporter's clock may run ahead of the service's (and a fact precede the aggregate's
first event): beyond it, the reported time is implausible."""

EARLIEST_YEAR = 2
LATEST_YEAR = 9998
"""Years 0001 and 9999 are refused outright: adding or subtracting a policy duration to such an
instant overflows `datetime` (and PostgreSQL's range) in some consumer."""


class ImplausibleTime(DomainError):
    """A reported time lies in the future (beyond `MAX_CLOCK_SKEW`) or before the thing it is
    about existed; nothing is recorded."""

    code = "implausible-time"
    kind = Rejection.INVALID
    title = "The reported time is implausible"


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _text_or_datetime(value: Any) -> Any:
    # JSON has no time type: a number (or a number in a query string) would otherwise be read
    # as a Unix timestamp.
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.match(value)):
        return value
    raise ValueError("a time is an RFC 3339 string, e.g. 2026-11-11T10:00:00Z")


def _representable(moment: datetime) -> datetime:
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValueError(f"a reported time lies in the years {EARLIEST_YEAR}..{LATEST_YEAR}")
    return moment.astimezone(UTC)


Instant = Annotated[
    AwareDatetime, BeforeValidator(_text_or_datetime), AfterValidator(_representable)
]
"""An instant in a request body: an RFC 3339 string with an offset, years 2..9998, in UTC."""

ReportedTime = Annotated[
    Instant,
    Field(
        description="RFC 3339 with an offset; not before the thing it is about existed nor "
        f"more than {MAX_CLOCK_SKEW.seconds // 60} minutes after the service's clock."
    ),
]
"""A time a caller reports of a fact (checked against the window by `plausible`)."""


def plausible(
    reported: datetime, *, now: datetime, not_before: datetime | None, what: str
) -> datetime:
    """`reported` if it lies in [not_before - skew, now + skew]; else `ImplausibleTime`."""
    if reported > now + MAX_CLOCK_SKEW:
        raise ImplausibleTime(
            f"{what} {reported.isoformat()} is in the future (the service's clock says "
            f"{now.isoformat()})",
            reported=reported.isoformat(),
            latest=(now + MAX_CLOCK_SKEW).isoformat(),
        )
    if not_before is not None and reported < not_before - MAX_CLOCK_SKEW:
        raise ImplausibleTime(
            f"{what} {reported.isoformat()} is before {not_before.isoformat()}",
            reported=reported.isoformat(),
            earliest=(not_before - MAX_CLOCK_SKEW).isoformat(),
        )
    return reported


async def stream_began(connection: AsyncConnection, stream_id: str) -> datetime | None:
    """When the stream's first event occurred (None for a stream with no events)."""
    first = await _STREAM_BEGAN.fetchrow(connection, stream_id)
    return None if first is None else first["occurred_at"]


# On the driver connection (`RawStatement`): every payment that reports its time runs it.
_STREAM_BEGAN = RawStatement(
    "SELECT occurred_at FROM eventing.events WHERE stream_id = $1 AND stream_version = 1"
)
