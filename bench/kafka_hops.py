"""The baseline of benchmark 6: the same path as payment → shipment, with no framework.

A payment reaches the logistics read model through two Kafka hops (the order relay publishes
`order.paid`; logistics records the shipment request and its relay publishes it; the logistics
read-model subscription writes the row). The baseline does just that with raw aiokafka and
asyncpg: a producer (idempotent, acks=all, as the relay) writes a record of the same size to
topic A, a consumer group forwards each record to topic B, another consumer group INSERTs a row
per record, and the same watcher times from the producer's acknowledgement to the row.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench import payloads
from bench.harness import BenchInfra, scratch_database, scratch_topic
from bench.pacing import Watcher, paced

VISIBLE = "SELECT order_id FROM raw_shipments WHERE order_id = ANY($1::text[])"


def _producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )


def _consumer(bootstrap: str, topic: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench.hops.{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )


async def _forward(consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, topic: str) -> None:
    while True:
        batches = await consumer.getmany(timeout_ms=500)
        for records in batches.values():
            for record in records:
                await producer.send_and_wait(topic, record.value, key=record.key)
        if batches:
            await consumer.commit()


async def _sink(consumer: AIOKafkaConsumer, connection: asyncpg.Connection) -> None:
    while True:
        batches = await consumer.getmany(timeout_ms=500)
        rows = [(r.key.decode(),) for records in batches.values() for r in records if r.key]
        if rows:
            async with connection.transaction():
                await connection.executemany("INSERT INTO raw_shipments VALUES ($1)", rows)
            await consumer.commit()


@asynccontextmanager
async def _pipeline(infra: BenchInfra, dsn: str) -> AsyncIterator[tuple[AIOKafkaProducer, str]]:
    """Topic A → forwarder → topic B → sink into `raw_shipments`; yields A's producer."""
    async with (
        scratch_topic(infra, "hops-a", 3) as first,
        scratch_topic(infra, "hops-b", 3) as second,
    ):
        connection = await asyncpg.connect(dsn)
        await connection.execute("CREATE TABLE raw_shipments (order_id text PRIMARY KEY)")
        producer, forwarder = _producer(infra.bootstrap), _producer(infra.bootstrap)
        forwarding, sinking = _consumer(infra.bootstrap, first), _consumer(infra.bootstrap, second)
        for client in (producer, forwarder, forwarding, sinking):
            await client.start()
        tasks = [
            asyncio.create_task(_forward(forwarding, forwarder, second)),
            asyncio.create_task(_sink(sinking, connection)),
        ]
        try:
            yield producer, first
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for client in (producer, forwarder, forwarding, sinking):
                await client.stop()
            await connection.close()


async def raw_delays(infra: BenchInfra, rate: float, seconds: float) -> Watcher:
    """Pace records through the raw pipeline at `rate`/s for `seconds`; the watcher's delays."""
    async with scratch_database(infra, "hops") as dsn, _pipeline(infra, dsn) as (producer, topic):
        value = payloads.PLACED_BYTES * b"x"
        warmup = f"warmup-{uuid.uuid4().hex}"
        await producer.send_and_wait(topic, value, key=warmup.encode())
        ready = Watcher(dsn, VISIBLE)
        ready.acknowledged(warmup)  # both groups have joined once this record shows up
        await ready.watch(_set_event())
        watcher = Watcher(dsn, VISIBLE)

        async def act(n: int) -> str:
            key = f"O-hops-{n:08d}"
            await producer.send_and_wait(topic, value, key=key.encode())
            return key

        await paced(rate, seconds, act, watcher)
        return watcher


def _set_event() -> asyncio.Event:
    event = asyncio.Event()
    event.set()
    return event
