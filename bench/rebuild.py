"""Benchmark 5, rebuild: a read model rebuilt from 1M stored events with
`eventing.rebuild.rebuild_from_store` (shadow tables, then the swap).

Baseline: a raw asyncpg sequential read of the events table (a server-side cursor in position
order, rows left undecoded), the floor under any rebuild from the store.

The store holds the `order.placed` the service records (receiver sealed for the buyer). In the
same run the batch projector also rebuilds from a store of the same events with the receivers in
clear (v1), and from the sealed store while opening every receiver (`readmodel.LabelOpener`),
so the ratios are what sealing costs a rebuild, and what opening every receiver costs on top.
"""

from __future__ import annotations

import os

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import readmodel
from bench.buyers import BuyerKeys
from bench.figures import CLEAR_BASELINE, NOT_OPENING_BASELINE, Figure, Target, sealing_cost
from bench.harness import BenchInfra, Rate, best, scratch_database, timed
from bench.loading import load_store
from bench.payloads import Placements
from eventing.data_keys import PersonalData
from eventing.database import create_engine
from eventing.events import RecordedEvent
from eventing.rebuild import ProjectionTables, RebuildProgress, rebuild_from_store
from eventing.store import EventStore

TARGET_SECONDS_PER_MILLION = 20  # issue 19 (was 60)
_READ_ALL = (
    "SELECT position, stream_id, stream_version, event_id, event_type, schema_version, topic,"
    " data, metadata, occurred_at, recorded_at FROM eventing.events ORDER BY position"
)


async def run(infra: BenchInfra) -> list[Figure]:
    # BENCH_REBUILD_EVENTS overrides the size (the figure says which size it was).
    events = int(os.environ.get("BENCH_REBUILD_EVENTS", infra.size(full=1_000_000, quick=50_000)))
    print(f"  {events:,} stored events (order.placed + order.paid per order), loading…", flush=True)
    sealed = Placements.for_orders(events // 2)
    clear = Placements(sealed.buyers, sealed=False)
    keys = BuyerKeys(sealed.buyers)
    opener = readmodel.LabelOpener(PersonalData(keys))
    batched = readmodel.SUMMARIES_FROM_STORE_BATCHED
    async with (
        scratch_database(infra, "rebuild") as dsn,
        scratch_database(infra, "rebuild_clear") as clear_dsn,
    ):
        loaded = await load_store(dsn, sealed.lifecycles("rebuild", events // 2), "t")
        await load_store(clear_dsn, clear.lifecycles("rebuild", events // 2), "t")
        await readmodel.create_summaries(dsn)
        await readmodel.create_summaries(clear_dsn)
        raw = await _raw_read(dsn, loaded)
        engine, clear_engine = create_engine(dsn), create_engine(clear_dsn)
        try:
            # Sealed, clear, clear, sealed: each shape keeps its better run, so neither gains
            # from going first or last on a machine whose load drifts.
            sealed_runs = [await _rebuild(dsn, engine, loaded, batched, "batch projector")]
            batched_content = await readmodel.digest(dsn)
            clear_name = f"batch projector, {clear.label}"
            clear_runs = [
                await _rebuild(clear_dsn, clear_engine, loaded, batched, clear_name)
                for _ in range(2)
            ]
            sealed_runs.append(await _rebuild(dsn, engine, loaded, batched, "batch projector"))
            ours, in_clear = best(*sealed_runs), best(*clear_runs)
            opening = await _rebuild(
                dsn, engine, loaded, opener.from_store(), "batch projector, opening receivers"
            )
            per_event = await _rebuild(
                dsn, engine, loaded, readmodel.SUMMARIES_FROM_STORE, "one statement per event"
            )
            if await readmodel.digest(dsn) != batched_content:
                raise RuntimeError("the projectors (batched, opening, per event) disagree")
            if await readmodel.digest(clear_dsn) != batched_content:
                raise RuntimeError("the rebuild in clear left another table")
            if opener.opened != loaded // 2:
                raise RuntimeError(f"opened {opener.opened} receivers, expected {loaded // 2}")
        finally:
            await engine.dispose()
            await clear_engine.dispose()
    misses = f"{keys.misses:,} key-cache misses (unwraps) for {opener.opened:,} receivers"
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
        sealing_cost(f"rebuild of {loaded:,}, batch projector, {sealed.label}",
                     ours.per_second, in_clear.per_second, CLEAR_BASELINE),
        sealing_cost(f"rebuild of {loaded:,}, batch projector, opening every receiver",
                     opening.per_second, ours.per_second, NOT_OPENING_BASELINE, misses),
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
    dsn: str,
    engine: AsyncEngine,
    events: int,
    projection: ProjectionTables[RecordedEvent],
    name: str,
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

    rate = await timed(f"eventing rebuild_from_store ({name})", events, rebuild)
    rows = await readmodel.count_rows(dsn)
    if rows != events // 2:
        raise RuntimeError(f"the rebuild left {rows} summaries, expected {events // 2}")
    return rate
