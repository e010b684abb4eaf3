"""Events/s of the eventing runtime on real PostgreSQL and Kafka (a benchmark, not a test).

    .venv/bin/python bench/eventing_throughput.py --database-url postgresql://... \
        --bootstrap 127.0.0.1:9092 [--events 20000]

Creates a scratch database and topic, measures append (one event per transaction, from
concurrent writers, and batches of 100), relay publishing and subscription applying.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing.database import create_engine
from eventing.encoding import ConsumedEvent, cloudevents_encoder
from eventing.events import NewEvent, StreamState
from eventing.migrate import upgrade_async
from eventing.relay import OutboxRelay, RelayOptions
from eventing.store import EventStore
from eventing.subscriptions import Subscription, SubscriptionOptions
from eventing.testing.waiting import eventually


async def timed(label: str, count: int, work: Callable[[], Awaitable[object]]) -> None:
    started = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - started
    print(f"{label:<44} {count:>7} events in {elapsed:6.2f}s = {count / elapsed:>9,.0f} events/s")


async def wait_for(probe: Callable[[], Awaitable[int]], target: int) -> None:
    await eventually(probe, lambda value: value >= target, timeout=600, interval=0.05)


async def append_benchmarks(store: EventStore, events: int) -> int:
    async def single_sequential() -> None:
        for n in range(events // 10):
            await store.append(f"seq-{n % 100}", [NewEvent("b", {"n": n})], StreamState.ANY)

    async def single_concurrent() -> None:
        async def writer(w: int) -> None:
            for n in range(events // 16):
                await store.append(f"con-{w}-{n % 10}", [NewEvent("b", {"n": n})], StreamState.ANY)

        await asyncio.gather(*(writer(w) for w in range(8)))

    async def batched() -> None:
        for n in range(events // 100):
            batch = [NewEvent("b", {"n": i}) for i in range(100)]
            await store.append(f"bat-{n}", batch, StreamState.NO_STREAM)

    await timed("append, 1 event/tx, 1 writer", events // 10, single_sequential)
    await timed("append, 1 event/tx, 8 concurrent writers", 8 * (events // 16), single_concurrent)
    await timed("append, 100 events/tx, 1 writer", events // 100 * 100, batched)
    return await store.head_position()


async def relay_benchmark(url: str, bootstrap: str, store: EventStore) -> None:
    total = len(await store.read_all(limit=10**7))
    relay = OutboxRelay(
        url, bootstrap, cloudevents_encoder("/bench"), RelayOptions(batch_size=1000)
    )
    task = asyncio.create_task(relay.run())
    await timed("relay publish (acks=all, idempotent)", total, lambda: wait_for(
        lambda: _published(relay), total))  # fmt: skip
    relay.stop()
    await task


async def _published(relay: OutboxRelay) -> int:
    return relay.published


async def subscription_benchmark(engine: AsyncEngine, bootstrap: str, topic: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE bench_applied (id uuid, seq bigint)"))
        total = int(await connection.scalar(text("SELECT count(*) FROM eventing.events")) or 0)

    async def handler(event: ConsumedEvent, connection: AsyncConnection) -> None:
        await connection.execute(
            text("INSERT INTO bench_applied VALUES (:id, :seq)"),
            {"id": event.event_id, "seq": event.sequence},
        )

    options = SubscriptionOptions(group="bench", topics=(topic,), max_batch=1000)
    subscription = Subscription(engine, bootstrap, options, handler)
    task = asyncio.create_task(subscription.run())
    await timed("subscription apply (1 row/event, 1 tx/batch)", total, lambda: wait_for(
        lambda: _applied(subscription), total))  # fmt: skip
    subscription.stop()
    await task


async def _applied(subscription: Subscription) -> int:
    return subscription.applied


async def main(database_url: str, bootstrap: str, events: int) -> None:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin_connection = await asyncpg.connect(database_url)
    await admin_connection.execute(f'CREATE DATABASE "{name}"')
    url = database_url.rsplit("/", 1)[0] + "/" + name
    topic = f"bench.{name}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 12, 1)])
    engine = create_engine(url, pool_size=20)
    try:
        await upgrade_async(url)
        store = EventStore(engine, topic=topic)
        await append_benchmarks(store, events)
        await relay_benchmark(url, bootstrap, store)
        await subscription_benchmark(engine, bootstrap, topic)
    finally:
        await engine.dispose()
        await admin.delete_topics([topic])
        await admin.close()
        await admin_connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin_connection.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True, help="an existing database (admin)")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--events", type=int, default=20_000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.database_url, arguments.bootstrap, arguments.events))
