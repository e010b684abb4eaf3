"""Benchmark 5, rebuild: a read model rebuilt from 1M stored events with
`eventing.rebuild.rebuild_from_store` (shadow tables, then the swap).

Baseline: a raw asyncpg sequential read of the events table (a server-side cursor in position
order, rows left undecoded), the floor under any rebuild from the store.
"""

from __future__ import annotations

import os

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import payloads, readmodel
from bench.figures import Figure, Target
from bench.harness import BenchInfra, Rate, scratch_database, timed
from bench.loading import load_store
from eventing.database import create_engine
from eventing.rebuild import RebuildProgress, rebuild_from_store
from eventing.store import EventStore

TARGET_SECONDS_PER_MILLION = 60
_READ_ALL = (
    "SELECT position, stream_id, stream_version, event_id, event_type, schema_version, topic,"
    " data, metadata, occurred_at, recorded_at FROM eventing.events ORDER BY position"
)


async def run(infra: BenchInfra) -> list[Figure]:
    # BENCH_REBUILD_EVENTS overrides the size (the figure says which size it was).
    events = int(os.environ.get("BENCH_REBUILD_EVENTS", infra.size(full=1_000_000, quick=50_000)))
    print(f"  {events:,} stored events (order.placed + order.paid per order), loading…", flush=True)
    async with scratch_database(infra, "rebuild") as dsn:
        loaded = await load_store(dsn, payloads.order_lifecycles("rebuild", events // 2), "t")
        await readmodel.create_summaries(dsn)
        raw = await _raw_read(dsn, loaded)
        engine = create_engine(dsn)
        try:
            ours = await _rebuild(engine, loaded)
        finally:
            await engine.dispose()
        rows = await readmodel.count_rows(dsn)
        if rows != events // 2:
            raise RuntimeError(f"rebuild left {rows} summaries, expected {events // 2}")
    minimum = 1_000_000 / TARGET_SECONDS_PER_MILLION
    return [
        Figure(f"rebuild of {loaded:,} stored events", ours.per_second, "events/s",
               "raw asyncpg sequential read", raw.per_second,
               Target(f"≤ {TARGET_SECONDS_PER_MILLION} s per 1M (≥ {minimum:,.0f}/s)",
                      minimum_value=minimum),
               note=f"{1_000_000 / ours.per_second:.0f} s per 1M events"),
    ]  # fmt: skip


async def _raw_read(dsn: str, events: int) -> Rate:
    connection = await asyncpg.connect(dsn)

    async def read_all() -> None:
        seen = 0
        async with connection.transaction():
            async for _ in connection.cursor(_READ_ALL, prefetch=5_000):
                seen += 1
        if seen != events:
            raise RuntimeError(f"read {seen} events, expected {events}")

    try:
        return await timed("raw asyncpg cursor over eventing.events", events, read_all)
    finally:
        await connection.close()


async def _rebuild(engine: AsyncEngine, events: int) -> Rate:
    store = EventStore(engine, topic="t")
    last_shown = [0]

    def show(progress: RebuildProgress) -> None:
        if progress.processed - last_shown[0] >= max(events // 10, 1):
            last_shown[0] = progress.processed
            print(f"      {progress.processed:,} / {progress.total:,} at "
                  f"{progress.rate_per_second:,.0f}/s", flush=True)  # fmt: skip

    async def rebuild() -> None:
        await rebuild_from_store(store, readmodel.SUMMARIES_FROM_STORE, progress=show)

    return await timed("eventing rebuild_from_store (batch 1000)", events, rebuild)
