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
from eventing.events import RecordedEvent
from eventing.rebuild import ProjectionTables, RebuildProgress, rebuild_from_store
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
            ours = await _rebuild(dsn, engine, loaded, readmodel.SUMMARIES_FROM_STORE_BATCHED)
            batched_content = await readmodel.digest(dsn)
            per_event = await _rebuild(dsn, engine, loaded, readmodel.SUMMARIES_FROM_STORE)
            if await readmodel.digest(dsn) != batched_content:
                raise RuntimeError("the batch projector and the per-event projector disagree")
        finally:
            await engine.dispose()
    minimum = 1_000_000 / TARGET_SECONDS_PER_MILLION
    return [
        Figure(f"rebuild of {loaded:,} stored events, batch projector", ours.per_second,
               "events/s", "raw asyncpg sequential read", raw.per_second,
               Target(f"≤ {TARGET_SECONDS_PER_MILLION} s per 1M (≥ {minimum:,.0f}/s)",
                      minimum_value=minimum),
               note=f"{1_000_000 / ours.per_second:.0f} s per 1M events"),
        Figure(f"rebuild of {loaded:,}, one statement per event (no batch projector)",
               per_event.per_second, "events/s", "raw asyncpg sequential read", raw.per_second,
               note=f"{1_000_000 / per_event.per_second:.0f} s per 1M events"),
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


async def _rebuild(
    dsn: str, engine: AsyncEngine, events: int, projection: ProjectionTables[RecordedEvent]
) -> Rate:
    """Rebuild the summaries (shadow table, swap) and check every order has its row."""
    store = EventStore(engine, topic="t")
    last_shown = [0]

    def show(progress: RebuildProgress) -> None:
        if progress.processed - last_shown[0] >= max(events // 10, 1):
            last_shown[0] = progress.processed
            print(f"      {progress.processed:,} / {progress.total:,} at "
                  f"{progress.rate_per_second:,.0f}/s", flush=True)  # fmt: skip

    async def rebuild() -> None:
        await rebuild_from_store(store, projection, progress=show)

    name = "batch projector" if projection.batch_projector else "one statement per event"
    rate = await timed(f"eventing rebuild_from_store ({name})", events, rebuild)
    rows = await readmodel.count_rows(dsn)
    if rows != events // 2:
        raise RuntimeError(f"the rebuild left {rows} summaries, expected {events // 2}")
    return rate
