"""Benchmark 4, subscription catch-up: a backlog on a topic applied into a read model.

Baselines: a raw aiokafka consumer reading the same topic in a consumer group (no database),
and a naive projector that applies each event in its own transaction with its offset.

The topic holds the `order.placed` the service records (receiver sealed for the buyer). In the
same run the batch handler also catches up on the same backlog with the receivers in clear
(v1), and on the sealed backlog while opening every receiver (`readmodel.LabelOpener`, as a
logistics label view would), so the ratios are what sealing costs a consumer that only reads
the clear fields, and what opening costs one that needs the receiver.
"""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import payloads, readmodel
from bench.buyers import BuyerKeys
from bench.figures import CLEAR_BASELINE, NOT_OPENING_BASELINE, Figure, Target, sealing_cost
from bench.harness import (
    BenchInfra,
    Rate,
    best,
    scratch_database,
    scratch_topic,
    timed,
    until_reached,
)
from bench.loading import fill_topic
from bench.payloads import Placements
from eventing.data_keys import PersonalData
from eventing.database import create_engine
from eventing.dead_letters import dead_letter_topic
from eventing.encoding import cloudevents_encoder, decode_record
from eventing.subscriptions import BatchHandler, Handler, Subscription, SubscriptionOptions
from eventing.topics import connect_admin

NAIVE_TABLE = "order_summaries_naive"


async def run(infra: BenchInfra) -> list[Figure]:
    events = infra.size(full=200_000, quick=20_000)
    naive_events = infra.size(full=5_000, quick=1_500)
    print(f"  {events:,} events on a 12-partition topic (naive projector: {naive_events:,})")
    sealed = Placements.for_orders(events // 2)
    clear = Placements(sealed.buyers, sealed=False)
    keys = BuyerKeys(sealed.buyers)
    opener = readmodel.LabelOpener(PersonalData(keys))
    async with (
        scratch_database(infra, "subscription") as dsn,
        scratch_topic(infra, "sub") as topic,
        scratch_topic(infra, "sub-clear") as clear_topic,
    ):
        await _fill(infra, topic, sealed, events)
        await _fill(infra, clear_topic, clear, events)
        # The baseline runs before and after, and the better of the two counts (see relay).
        raw_before = await _raw_consume(infra.bootstrap, topic, events)
        batch = readmodel.apply_consumed, readmodel.apply_consumed_batch
        # Sealed, clear, clear, sealed: each shape keeps its better run (see rebuild).
        sealed_runs = [await _subscription(infra, dsn, topic, events, "batch handler", *batch)]
        batched_content = await readmodel.digest(dsn)
        clear_runs = [
            await _subscription(
                infra, dsn, clear_topic, events, f"batch handler, {clear.label}", *batch
            )
            for _ in range(2)
        ]
        sealed_runs.append(await _subscription(infra, dsn, topic, events, "batch handler", *batch))
        ours, in_clear = best(*sealed_runs), best(*clear_runs)
        opening = await _subscription(
            infra, dsn, topic, events, "batch handler, opening every receiver",
            opener.apply_consumed, opener.apply_consumed_batch,
        )  # fmt: skip
        per_event = await _subscription(
            infra, dsn, topic, events, "one statement per event", readmodel.apply_consumed, None
        )
        if await readmodel.digest(dsn) != batched_content:
            raise RuntimeError("the handlers (batched, per event, clear, opening) disagree")
        if opener.opened < events // 2:
            raise RuntimeError(f"opened {opener.opened} receivers, expected {events // 2}")
        raw = best(raw_before, await _raw_consume(infra.bootstrap, topic, events))
        naive = await _naive(infra.bootstrap, dsn, topic, naive_events)
    misses = f"{keys.misses:,} key-cache misses (unwraps) for {opener.opened:,} receivers"
    label = f"catch-up of {events:,} into a read model, batch handler"
    per_event_label = f"catch-up of {events:,}, one statement per event (no batch handler)"
    return [
        Figure(label, ours.per_second, "events/s", "raw aiokafka consume", raw.per_second,
               Target("≥ 30% of raw", minimum_ratio=0.3)),
        Figure(label, ours.per_second, "events/s",
               f"naive projector, 1 tx/event ({naive_events:,})", naive.per_second,
               Target("≥ 10× naive", minimum_ratio=10.0)),
        Figure(per_event_label, per_event.per_second, "events/s",
               f"naive projector, 1 tx/event ({naive_events:,})", naive.per_second),
        sealing_cost(f"catch-up of {events:,}, batch handler, {sealed.label}", ours.per_second,
                     in_clear.per_second, CLEAR_BASELINE),
        sealing_cost(f"catch-up of {events:,}, batch handler, opening every receiver",
                     opening.per_second, ours.per_second, NOT_OPENING_BASELINE, misses),
    ]  # fmt: skip


async def _fill(infra: BenchInfra, topic: str, placements: Placements, events: int) -> None:
    encode = cloudevents_encoder("/orderflow/order")
    rows = placements.lifecycles("sub", events // 2)
    await fill_topic(infra.bootstrap, (encode(payloads.recorded(row, n + 1, topic))
                                       for n, row in enumerate(rows)))  # fmt: skip


def _group(purpose: str) -> str:
    return f"bench.{purpose}.{uuid.uuid4().hex[:8]}"


async def _raw_consume(bootstrap: str, topic: str, events: int) -> Rate:
    async def consume() -> None:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=_group("raw"),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=500,
        )
        await consumer.start()
        try:
            seen = 0
            while seen < events:
                batches = await consumer.getmany(timeout_ms=500, max_records=500)
                seen += sum(len(records) for records in batches.values())
        finally:
            await consumer.stop()

    return await timed("raw AIOKafkaConsumer (group, no database)", events, consume)


async def _subscription(
    infra: BenchInfra,
    dsn: str,
    topic: str,
    events: int,
    name: str,
    handler: Handler,
    batch_handler: BatchHandler | None,
) -> Rate:
    """A fresh group and an empty read model, caught up with `handler` (and `batch_handler`)."""
    await readmodel.create_summaries(dsn)
    engine = create_engine(dsn)
    group = _group("subscription")
    subscription = Subscription(
        engine, infra.bootstrap, SubscriptionOptions(group=group, topics=(topic,)),
        handler, batch_handler=batch_handler,
    )  # fmt: skip
    task: asyncio.Task[None] | None = None

    async def catch_up() -> None:
        nonlocal task
        task = asyncio.create_task(subscription.run())
        await until_reached(lambda: subscription.applied, events)

    try:
        rate = await timed(f"eventing Subscription ({name})", events, catch_up)
    finally:
        subscription.stop()
        if task is not None:
            await task
        await engine.dispose()
        await _delete_topic(infra.bootstrap, dead_letter_topic(topic, group))
    rows = await readmodel.count_rows(dsn)
    if rows != events // 2:
        raise RuntimeError(f"the subscription left {rows} summaries, expected {events // 2}")
    return rate


async def _naive(bootstrap: str, dsn: str, topic: str, events: int) -> Rate:
    """Each event in its own transaction with its offset: what a first projector often does."""
    await readmodel.create_summaries(dsn, NAIVE_TABLE)
    engine = create_engine(dsn, pool_size=1)
    async with engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE naive_offsets (partition int PRIMARY KEY, next_offset bigint)")
        )

    async def consume() -> None:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=_group("naive"),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=500,
        )
        await consumer.start()
        applied = 0
        try:
            while applied < events:
                batches = await consumer.getmany(timeout_ms=500, max_records=500)
                for tp, records in batches.items():
                    for record in records:
                        if applied >= events:
                            return
                        await _apply_alone(engine, tp.partition, record)
                        applied += 1
        finally:
            await consumer.stop()

    try:
        return await timed("naive projector (1 tx per event)", events, consume)
    finally:
        await engine.dispose()


async def _apply_alone(
    engine: AsyncEngine, partition: int, record: ConsumerRecord[bytes, bytes]
) -> None:
    event = decode_record(
        record.topic, partition, record.offset, record.key, record.value, record.headers
    )
    async with engine.begin() as connection:
        await readmodel.apply(
            connection, NAIVE_TABLE, event.event_type, event.stream_id, event.sequence, event.data
        )
        await connection.execute(
            text(
                "INSERT INTO naive_offsets VALUES (:p, :o) ON CONFLICT"
                " (partition) DO UPDATE SET next_offset = excluded.next_offset"
            ),
            {"p": partition, "o": record.offset + 1},
        )


async def _delete_topic(bootstrap: str, topic: str) -> None:
    admin = await connect_admin(bootstrap)
    try:
        await admin.delete_topics([topic])
    finally:
        await admin.close()
