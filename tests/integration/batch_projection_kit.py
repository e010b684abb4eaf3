"""The kit of the batch-projector equality tests: one stream of consumed events applied event by
event into one copy of a read model's tables and in random batches into another, then the two
copies compared column by column (as text, so a JSON `null` and an SQL NULL differ)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.events.base import EventPayload
from eventing.codec import ContractsCodec
from eventing.database import create_engine
from eventing.encoding import ConsumedEvent
from eventing.events import EventMetadata, RecordedEvent
from eventing.rebuild import BatchProjector, ProjectionTables, Projector, TableNames

_CODEC = ContractsCodec()
T0 = datetime(2026, 11, 11, 3, 0, tzinfo=UTC)
Scenario = Callable[[Random], list[ConsumedEvent]]


@contextlib.asynccontextmanager
async def table_copies(dsn: str, order_by: dict[str, str]) -> AsyncIterator[TableCopies]:
    """`TableCopies` of the tables in `order_by` on the migrated database `dsn`."""
    engine = create_engine(dsn)
    try:
        copies = TableCopies(engine, order_by)
        await copies.create()
        yield copies
    finally:
        await engine.dispose()


def consumed(payload: EventPayload, version: int, at: datetime, position: int) -> ConsumedEvent:
    """`payload` as version `version` of its order's stream, consumed as the relay publishes it."""
    new = _CODEC.encode(payload, EventMetadata(actor="system"), occurred_at=at)
    recorded = RecordedEvent(
        position=position,
        stream_id=payload.order_id,
        stream_version=version,
        event_id=new.event_id,
        event_type=new.event_type,
        schema_version=new.schema_version,
        topic=payload.producer.value,
        data=new.data,
        metadata=new.metadata,
        occurred_at=at,
        recorded_at=at,
    )
    return _CODEC.consumed_from_recorded(recorded)


EventMaker = Callable[[str, datetime, Random], EventPayload]  # (order_id, when, random) -> event


def random_delivery(random: Random, make: EventMaker, *, most_events: int) -> list[ConsumedEvent]:
    """One to four orders' streams of one to `most_events` events each (`make` picks each
    event), delivered as Kafka would (`delivered_as_kafka_would`)."""
    streams: list[list[ConsumedEvent]] = []
    position = 0
    for order in range(random.randint(1, 4)):
        stream = []
        for version in range(1, random.randint(1, most_events) + 1):
            position += 1
            at = T0 + timedelta(minutes=position)
            stream.append(consumed(make(f"ord-{order}", at, random), version, at, position))
        streams.append(stream)
    return delivered_as_kafka_would(streams, random, redeliveries=random.randint(0, 3))


def delivered_as_kafka_would(
    streams: Sequence[Sequence[ConsumedEvent]], random: Random, redeliveries: int
) -> list[ConsumedEvent]:
    """The streams interleaved (each in its own order, as one partition keeps them), with
    `redeliveries` runs of already delivered events delivered again later (a consumer that
    restarted before committing its offsets)."""
    pending = [list(stream) for stream in streams if stream]
    delivered: list[ConsumedEvent] = []
    while pending:
        stream = random.choice(pending)
        delivered.append(stream.pop(0))
        if not stream:
            pending.remove(stream)
    for _ in range(redeliveries):
        start = random.randrange(len(delivered))
        again = delivered[start : start + random.randint(1, 4)]
        at = random.randint(start + len(again), len(delivered))
        delivered[at:at] = again
    return delivered


def random_batches(events: Sequence[ConsumedEvent], random: Random) -> list[list[ConsumedEvent]]:
    """`events` cut into consecutive batches of random sizes (one to all of them)."""
    batches: list[list[ConsumedEvent]] = []
    start = 0
    while start < len(events):
        size = random.choice([1, 2, 3, 5, 8, len(events)])
        batches.append(list(events[start : start + size]))
        start += size
    return batches


async def assert_batches_match_one_by_one(
    copies: TableCopies, model: ProjectionTables[ConsumedEvent], scenario: Scenario, seeds: int
) -> int:
    """For each seed, `scenario`'s events applied one by one with `model`'s projector and in
    random batches with its batch projector leave the same rows; the rows they left in all."""
    assert model.batch_projector is not None
    written = 0
    for seed in range(seeds):
        random = Random(seed)
        events = scenario(random)
        await copies.empty()
        await copies.apply_one_by_one(model.projector, events)
        await copies.apply_in_batches(model.batch_projector, random_batches(events, random))
        written += await copies.assert_equal(f"seed {seed}")
    return written


@dataclass(frozen=True)
class TableCopies:
    """Two copies of a read model's tables (`<table>__one`, `<table>__batch`) with the live
    tables' columns, keys and indexes, and how to order each table's rows to compare them."""

    engine: AsyncEngine
    order_by: dict[str, str]  # table -> ORDER BY clause

    def names(self, copy: str) -> TableNames:
        return {table: f"{table}__{copy}" for table in self.order_by}

    async def create(self) -> None:
        async with self.engine.begin() as connection:
            for copy in ("one", "batch"):
                for live, name in self.names(copy).items():
                    await connection.execute(
                        text(f'CREATE TABLE "{name}" (LIKE "{live}" INCLUDING ALL)')
                    )

    async def empty(self) -> None:
        names = [*self.names("one").values(), *self.names("batch").values()]
        async with self.engine.begin() as connection:
            quoted = ", ".join(f'"{name}"' for name in names)
            await connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY"))

    async def apply_one_by_one(
        self, projector: Projector[ConsumedEvent], events: Sequence[ConsumedEvent]
    ) -> None:
        for event in events:
            async with self.engine.begin() as connection:
                await projector(event, connection, self.names("one"))

    async def apply_in_batches(
        self, projector: BatchProjector[ConsumedEvent], batches: Sequence[Sequence[ConsumedEvent]]
    ) -> None:
        for batch in batches:
            async with self.engine.begin() as connection:
                await projector(batch, connection, self.names("batch"))

    async def contents(self, copy: str) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table of `copy`, each column as text, the identity key left out
        (a conflicting insert draws a number too, so the keys differ by design)."""
        tables: dict[str, list[tuple[Any, ...]]] = {}
        async with self.engine.connect() as connection:
            for live, name in self.names(copy).items():
                columns = await connection.scalars(
                    text(
                        "SELECT column_name FROM information_schema.columns"
                        " WHERE table_name = :table AND is_identity = 'NO'"
                        " ORDER BY ordinal_position"
                    ),
                    {"table": name},
                )
                shown = ", ".join(f'"{column}"::text' for column in columns)
                rows = await connection.execute(
                    text(f'SELECT {shown} FROM "{name}" ORDER BY {self.order_by[live]}')
                )
                tables[live] = [tuple(row) for row in rows]
        return tables

    async def assert_equal(self, scenario: str) -> int:
        """Both copies hold the same rows; how many rows that is."""
        one_by_one, batched = await self.contents("one"), await self.contents("batch")
        assert batched == one_by_one, scenario
        return sum(len(rows) for rows in one_by_one.values())
