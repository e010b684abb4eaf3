"""The outbox relay on the real PostgreSQL and Kafka: order, completeness, leadership."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.examples import example_payloads
from contracts.kafka_binding import from_kafka
from eventing.codec import ContractsCodec
from eventing.encoding import cloudevents_encoder
from eventing.events import EventMetadata, NewEvent, StreamState
from eventing.relay import OutboxRelay, RelayOptions
from eventing.store import EventStore
from eventing.testing.kafka import first_deliveries, read_topic, sequences_by_stream
from eventing.testing.waiting import eventually
from localinfra.testing import InfraEndpoints

pytestmark = pytest.mark.integration

TopicFactory = Callable[..., Awaitable[str]]
WRITER_ROUNDS = 30
WRITERS = 8


def make_relay(database_url: str, bootstrap: str) -> OutboxRelay:
    settings = RelayOptions(poll_interval=0.2, standby_interval=0.2, retry_backoff=0.2)
    return OutboxRelay(database_url, bootstrap, cloudevents_encoder("/orderflow/test"), settings)


@pytest.fixture
async def topic(topic_factory: TopicFactory) -> str:
    return await topic_factory(3)


@pytest.fixture
async def relay(database_url: str, infra: InfraEndpoints) -> AsyncIterator[OutboxRelay]:
    relay = make_relay(database_url, infra.kafka_bootstrap)
    task = asyncio.create_task(relay.run())
    yield relay
    relay.stop()
    await task


async def _append_slowly(store: EventStore, engine: AsyncEngine, stream: str, n: int) -> None:
    """Append in a transaction that stays open a random while after taking its position."""
    async with engine.begin() as connection:
        await store.append(
            stream, [NewEvent("tick", {"n": n})], StreamState.ANY, connection=connection
        )
        await asyncio.sleep(random.uniform(0, 0.02))


async def test_a_tailing_reader_never_misses_a_transaction_that_commits_late(
    engine: AsyncEngine,
) -> None:
    store = EventStore(engine, topic="unused")
    seen: list[int] = []
    writing = True

    async def tail() -> None:
        checkpoint = 0
        while writing or checkpoint < await store.head_position():
            for event in await store.read_all(after_position=checkpoint):
                seen.append(event.data["n"])
                checkpoint = event.position
            await asyncio.sleep(0.001)

    reader = asyncio.create_task(tail())
    for round_ in range(WRITER_ROUNDS):
        await asyncio.gather(
            *(_append_slowly(store, engine, f"s{w}", round_ * WRITERS + w) for w in range(WRITERS))
        )
    writing = False
    await reader

    assert sorted(seen) == list(range(WRITER_ROUNDS * WRITERS))


async def test_concurrent_writers_events_are_all_published_in_stream_order(
    engine: AsyncEngine, topic: str, relay: OutboxRelay, infra: InfraEndpoints
) -> None:
    store = EventStore(engine, topic=topic)
    for round_ in range(WRITER_ROUNDS):
        await asyncio.gather(
            *(_append_slowly(store, engine, f"s{w}", round_) for w in range(WRITERS))
        )
    total = WRITER_ROUNDS * WRITERS

    records = await read_topic(
        infra.kafka_bootstrap,
        topic,
        until=lambda got: len(first_deliveries(got)) >= total,
    )

    assert len(first_deliveries(records)) == total
    for stream, sequences in sequences_by_stream(first_deliveries(records)).items():
        assert sequences == list(range(1, WRITER_ROUNDS + 1)), stream


async def test_published_records_carry_cloudevents_headers_and_the_stream_as_key(
    store: EventStore, topic: str, relay: OutboxRelay, infra: InfraEndpoints
) -> None:
    event = NewEvent("order.placed", {"order_id": "o-1", "total": 100}, topic=topic)
    await store.append("o-1", [event], StreamState.NO_STREAM)

    [record] = await read_topic(infra.kafka_bootstrap, topic, until=lambda got: len(got) >= 1)

    assert record.key == b"o-1"
    assert record.data == {"order_id": "o-1", "total": 100}
    assert record.event_id == event.event_id
    assert (record.event_type, record.stream_id, record.sequence) == ("order.placed", "o-1", 1)
    assert record.attributes["specversion"] == "1.0"
    assert record.attributes["source"] == "/orderflow/test"
    assert ("content-type", b"application/json") in record.headers


async def test_the_relay_publishes_the_stored_payload_text_and_contracts_read_it(
    database_url: str, store: EventStore, engine: AsyncEngine, topic: str, infra: InfraEndpoints
) -> None:
    payload = example_payloads()["order.placed"]
    encoder = cloudevents_encoder(payload.producer.source)
    relay = OutboxRelay(database_url, infra.kafka_bootstrap, encoder, RelayOptions())
    task = asyncio.create_task(relay.run())
    event = ContractsCodec().encode(payload, EventMetadata(actor="buyer"))
    await store.append(payload.order_id, [replace(event, topic=topic)], StreamState.NO_STREAM)
    async with engine.connect() as connection:
        stored = await connection.scalar(
            text("SELECT data::text FROM eventing.events WHERE event_id = :id"),
            {"id": event.event_id},
        )

    try:
        [record] = await read_topic(infra.kafka_bootstrap, topic, until=lambda got: len(got) >= 1)
    finally:
        relay.stop()
        await task

    assert record.value == stored.encode()  # passed on, not decoded and encoded again
    envelope = from_kafka(record.key, record.value, record.headers)
    assert (envelope.data, envelope.id) == (payload, event.event_id)


async def test_only_one_of_two_relays_publishes_and_the_other_takes_over_when_it_dies(
    database_url: str, engine: AsyncEngine, topic: str, infra: InfraEndpoints
) -> None:
    bootstrap: str = infra.kafka_bootstrap
    store = EventStore(engine, topic=topic)
    relays = [make_relay(database_url, bootstrap) for _ in range(2)]
    tasks = [asyncio.create_task(relay.run()) for relay in relays]
    try:
        await eventually(
            lambda: _leaders(relays), lambda n: n == 1, message="exactly one relay leads"
        )
        await store.append("a", [NewEvent("tick", {"n": n}) for n in range(50)], 0)
        await read_topic(bootstrap, topic, until=lambda got: len(got) >= 50)
        await eventually(lambda: _published(relays), lambda n: n == 50, message="checkpointed")
        [leader] = [relay for relay in relays if relay.is_leader]
        [standby] = [relay for relay in relays if not relay.is_leader]
        assert (leader.published, standby.published) == (50, 0)

        tasks[relays.index(leader)].cancel()  # the leader's process dies ...
        await _kill_leader_connection(engine)  # ... and with it its session
        await eventually(
            lambda: _leaders([standby]), lambda n: n == 1, message="the standby takes over"
        )
        await store.append("a", [NewEvent("tick", {"n": n}) for n in range(50, 80)], 50)
        records = await read_topic(bootstrap, topic, until=lambda got: len(got) >= 80)
        await eventually(lambda: _published([standby]), lambda n: n == 30, message="standby")
    finally:
        for relay in relays:
            relay.stop()
        await asyncio.gather(*tasks, return_exceptions=True)

    assert [r.data["n"] for r in records] == list(range(80))
    assert standby.published == 30


async def _published(relays: list[OutboxRelay]) -> int:
    return sum(relay.published for relay in relays)


async def _leaders(relays: list[OutboxRelay]) -> int:
    return sum(relay.is_leader for relay in relays)


async def _kill_leader_connection(engine: AsyncEngine) -> None:
    """Terminate the backend holding the relay lock, as if its process had died."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks"
                " WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
            )
        )
