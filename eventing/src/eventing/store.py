"""The PostgreSQL event store: append with an expected version, read a stream, read all.

The events table is also the outbox the relay publishes from. Positions are allocated while a
transaction-scoped advisory lock is held, so global position order equals commit order and a
reader that has seen position N has seen every committed position below N. An append is one
call to the database function `eventing.append_events` (migration 0003), so the lock is held for
server time and the commit only, never across a client round trip.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Row, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing import committed_events, metrics, tracing
from eventing.clock import Clock, SystemClock
from eventing.database import RawStatement, single_statements
from eventing.events import (
    AppendResult,
    EventMetadata,
    ExpectedVersion,
    JsonObject,
    JsonText,
    NewEvent,
    RecordedEvent,
    StreamState,
)
from eventing.schema import events, streams

# Serialises position allocation across writers until commit (see module docstring).
POSITION_LOCK_KEY = 0x6576_656E_7473  # "events"
NOTIFY_CHANNEL = "eventing_events"
# Both are also written into `eventing.append_events` (migration 0003), which uses them.

# On the driver connection (`RawStatement`): the statements of every command.
_APPEND = RawStatement(
    "SELECT stream_version, position FROM eventing.append_events($1, $2, $3, $4, $5, $6, $7,"
    " $8, $9)"
)
_READ_STREAM = RawStatement(
    "SELECT position, stream_id, stream_version, event_id, event_type, schema_version, topic,"
    " data, metadata, occurred_at, recorded_at FROM eventing.events"
    " WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version"
)
_WRONG_VERSION_STATE = "EV001"  # raised by append_events when the expectation fails


# Readers on a raw asyncpg connection (relay, rebuild): events after $1 in position order, at
# most $2, with `data` as text so it can be passed on without a decode and re-encode.
READ_ALL_RAW = """
SELECT position, stream_id, stream_version, event_id, event_type, schema_version, topic,
       data::text AS data, metadata, occurred_at, recorded_at
FROM eventing.events WHERE position > $1 ORDER BY position LIMIT $2
"""


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


AppendHook = Callable[[Sequence[RecordedEvent], AsyncConnection], Awaitable[None]]
"""Runs in the appending transaction, after the append statement, with the events as stored
(positions included; `recorded_at` is the store's clock, the row's own is the server's)."""


class EventStore:
    """Appends to and reads from `eventing.events` on one service database."""

    def __init__(self, engine: AsyncEngine, *, topic: str, clock: Clock | None = None) -> None:
        self.engine = engine
        self.topic = topic
        self.clock = clock or SystemClock()
        self._after_append: list[AppendHook] = []

    def after_append(self, hook: AppendHook) -> None:
        """Run `hook` in every append's transaction (e.g. a read model projected inline): an
        error in it rolls the append back. Register at wiring time, before the first append."""
        self._after_append.append(hook)

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
        append last in a transaction, since the position lock is held until commit. The events
        count in the business metrics once committed (`eventing.committed_events`).
        """
        if not new_events:
            raise ValueError("append needs at least one event")
        with tracing.appending(self.topic, stream_id, len(new_events)):
            if connection is not None:
                result = await self._append(connection, stream_id, new_events, expected_version)
                committed_events.appended(new_events, committed=False)
                return result
            if self._after_append:
                # The hooks must commit with the events: a transaction of its own.
                async with self.engine.begin() as own:
                    result = await self._append(own, stream_id, new_events, expected_version)
            else:
                # Alone, the append is one statement in its own implicit transaction: the
                # server commits right after the function, so the position lock is never held
                # across a client round trip (no BEGIN, no separate COMMIT).
                async with single_statements(self.engine) as alone:
                    result = await self._append(alone, stream_id, new_events, expected_version)
        committed_events.appended(new_events, committed=True)
        return result

    async def _append(
        self,
        connection: AsyncConnection,
        stream_id: str,
        new_events: Sequence[NewEvent],
        expected_version: ExpectedVersion,
    ) -> AppendResult:
        """One statement: `eventing.append_events` takes the position lock, claims the
        versions and inserts (migration 0003), so no client round trip sits inside the lock.
        The events store the trace context of the append's span (`eventing.tracing`)."""
        now = self.clock.now()
        trace = tracing.current_context()
        metadata = [tracing.stamped(event.metadata, trace) for event in new_events]
        params = {
            "stream_id": stream_id,
            "expected": _expected_argument(expected_version),
            "event_ids": [event.event_id for event in new_events],
            "event_types": [event.event_type for event in new_events],
            "schema_versions": [event.schema_version for event in new_events],
            "topics": [event.topic or self.topic for event in new_events],
            "data": [_json(event.data) for event in new_events],
            "metadata": [_json(stamped.to_json()) for stamped in metadata],
            "occurred_at": [event.occurred_at or now for event in new_events],
        }
        try:
            rows = await _APPEND.fetch(connection, *params.values())
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) == _WRONG_VERSION_STATE:
                actual = _actual_version(error)
                raise WrongExpectedVersion(stream_id, expected_version, actual) from error
            if isinstance(error, IntegrityError) and "events_stream_version_key" in str(error.orig):
                raise WrongExpectedVersion(stream_id, expected_version, -1) from error
            raise
        # RETURNING order is not promised by SQL; the versions say which position is whose.
        ordered = sorted((int(row[0]), int(row[1])) for row in rows)
        count = len(new_events)
        metrics.EVENTS_APPENDED.inc(count)
        result = AppendResult(
            stream_id,
            ordered[0][0],
            ordered[-1][0],
            tuple(position for _, position in ordered),
        )
        if self._after_append:
            stored = _as_stored(stream_id, new_events, metadata, params, ordered, now)
            for hook in self._after_append:
                await hook(stored, connection)
        return result

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
        if connection is not None:
            rows = await _READ_STREAM.fetch(connection, stream_id, from_version)
        else:
            async with self.engine.connect() as own:
                rows = await _READ_STREAM.fetch(own, stream_id, from_version)
        return [recorded_event(row) for row in rows]

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


def _as_stored(
    stream_id: str,
    new_events: Sequence[NewEvent],
    metadata: Sequence[EventMetadata],
    params: dict[str, Any],
    ordered: Sequence[tuple[int, int]],
    now: datetime,
) -> list[RecordedEvent]:
    """The appended events as a reader of `eventing.events` gets them, from the very values
    the append sent (stamped metadata, defaulted topic and time) and the positions it got."""
    return [
        RecordedEvent(
            position=position,
            stream_id=stream_id,
            stream_version=version,
            event_id=event.event_id,
            event_type=event.event_type,
            schema_version=event.schema_version,
            topic=topic,
            data=event.data,
            metadata=stamped,
            occurred_at=occurred_at,
            recorded_at=now,
        )
        for event, stamped, (version, position), topic, occurred_at in zip(
            new_events, metadata, ordered, params["topics"], params["occurred_at"], strict=True
        )
    ]


def _expected_argument(expected: ExpectedVersion) -> int:
    """`ExpectedVersion` as `append_events` takes it: -1 any, 0 no stream, n exactly n."""
    if expected is StreamState.ANY:
        return -1
    if expected is StreamState.NO_STREAM:
        return 0
    if expected < 0:
        raise ValueError(f"expected version must be >= 0, got {expected}")
    return expected


def _json(document: JsonObject) -> str:
    # Text for the jsonb[] parameter (SQLAlchemy's asyncpg jsonb codec takes JSON text).
    return json.dumps(dict(document), separators=(",", ":"), ensure_ascii=False)


def _actual_version(error: DBAPIError) -> int:
    """The stream's version that `append_events` reports in the EV001 error's DETAIL."""
    detail = getattr(error.orig.__cause__, "detail", None) if error.orig else None
    try:
        return int(detail) if detail is not None else -1
    except ValueError:
        return -1


class _Fields(Protocol):
    def __getitem__(self, key: str, /) -> Any: ...


def recorded_event(row: Row[Any] | _Fields) -> RecordedEvent:
    """A stored row of `eventing.events` (SQLAlchemy row or asyncpg record) as an event;
    `data` read as text (`READ_ALL_RAW`) stays text until used (`JsonText`)."""
    fields: _Fields = row._mapping if isinstance(row, Row) else row
    data = fields["data"]
    return RecordedEvent(
        position=fields["position"],
        stream_id=fields["stream_id"],
        stream_version=fields["stream_version"],
        event_id=fields["event_id"],
        event_type=fields["event_type"],
        schema_version=fields["schema_version"],
        topic=fields["topic"],
        data=JsonText(data) if isinstance(data, str) else data,
        metadata=EventMetadata.from_json(fields["metadata"]),
        occurred_at=fields["occurred_at"],
        recorded_at=fields["recorded_at"],
    )
