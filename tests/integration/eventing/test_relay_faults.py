"""The relay under faults: the broker stopped for a while, the relay process SIGKILLed, its
checkpoint write lost, PostgreSQL restarted. Nothing is lost, nothing is published twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from eventing.encoding import ConsumedEvent, cloudevents_encoder
from eventing.events import NewEvent, StreamState
from eventing.partitions import topic_partitions
from eventing.relay import OutboxRelay, RelayOptions
from eventing.store import EventStore
from eventing.testing.kafka import first_deliveries, read_topic, sequences_by_stream
from eventing.testing.waiting import eventually
from localinfra.testing import FaultInjector, InfraEndpoints

pytestmark = [pytest.mark.integration, pytest.mark.fault]

TopicFactory = Callable[..., Awaitable[str]]
# How long the broker stays down; the guarantee does not depend on it (try 60 by hand).
OUTAGE_SECONDS = float(os.environ.get("EVENTING_TEST_OUTAGE_SECONDS", "4"))
RELAY_WORKER = Path(__file__).with_name("_relay_worker.py")


async def test_events_appended_while_the_broker_is_down_are_all_published_in_order_after(
    database_url: str,
    engine: AsyncEngine,
    topic_factory: TopicFactory,
    infra: InfraEndpoints,
    fault_injector: FaultInjector,
) -> None:
    bootstrap: str = infra.kafka_bootstrap
    topic = await topic_factory(3)
    store = EventStore(engine, topic=topic)
    relay = OutboxRelay(
        database_url,
        bootstrap,
        cloudevents_encoder("/orderflow/test"),
        RelayOptions(poll_interval=0.2, retry_backoff=0.2, max_backoff=1.0),
    )
    task = asyncio.create_task(relay.run())
    try:
        await _append_round(store, 0)
        await read_topic(bootstrap, topic, until=lambda got: len(got) >= 10)

        await fault_injector.stop_kafka()
        rounds_during_outage = 0
        loop = asyncio.get_running_loop()
        outage_ends = loop.time() + OUTAGE_SECONDS
        while loop.time() < outage_ends or rounds_during_outage < 3:
            rounds_during_outage += 1
            await _append_round(store, rounds_during_outage)  # commands keep being accepted
            await asyncio.sleep(0.2)
        await fault_injector.start_kafka()

        total = 10 * (rounds_during_outage + 1)
        records = await read_topic(
            bootstrap, topic, until=lambda got: len(first_deliveries(got)) >= total, timeout=120
        )
    finally:
        relay.stop()
        await task

    for stream, sequences in sequences_by_stream(first_deliveries(records)).items():
        assert sequences == list(range(1, rounds_during_outage + 2)), stream
    assert {r.event_id for r in records} == {e.event_id for e in await store.read_all(limit=10**6)}


async def _append_round(store: EventStore, round_: int) -> None:
    for stream in range(10):
        await store.append(f"order-{stream}", [NewEvent("tick", {"n": round_})], StreamState.ANY)


async def test_a_relay_killed_mid_batch_loses_nothing_and_publishes_nothing_twice(
    database_url: str, engine: AsyncEngine, topic_factory: TopicFactory, infra: InfraEndpoints
) -> None:
    bootstrap: str = infra.kafka_bootstrap
    topic = await topic_factory(3)
    store = EventStore(engine, topic=topic)
    streams, per_stream = 20, 100
    for version in range(per_stream):
        await asyncio.gather(
            *(
                store.append(f"order-{s}", [NewEvent("tick", {"v": version})], StreamState.ANY)
                for s in range(streams)
            )
        )
    total = streams * per_stream

    worker = _start_worker(database_url, bootstrap, batch_size=50)
    try:
        await eventually(
            lambda: _checkpoint(engine), lambda p: p > 0, message="the relay publishes something"
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        killed_at = await _checkpoint(engine)
        assert killed_at < total, "the relay finished before it could be killed; use more events"

        worker = _start_worker(database_url, bootstrap, batch_size=50)
        await read_topic(
            bootstrap, topic, until=lambda got: len(first_deliveries(got)) >= total, timeout=120
        )
        await eventually(lambda: _checkpoint(engine), lambda p: p >= total, message="caught up")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    records = await _everything_on(bootstrap, topic)

    stored = {e.event_id: e for e in await store.read_all(limit=10**6)}
    assert sorted(str(r.event_id) for r in records) == sorted(str(i) for i in stored)
    for stream, sequences in sequences_by_stream(records).items():
        assert sequences == list(range(1, per_stream + 1)), stream


def _start_worker(database_url: str, bootstrap: str, batch_size: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(RELAY_WORKER), database_url, bootstrap, str(batch_size)]
    )


async def _checkpoint(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        position = await connection.scalar(
            text("SELECT coalesce(max(position), 0) FROM eventing.relay_checkpoints")
        )
    return int(position)


async def test_the_relay_resumes_publishing_after_postgres_restarts(
    database_url: str,
    engine: AsyncEngine,
    topic_factory: TopicFactory,
    infra: InfraEndpoints,
    fault_injector: FaultInjector,
) -> None:
    topic = await topic_factory(3)
    store = EventStore(engine, topic=topic)
    relay = OutboxRelay(
        database_url,
        infra.kafka_bootstrap,
        cloudevents_encoder("/orderflow/test"),
        RelayOptions(poll_interval=0.2, retry_backoff=0.2, max_backoff=1.0),
    )
    task = asyncio.create_task(relay.run())
    try:
        await _append_round(store, 0)
        await read_topic(infra.kafka_bootstrap, topic, until=lambda got: len(got) >= 10)

        await fault_injector.stop_postgres()
        await fault_injector.start_postgres()
        await _append_round(store, 1)
        records = await read_topic(
            infra.kafka_bootstrap, topic, until=lambda got: len(first_deliveries(got)) >= 20
        )
    finally:
        relay.stop()
        await task

    for stream, sequences in sequences_by_stream(first_deliveries(records)).items():
        assert sequences == [1, 2], stream


async def test_a_relay_whose_checkpoint_write_was_lost_does_not_publish_the_batch_again(
    database_url: str, engine: AsyncEngine, topic_factory: TopicFactory, infra: InfraEndpoints
) -> None:
    """Kafka acknowledged the batch, then the checkpoint write failed (PostgreSQL restarting,
    the process killed): the relay that leads next finds the batch on the topic."""
    topic = await topic_factory(3)
    store = EventStore(engine, topic=topic)
    options = RelayOptions(poll_interval=0.2, retry_backoff=0.2, max_backoff=1.0, batch_size=25)
    await _append_round(store, 0)
    await _append_round(store, 1)  # 20 events: one batch
    await _relay_until(database_url, engine, infra.kafka_bootstrap, options, topic, 20)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE eventing.relay_checkpoints SET position = 0"))

    await _append_round(store, 2)
    await _relay_until(database_url, engine, infra.kafka_bootstrap, options, topic, 30)
    records = await _everything_on(infra.kafka_bootstrap, topic)

    assert len(records) == 30
    for stream, sequences in sequences_by_stream(records).items():
        assert sequences == [1, 2, 3], stream


async def _relay_until(
    database_url: str,
    engine: AsyncEngine,
    bootstrap: str,
    options: RelayOptions,
    topic: str,
    published: int,
) -> None:
    """Run a relay until it has published and checkpointed the first `published` events."""
    relay = OutboxRelay(database_url, bootstrap, cloudevents_encoder("/orderflow/test"), options)
    task = asyncio.create_task(relay.run())
    try:
        await read_topic(
            bootstrap, topic, until=lambda got: len(first_deliveries(got)) >= published
        )
        await eventually(lambda: _checkpoint(engine), lambda p: p >= published,
                         message="the relay checkpointed what it published")  # fmt: skip
    finally:
        relay.stop()
        await task


async def _everything_on(bootstrap: str, topic: str) -> list[ConsumedEvent]:
    """Every record on the topic now, redeliveries included."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(await topic_partitions(bootstrap, [topic]))
    finally:
        await consumer.stop()
    total = sum(ends.values())
    return await read_topic(bootstrap, topic, until=lambda got: len(got) >= total)
