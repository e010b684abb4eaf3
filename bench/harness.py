"""What every benchmark runs on: the bench infrastructure, scratch databases and topics, timing.

Each benchmark creates its own database and topics and drops them afterwards, so benchmarks can
run alone or in any order on the same PostgreSQL and Kafka.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from contracts.topics import ORDER_TOPIC
from eventing.migrate import upgrade_async
from eventing.testing.waiting import eventually
from eventing.topics import connect_admin
from localinfra.config import InfraSettings


def quick_mode() -> bool:
    """`BENCH_QUICK=1` runs every benchmark with short sizes."""
    return os.environ.get("BENCH_QUICK", "") not in ("", "0", "false", "no")


@dataclass(frozen=True, slots=True)
class BenchInfra:
    """Where the benchmarks run: the bench instance of the local infrastructure."""

    settings: InfraSettings
    quick: bool

    @property
    def bootstrap(self) -> str:
        return self.settings.kafka_bootstrap

    def dsn(self, database: str = "postgres") -> str:
        return self.settings.postgres_dsn(database)

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full


@asynccontextmanager
async def scratch_database(infra: BenchInfra, purpose: str) -> AsyncIterator[str]:
    """A fresh database migrated to eventing's schema; its DSN. Dropped afterwards."""
    name = f"bench_{purpose}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(infra.dsn())
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        dsn = infra.dsn(name)
        await upgrade_async(dsn)
        yield dsn
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@asynccontextmanager
async def scratch_topic(
    infra: BenchInfra, purpose: str, partitions: int = ORDER_TOPIC.partitions
) -> AsyncIterator[str]:
    """A fresh topic laid out like the order topic; deleted afterwards."""
    name = f"bench.{purpose}.{uuid.uuid4().hex[:8]}"
    admin = await connect_admin(infra.bootstrap)
    try:
        await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=ORDER_TOPIC.config)])
        await _leaders_elected(admin, name, partitions)
        yield name
    finally:
        await admin.delete_topics([name])
        await admin.close()


async def _leaders_elected(admin: AIOKafkaAdminClient, topic: str, partitions: int) -> None:
    """A new topic's partitions get leaders a moment after creation; a producer started before
    that spends its first seconds retrying, which would count against whoever runs first."""

    async def led() -> int:
        described = await admin.describe_topics([topic])
        return sum(1 for p in described[0]["partitions"] if p["leader"] >= 0)

    await eventually(led, lambda count: count == partitions, timeout=60, interval=0.1)


@dataclass(frozen=True, slots=True)
class Rate:
    """`count` things done in `seconds`."""

    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("inf")

    def __str__(self) -> str:
        return f"{self.count:,} in {self.seconds:.2f}s = {self.per_second:,.0f}/s"


def best(*rates: Rate) -> Rate:
    """The fastest of several runs of the same thing: the one least disturbed by other load."""
    return max(rates, key=lambda rate: rate.per_second)


async def timed(label: str, count: int, work: Callable[[], Awaitable[object]]) -> Rate:
    """Run `work` once, print and return its rate.

    What exists before the run (the bench's own heap, the records prepared for it) is frozen
    out of the collector's reach first, as a service freezes its start-up heap
    (`eventing.app.freeze_startup_heap`): an in-process contender and its baseline both work
    on a heap like a service's, not on one a full collection takes 100+ ms to walk."""
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    await work()
    rate = Rate(count, time.perf_counter() - started)
    print(f"    {label:<52} {rate}", flush=True)
    return rate


async def until_reached(probe: Callable[[], int], target: int) -> None:
    """Wait until a progress counter reaches `target` (polls; benchmarks are never timed out
    short of an hour, which only a stuck worker reaches)."""

    async def read() -> int:
        return probe()

    await eventually(read, lambda value: value >= target, timeout=3600, interval=0.02)


async def stop_task(task: asyncio.Task[None], stop: Callable[[], None]) -> None:
    """Ask a worker to stop and wait for it to return."""
    stop()
    await task
