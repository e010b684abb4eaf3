"""The one injectable clock: system time in production, movable time in tests.

`ManualClock` is moved by a test in the same process; `DatabaseClock` reads an offset stored in
a database (`CLOCK_DATABASE_URL`: one for the whole system under `make run`, demos and
end-to-end tests, so every service is at the same time and moving it is one write), re-read by
every command, request and deadline tick.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from eventing.settings import ServiceSettings


class Clock(Protocol):
    """Tells the current time (timezone-aware, UTC)."""

    def now(self) -> datetime: ...


@runtime_checkable
class RefreshableClock(Protocol):
    """A clock whose notion of time lives elsewhere and is re-read by workers on each tick."""

    def now(self) -> datetime: ...
    async def refresh(self) -> None: ...


class SystemClock:
    """Wall-clock UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2030, 1, 1, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")

    def now(self) -> datetime:
        return self._now

    def advance(self, by: timedelta) -> datetime:
        self._now += by
        return self._now

    def set(self, to: datetime) -> None:
        if to.tzinfo is None:
            raise ValueError("ManualClock needs timezone-aware times")
        self._now = to


class DatabaseClock:
    """System time plus an offset kept in `eventing.clock_offset` (tests move it remotely).

    `now()` uses the offset read by the last `refresh()`; workers refresh on every tick.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._offset = timedelta()

    @property
    def offset(self) -> timedelta:
        return self._offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    async def refresh(self) -> None:
        self._offset = await read_clock_offset(self._engine)


async def read_clock_offset(engine: AsyncEngine) -> timedelta:
    """The stored offset (zero when none was ever set)."""
    async with engine.connect() as connection:
        micros = await connection.scalar(
            text("SELECT offset_microseconds FROM eventing.clock_offset WHERE id = 1")
        )
    return timedelta(microseconds=micros or 0)


async def set_clock_offset(engine: AsyncEngine, offset: timedelta) -> None:
    """Move every `DatabaseClock` on this database to system time + `offset`."""
    micros = (offset.days * 86_400 + offset.seconds) * 1_000_000 + offset.microseconds
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO eventing.clock_offset (id, offset_microseconds) VALUES (1, :micros)"
                " ON CONFLICT (id) DO UPDATE SET offset_microseconds = EXCLUDED.offset_microseconds"
            ),
            {"micros": micros},
        )


async def advance_clock(engine: AsyncEngine, by: timedelta) -> timedelta:
    """Add `by` to the stored offset; returns the new offset."""
    offset = await read_clock_offset(engine) + by
    await set_clock_offset(engine, offset)
    return offset


def clock_for(settings: ServiceSettings, engine: AsyncEngine) -> Clock:
    """The clock a service runs on: `system` (wall time) or `database` (movable offset)."""
    if settings.clock == "database":
        return DatabaseClock(engine)
    return SystemClock()


async def refresh_clock(clock: Clock) -> None:
    """Re-read a movable clock's offset (no-op for clocks that need no refresh)."""
    refresh = getattr(clock, "refresh", None)
    if refresh is not None:
        await refresh()
