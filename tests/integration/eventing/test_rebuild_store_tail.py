"""A read model projected inline, rebuilt from its topic: what the relay had not yet published
comes from the store (after the relay's checkpoint), since no subscription covers it later."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing.codec import ContractsCodec
from eventing.encoding import ConsumedEvent
from eventing.events import NewEvent, RecordedEvent, StreamState
from eventing.rebuild import (
    ProjectionTables,
    StoreTail,
    TableNames,
    rebuild_from_topics,
    relay_checkpoint,
)
from eventing.store import EventStore
from eventing.testing.kafka import publish_records, synthetic_record
from localinfra.testing import InfraEndpoints

pytestmark = pytest.mark.integration

TopicFactory = Callable[..., Awaitable[str]]
ORDERS = 5
_UPSERT = (
    'INSERT INTO "{table}" AS t (order_id, total, version) VALUES (:id, :amount, :version)'
    " ON CONFLICT (order_id) DO UPDATE SET total = t.total + EXCLUDED.total,"
    " version = EXCLUDED.version WHERE t.version < EXCLUDED.version"
)


async def _add(
    stream_id: str, version: int, amount: int, connection: AsyncConnection, tables: TableNames
) -> None:
    statement = text(_UPSERT.format(table=tables["charged_totals"]))
    await connection.execute(statement, {"id": stream_id, "amount": amount, "version": version})


async def _consumed(event: ConsumedEvent, connection: AsyncConnection, tables: TableNames) -> None:
    await _add(event.stream_id, event.sequence, event.data["amount"], connection, tables)


async def _stored(event: RecordedEvent, connection: AsyncConnection, tables: TableNames) -> None:
    await _consumed(ContractsCodec().consumed_from_recorded(event), connection, tables)


async def _totals(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT order_id, total FROM charged_totals"))
        return {row.order_id: row.total for row in rows}


@pytest.fixture
async def published_up_to_the_checkpoint(
    engine: AsyncEngine, store: EventStore, topic_factory: TopicFactory, infra: InfraEndpoints
) -> str:
    """Three charges per order appended and on the topic, the relay's checkpoint after them;
    a fourth per order appended since, not published yet."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE TABLE charged_totals (order_id text PRIMARY KEY, total bigint NOT NULL,"
                " version bigint NOT NULL)"
            )
        )
    topic = await topic_factory(3)
    for n in range(ORDERS):
        charges = [NewEvent("order.charged", {"amount": 5}) for _ in range(3)]
        await store.append(f"order-{n}", charges, StreamState.NO_STREAM)
    records = [
        synthetic_record(topic, f"order-{n}", seq, {"amount": 5})
        for n in range(ORDERS)
        for seq in range(1, 4)
    ]
    await publish_records(infra.kafka_bootstrap, records)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO eventing.relay_checkpoints (relay, position, updated_at)"
                " SELECT 'toy', max(position), now() FROM eventing.events"
            )
        )
    for n in range(ORDERS):
        await store.append(f"order-{n}", [NewEvent("order.charged", {"amount": 5})], 3)
    return topic


async def test_the_store_tail_adds_what_the_relay_had_not_published(
    engine: AsyncEngine,
    store: EventStore,
    published_up_to_the_checkpoint: str,
    infra: InfraEndpoints,
) -> None:
    checkpoint = await relay_checkpoint(engine)
    assert checkpoint == 3 * ORDERS
    tail = StoreTail(store, ProjectionTables(("charged_totals",), _stored), checkpoint)

    await rebuild_from_topics(
        engine,
        infra.kafka_bootstrap,
        [published_up_to_the_checkpoint],
        ProjectionTables(("charged_totals",), _consumed),
        store_tail=tail,
    )

    assert await _totals(engine) == {f"order-{n}": 20 for n in range(ORDERS)}


async def test_without_the_store_tail_the_unpublished_events_are_missing(
    engine: AsyncEngine, published_up_to_the_checkpoint: str, infra: InfraEndpoints
) -> None:
    await rebuild_from_topics(
        engine,
        infra.kafka_bootstrap,
        [published_up_to_the_checkpoint],
        ProjectionTables(("charged_totals",), _consumed),
    )

    assert await _totals(engine) == {f"order-{n}": 15 for n in range(ORDERS)}
