"""Benchmark 3, relay: how fast the outbox relay publishes a backlog of stored events.

Baseline: a raw aiokafka producer with the relay's settings (idempotent, acks=all, linger 5 ms)
sending the same records (same keys, values and CloudEvents headers) to a topic of the same
layout, with nothing but the sends in its way, in both of aiokafka's ways: one `send` per
record, and whole record batches per partition (`create_batch` / `send_batch`, as the relay
hands them over since 2026-12-03). The target is against the batches (the faster way); the
per-record sends, which issue 19 measured, are reported beside it.

The backlog holds the `order.placed` the service records (receiver sealed for the buyer); the
relay also publishes, in the same run, the same backlog with the receivers in clear (v1), so the
ratio is what sealing costs the relay (bigger records: it never opens them).
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder

from bench import payloads
from bench.figures import CLEAR_BASELINE, Figure, Target, sealing_cost
from bench.harness import (
    BenchInfra,
    Rate,
    best,
    scratch_database,
    scratch_topic,
    timed,
    until_reached,
)
from bench.loading import load_store
from bench.payloads import Placements
from eventing.encoding import OutgoingRecord, cloudevents_encoder
from eventing.relay import OutboxRelay, RelayOptions

SOURCE = "/orderflow/order"


async def run(infra: BenchInfra) -> list[Figure]:
    events = infra.size(full=200_000, quick=20_000)
    print(f"  backlog of {events:,} events (order.placed + order.paid per order)")
    sealed = Placements.for_orders(events // 2)
    clear = Placements(sealed.buyers, sealed=False)
    async with (
        scratch_database(infra, "relay") as dsn,
        scratch_database(infra, "relay_clear") as clear_dsn,
        scratch_topic(infra, "relay") as topic,
        scratch_topic(infra, "relay-clear") as clear_topic,
        scratch_topic(infra, "raw-producer") as raw_topic,
    ):
        loaded = await load_store(dsn, sealed.lifecycles("relay", events // 2), topic)
        await load_store(clear_dsn, clear.lifecycles("relay", events // 2), clear_topic)
        # The baseline runs before and after, and the better of the two counts: a burst of load
        # on a shared machine during one of them cannot flatter the relay.
        records = _same_records(raw_topic, loaded, sealed)
        sends = [await _raw_producer(infra.bootstrap, records)]
        batches = [await _raw_batches(infra.bootstrap, records)]
        ours = await _relay(dsn, infra.bootstrap, loaded, sealed.label)
        in_clear = await _relay(clear_dsn, infra.bootstrap, loaded, clear.label)
        batches.append(await _raw_batches(infra.bootstrap, records))
        sends.append(await _raw_producer(infra.bootstrap, records))
        raw_batches, raw_sends = best(*batches), best(*sends)
    return [
        Figure(f"relay publish of {loaded:,}, default options", ours.per_second, "events/s",
               "raw aiokafka producer, send_batch", raw_batches.per_second,
               Target("≥ 50% of raw", minimum_ratio=0.5)),
        Figure(f"relay publish of {loaded:,}, default options", ours.per_second, "events/s",
               "raw aiokafka producer, one send per record (issue 19's baseline)",
               raw_sends.per_second),
        sealing_cost(f"relay publish of {loaded:,}, {sealed.label}", ours.per_second,
                     in_clear.per_second, CLEAR_BASELINE),
    ]  # fmt: skip


async def _relay(dsn: str, bootstrap: str, backlog: int, shape: str) -> Rate:
    relay = OutboxRelay(dsn, bootstrap, cloudevents_encoder(SOURCE), RelayOptions())
    task: asyncio.Task[None] | None = None

    async def publish_backlog() -> None:
        nonlocal task
        task = asyncio.create_task(relay.run())
        await until_reached(lambda: relay.published, backlog)

    try:
        name = f"eventing OutboxRelay (batch {RelayOptions().batch_size}), {shape}"
        return await timed(name, backlog, publish_backlog)
    finally:
        relay.stop()
        if task is not None:
            await task


def _same_records(topic: str, count: int, placements: Placements) -> list[OutgoingRecord]:
    encode = cloudevents_encoder(SOURCE)
    rows = placements.lifecycles("relay", count // 2)
    return [encode(payloads.recorded(row, n + 1, topic)) for n, row in enumerate(rows)]


async def _raw_producer(bootstrap: str, records: list[OutgoingRecord]) -> Rate:

    async def send_all() -> None:
        producer = _raw_client(bootstrap)
        await producer.start()
        try:
            futures = [
                await producer.send(r.topic, r.value, key=r.key, headers=list(r.headers))
                for r in records
            ]
            await asyncio.gather(*futures)
        finally:
            await producer.stop()

    return await timed("raw AIOKafkaProducer (same settings)", len(records), send_all)


async def _raw_batches(bootstrap: str, records: list[OutgoingRecord]) -> Rate:
    """The same records as whole record batches: one builder open per partition, filled in
    order, handed over when full (the partition as `send` would choose it)."""

    async def send_all() -> None:
        producer = _raw_client(bootstrap)
        await producer.start()
        try:
            partitioner = DefaultPartitioner()
            topic = records[0].topic
            partitions = sorted(await producer.partitions_for(topic))
            open_batches: dict[int, BatchBuilder] = {}
            futures = []
            for r in records:
                partition = partitioner(r.key, partitions, partitions)
                batch = open_batches.get(partition)
                if batch is None:
                    batch = open_batches[partition] = producer.create_batch()
                headers = list(r.headers)
                if (
                    batch.append(timestamp=None, key=r.key, value=r.value, headers=headers)
                    is not None
                ):
                    continue
                futures.append(await producer.send_batch(batch, topic, partition=partition))
                batch = open_batches[partition] = producer.create_batch()
                batch.append(timestamp=None, key=r.key, value=r.value, headers=headers)
            for partition, batch in open_batches.items():
                futures.append(await producer.send_batch(batch, topic, partition=partition))
            await asyncio.gather(*futures)
        finally:
            await producer.stop()

    return await timed("raw AIOKafkaProducer, send_batch (same settings)", len(records), send_all)


def _raw_client(bootstrap: str) -> AIOKafkaProducer:
    """A producer with the relay's settings (`eventing.relay`'s `_Publisher`)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=10_000,
    )
