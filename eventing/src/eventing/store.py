"""The PostgreSQL event store: append with an expected version, read a stream, read all.

The events table is also the outbox the relay publishes from. Positions are allocated while a
transaction-scoped advisory lock is held, so global position order equals commit order and a
reader that has seen position N has seen every committed position below N.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Row, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing import metrics
from eventing.clock import Clock, SystemClock
from eventing.events import (
    AppendResult,
    EventMetadata,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    Snapshot,
    StreamState,
)
from eventing.schema import events, snapshots, streams

# Serialises position allocation across writers until commit (see module docstring).
POSITION_LOCK_KEY = 0x6576_656E_7473  # "events"
NOTIFY_CHANNEL = "eventing_events"


class ConcurrencyConflict(Exception):
    """Another writer changed the stream first; reload and decide again (HTTP 409)."""


class WrongExpectedVersion(ConcurrencyConflict):
    """The stream is not at the version the writer decided on."""

    def __init__(self, stream_id: str, expected: ExpectedVersion, actual: int) -> None:
        shown = expected.value if isinstance(expected, StreamState) else expected
        super().__init__(f"stream {stream_id!r} is at version {actual}, expected {shown}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class EventStore:
    """Appends to and reads from `eventing.events` on one service database."""

    def __init__(self, engine: AsyncEngine, *, topic: str, clock: Clock | None = None) -> None:
        self.engine = engine
        self.topic = topic
        self.clock = clock or SystemClock()

    async def append(
        self,
        stream_id: str,
        new_events: Sequence[NewEvent],
        expected_version: ExpectedVersion,
        *,
        connection: AsyncConnection | None = None,
    ) -> AppendResult:
        """Append atomically, or raise `WrongExpectedVersion` and append nothing.

        With `connection`, the append joins the caller's transaction (which must then commit);
        append last in a transaction, since the position lock is held until commit.
        """
        if not new_events:
            raise ValueError("append needs at least one event")
        if connection is not None:
            return await self._append(connection, stream_id, new_events, expected_version)
        async with self.engine.begin() as own:
            return await self._append(own, stream_id, new_events, expected_version)

    async def _append(
        self,
        connection: AsyncConnection,
        stream_id: str,
        new_events: Sequence[NewEvent],
        expected_version: ExpectedVersion,
    ) -> AppendResult:
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key), pg_notify(:channel, '')"),
            {"key": POSITION_LOCK_KEY, "channel": NOTIFY_CHANNEL},
        )
        count = len(new_events)
        last = await _claim_versions(connection, stream_id, count, expected_version)
        first = last - count + 1
        rows = [
            self._row(stream_id, first + index, event) for index, event in enumerate(new_events)
        ]
        statement = insert(events).returning(events.c.position, sort_by_parameter_order=True)
        try:
            result = await connection.execute(statement, rows)
        except IntegrityError as error:
            if "events_stream_version_key" in str(error.orig):
                raise WrongExpectedVersion(stream_id, expected_version, first - 1) from error
            raise
        positions = tuple(result.scalars().all())
        metrics.EVENTS_APPENDED.inc(count)
        return AppendResult(stream_id, first, last, positions)

    def _row(self, stream_id: str, version: int, event: NewEvent) -> dict[str, Any]:
        return {
            "stream_id": stream_id,
            "stream_version": version,
            "event_id": event.event_id,
            "event_type": event.event_type,
            "schema_version": event.schema_version,
            "topic": event.topic or self.topic,
            "data": dict(event.data),
            "metadata": event.metadata.to_json(),
            "occurred_at": event.occurred_at or self.clock.now(),
        }

    async def current_version(self, stream_id: str) -> int:
        """The stream's version (0 when it has no events)."""
        async with self.engine.connect() as connection:
            version = await connection.scalar(
                select(streams.c.version).where(streams.c.stream_id == stream_id)
            )
        return int(version or 0)

    async def read_stream(
        self, stream_id: str, from_version: int = 1, *, connection: AsyncConnection | None = None
    ) -> list[RecordedEvent]:
        """The stream's events from `from_version` on, in version order."""
        statement = (
            select(events)
            .where(events.c.stream_id == stream_id, events.c.stream_version >= from_version)
            .order_by(events.c.stream_version)
        )
        if connection is not None:
            return [recorded_event(row) for row in await connection.execute(statement)]
        async with self.engine.connect() as own:
            return [recorded_event(row) for row in await own.execute(statement)]

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Up to `limit` events after `after_position`, in commit (= position) order."""
        statement = (
            select(events)
            .where(events.c.position > after_position)
            .order_by(events.c.position)
            .limit(limit)
        )
        async with self.engine.connect() as connection:
            return [recorded_event(row) for row in await connection.execute(statement)]

    async def head_position(self) -> int:
        """The highest committed position (0 for an empty store)."""
        async with self.engine.connect() as connection:
            return int(
                await connection.scalar(text("SELECT max(position) FROM eventing.events")) or 0
            )

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Keep the newest snapshot per stream (an older one never replaces a newer one)."""
        statement = pg_insert(snapshots).values(
            stream_id=snapshot.stream_id,
            stream_version=snapshot.stream_version,
            schema_version=snapshot.schema_version,
            state=dict(snapshot.state),
            taken_at=func.now(),
        )
        statement = statement.on_conflict_do_update(
            index_elements=[snapshots.c.stream_id],
            set_={
                "stream_version": statement.excluded.stream_version,
                "schema_version": statement.excluded.schema_version,
                "state": statement.excluded.state,
                "taken_at": func.now(),
            },
            where=snapshots.c.stream_version <= statement.excluded.stream_version,
        )
        async with self.engine.begin() as connection:
            await connection.execute(statement)

    async def load_snapshot(self, stream_id: str) -> Snapshot | None:
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(snapshots).where(snapshots.c.stream_id == stream_id)
                )
            ).first()
        if row is None:
            return None
        return Snapshot(row.stream_id, row.stream_version, row.schema_version, row.state)


async def _claim_versions(
    connection: AsyncConnection, stream_id: str, count: int, expected: ExpectedVersion
) -> int:
    """Move the stream's version forward by `count` if it is as expected; the new version."""
    params: dict[str, Any] = {"stream_id": stream_id, "count": count}
    if expected is StreamState.ANY:
        sql = (
            "INSERT INTO eventing.streams (stream_id, version) VALUES (:stream_id, :count)"
            " ON CONFLICT (stream_id) DO UPDATE SET version = eventing.streams.version + :count"
            " RETURNING version"
        )
    elif expected is StreamState.NO_STREAM or expected == 0:
        sql = (
            "INSERT INTO eventing.streams (stream_id, version) VALUES (:stream_id, :count)"
            " ON CONFLICT (stream_id) DO NOTHING RETURNING version"
        )
    else:
        if expected < 0:
            raise ValueError(f"expected version must be >= 0, got {expected}")
        params["expected"] = expected
        sql = (
            "UPDATE eventing.streams SET version = version + :count"
            " WHERE stream_id = :stream_id AND version = :expected RETURNING version"
        )
    version = await connection.scalar(text(sql), params)
    if version is None:
        actual = await connection.scalar(
            select(streams.c.version).where(streams.c.stream_id == stream_id)
        )
        raise WrongExpectedVersion(stream_id, expected, int(actual or 0))
    return int(version)


class _Fields(Protocol):
    def __getitem__(self, key: str, /) -> Any: ...


def recorded_event(row: Row[Any] | _Fields) -> RecordedEvent:
    """A stored row of `eventing.events` (SQLAlchemy row or asyncpg record) as an event."""
    fields: _Fields = row._mapping if isinstance(row, Row) else row
    return RecordedEvent(
        position=fields["position"],
        stream_id=fields["stream_id"],
        stream_version=fields["stream_version"],
        event_id=fields["event_id"],
        event_type=fields["event_type"],
        schema_version=fields["schema_version"],
        topic=fields["topic"],
        data=fields["data"],
        metadata=EventMetadata.from_json(fields["metadata"]),
        occurred_at=fields["occurred_at"],
        recorded_at=fields["recorded_at"],
    )
