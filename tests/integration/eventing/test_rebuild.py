"""Projection rebuild into shadow tables with an atomic swap, while the live model serves."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from contracts.parties import Service
from eventing.encoding import ConsumedEvent
from eventing.events import NewEvent, RecordedEvent, StreamState
from eventing.projections import Projection
from eventing.rebuild import (
    ProjectionTables,
    RebuildProgress,
    TableNames,
    rebuild_from_store,
    rebuild_from_topics,
)
from eventing.store import EventStore
from eventing.testing.kafka import publish_records, synthetic_record
from localinfra.testing import InfraEndpoints

pytestmark = pytest.mark.integration

TopicFactory = Callable[..., Awaitable[str]]
_UPSERT = (
    'INSERT INTO "{table}" AS t (order_id, total, version) VALUES (:id, :amount, :version)'
    " ON CONFLICT (order_id) DO UPDATE SET total = t.total + EXCLUDED.total,"
    " version = EXCLUDED.version WHERE t.version < EXCLUDED.version"
)


async def add_to_total(
    stream_id: str, version: int, amount: int, connection: AsyncConnection, tables: TableNames
) -> None:
    await connection.execute(
        text(_UPSERT.format(table=tables["order_totals"])),
        {"id": stream_id, "amount": amount, "version": version},
    )


async def project_stored(
    event: RecordedEvent, connection: AsyncConnection, tables: TableNames
) -> None:
    await add_to_total(
        event.stream_id, event.stream_version, event.data["amount"], connection, tables
    )


async def project_consumed(
    event: ConsumedEvent, connection: AsyncConnection, tables: TableNames
) -> None:
    await add_to_total(event.stream_id, event.sequence, event.data["amount"], connection, tables)


@pytest.fixture
async def live_table(engine: AsyncEngine) -> AsyncEngine:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE TABLE order_totals (order_id text PRIMARY KEY, total bigint NOT NULL,"
                " version bigint NOT NULL)"
            )
        )
        await connection.execute(
            text("CREATE INDEX order_totals_total_idx ON order_totals (total)")
        )
        await connection.execute(text("INSERT INTO order_totals VALUES ('stale', 999, 1)"))
    return engine


async def totals(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT order_id, total FROM order_totals"))
        return {row.order_id: row.total for row in rows}


async def _append_orders(store: EventStore, orders: int, per_order: int) -> None:
    for order in range(orders):
        await store.append(
            f"order-{order}",
            [NewEvent("order.charged", {"amount": 10}) for _ in range(per_order)],
            StreamState.ANY,
        )


async def test_a_rebuild_replaces_the_read_model_with_one_folded_from_every_event(
    live_table: AsyncEngine, store: EventStore
) -> None:
    await _append_orders(store, orders=20, per_order=5)
    reports: list[RebuildProgress] = []

    applied = await rebuild_from_store(
        store, ProjectionTables(("order_totals",), project_stored), batch_size=30,
        progress=reports.append,
    )  # fmt: skip

    assert applied == 100
    assert await totals(live_table) == {f"order-{n}": 50 for n in range(20)}
    assert [r.processed for r in reports] == [30, 60, 90, 100]
    assert reports[-1].total == 100
    assert reports[-1].eta_seconds == 0
    assert all(r.rate_per_second > 0 for r in reports)


async def test_readers_are_served_throughout_and_events_appended_meanwhile_are_included(
    live_table: AsyncEngine, store: EventStore
) -> None:
    await _append_orders(store, orders=50, per_order=4)
    reads = 0
    rebuilding = True

    async def read_continuously() -> None:
        nonlocal reads
        while rebuilding:
            await totals(live_table)  # never fails, never sees a missing table
            reads += 1
            await asyncio.sleep(0)

    async def append_meanwhile() -> None:
        for n in range(20):
            await store.append("late", [NewEvent("order.charged", {"amount": 1})], StreamState.ANY)
            await asyncio.sleep(0.001 * n)

    reader = asyncio.create_task(read_continuously())
    model = ProjectionTables(("order_totals",), project_stored)
    await asyncio.gather(rebuild_from_store(store, model, batch_size=20), append_meanwhile())
    await rebuild_from_store(store, model)  # and again: names left by the swap are reusable
    rebuilding = False
    await reader

    result = await totals(live_table)
    assert reads > 0
    assert result["late"] == 20
    assert {k: v for k, v in result.items() if k != "late"} == {f"order-{n}": 40 for n in range(50)}


async def test_a_read_model_can_be_rebuilt_from_a_topic(
    live_table: AsyncEngine, topic_factory: TopicFactory, infra: InfraEndpoints
) -> None:
    topic = await topic_factory(3)
    records = [
        synthetic_record(topic, f"order-{n}", seq, {"amount": 5})
        for n in range(10)
        for seq in range(1, 4)
    ]
    await publish_records(infra.kafka_bootstrap, records)

    applied = await rebuild_from_topics(
        live_table,
        infra.kafka_bootstrap,
        [topic],
        ProjectionTables(("order_totals",), project_consumed),
    )

    assert applied == 30
    assert await totals(live_table) == {f"order-{n}": 15 for n in range(10)}


async def _not_called(event: object, connection: AsyncConnection, tables: TableNames) -> None:
    raise AssertionError("the batch projector should have been used")


class StoredBatches:
    """A batch projector over stored events; remembers the size of every page it got."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    async def __call__(
        self, events: Sequence[RecordedEvent], connection: AsyncConnection, tables: TableNames
    ) -> None:
        self.sizes.append(len(events))
        for event in events:
            await project_stored(event, connection, tables)


async def test_a_batch_projector_gets_the_store_page_by_page_in_position_order(
    live_table: AsyncEngine, store: EventStore
) -> None:
    await _append_orders(store, orders=20, per_order=5)
    batches = StoredBatches()

    applied = await rebuild_from_store(
        store, ProjectionTables(("order_totals",), _not_called, batches), batch_size=30
    )

    assert applied == 100
    assert batches.sizes == [30, 30, 30, 10]
    assert await totals(live_table) == {f"order-{n}": 50 for n in range(20)}


async def test_a_projections_batch_projector_also_serves_a_rebuild_from_the_store(
    live_table: AsyncEngine, store: EventStore
) -> None:
    await _append_orders(store, orders=10, per_order=3)
    seen: list[ConsumedEvent] = []

    async def project_batch(
        events: Sequence[ConsumedEvent], connection: AsyncConnection, tables: TableNames
    ) -> None:
        seen.extend(events)
        for event in events:
            await project_consumed(event, connection, tables)

    projection = Projection(
        "order-totals", "totals per order",
        ProjectionTables(("order_totals",), _not_called, project_batch), (Service.ORDER,),
    )  # fmt: skip

    applied = await rebuild_from_store(store, projection.from_store())

    assert applied == 30
    assert await totals(live_table) == {f"order-{n}": 30 for n in range(10)}
    assert [e.offset for e in seen] == sorted(e.offset for e in seen)  # offset = position
    assert {e.partition for e in seen} == {-1}


async def test_a_batch_projector_serves_a_rebuild_from_topics(
    live_table: AsyncEngine, topic_factory: TopicFactory, infra: InfraEndpoints
) -> None:
    topic = await topic_factory(3)
    records = [synthetic_record(topic, f"order-{n}", 1, {"amount": 7}) for n in range(12)]
    await publish_records(infra.kafka_bootstrap, records)
    sizes: list[int] = []

    async def project_batch(
        events: Sequence[ConsumedEvent], connection: AsyncConnection, tables: TableNames
    ) -> None:
        sizes.append(len(events))
        for event in events:
            await project_consumed(event, connection, tables)

    applied = await rebuild_from_topics(
        live_table,
        infra.kafka_bootstrap,
        [topic],
        ProjectionTables(("order_totals",), _not_called, project_batch),
    )

    assert applied == sum(sizes) == 12
    assert await totals(live_table) == {f"order-{n}": 7 for n in range(12)}


async def test_a_rebuild_from_a_position_applies_only_the_later_events(
    live_table: AsyncEngine, store: EventStore
) -> None:
    await _append_orders(store, orders=4, per_order=5)
    after = (await store.read_all(limit=10))[-1].position  # orders 0 and 1

    applied = await rebuild_from_store(
        store, ProjectionTables(("order_totals",), project_stored), after_position=after
    )

    assert applied == 10
    assert await totals(live_table) == {"order-2": 50, "order-3": 50}


class _StoreFromOrderTwo(EventStore):
    """A store that narrows `read_all`, as orderctl's rebuild from a position does."""

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        events = await super().read_all(after_position, limit)
        while events and events[0].stream_id in ("order-0", "order-1"):
            events = await super().read_all(events[-1].position, limit)
        return events


async def test_a_store_that_narrows_read_all_is_read_through_it(
    live_table: AsyncEngine, store: EventStore
) -> None:
    await _append_orders(store, orders=4, per_order=5)
    narrowed = _StoreFromOrderTwo(store.engine, topic=store.topic)

    applied = await rebuild_from_store(
        narrowed, ProjectionTables(("order_totals",), project_stored), batch_size=5
    )

    assert applied == 10
    assert await totals(live_table) == {"order-2": 50, "order-3": 50}
