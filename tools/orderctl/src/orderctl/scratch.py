"""Building a projection into scratch tables from the event stores, never swapped in.

The scratch build reads every source service's event store up to its head when the build
started (the cut), merging the stores by recording time, and applies the projection's own
projector to copies of the live tables named `<table>__verify`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.parties import Service
from eventing.codec import ContractsCodec
from eventing.events import RecordedEvent
from eventing.projections import Projection
from eventing.rebuild import ProgressCallback, RebuildProgress
from eventing.store import EventStore

SCRATCH_SUFFIX = "__verify"
BATCH = 500


@dataclass(frozen=True, slots=True)
class ScratchBuild:
    """Where the scratch tables are and which store positions they include."""

    tables: Mapping[str, str]  # live -> scratch
    cut: Mapping[Service, int]  # per source service: the last position included
    events: int


def scratch_names(projection: Projection) -> dict[str, str]:
    return {table: table + SCRATCH_SUFFIX for table in projection.tables.tables}


async def _merged(
    stores: Mapping[Service, EventStore], cut: Mapping[Service, int]
) -> AsyncIterator[list[RecordedEvent]]:
    """Batches of every store's events up to the cut, merged by `recorded_at` (each store's
    own events stay in position order)."""
    after = dict.fromkeys(stores, 0)
    pending: dict[Service, list[RecordedEvent]] = {}
    while True:
        for service, store in stores.items():
            if not pending.get(service) and after[service] < cut[service]:
                batch = await store.read_all(after[service], BATCH)
                pending[service] = [e for e in batch if e.position <= cut[service]]
                after[service] = batch[-1].position if batch else cut[service]
        heads = [(events[0].recorded_at, service) for service, events in pending.items() if events]
        if not heads:
            return
        out: list[RecordedEvent] = []
        while heads and len(out) < BATCH:
            _, service = min(heads, key=lambda head: head[0])
            out.append(pending[service].pop(0))
            if not pending[service]:
                break  # refill this store before merging further
            heads = [(events[0].recorded_at, s) for s, events in pending.items() if events]
        yield out


@asynccontextmanager
async def scratch_tables(
    engine: AsyncEngine, projection: Projection
) -> AsyncIterator[dict[str, str]]:
    """Empty copies of the live tables (same columns, keys, indexes); dropped at the end."""
    names = scratch_names(projection)
    async with engine.begin() as connection:
        for live, scratch in names.items():
            await connection.execute(text(f'DROP TABLE IF EXISTS "{scratch}"'))
            await connection.execute(
                text(f'CREATE TABLE "{scratch}" (LIKE "{live}" INCLUDING ALL)')
            )
    try:
        yield names
    finally:
        async with engine.begin() as connection:
            for scratch in names.values():
                await connection.execute(text(f'DROP TABLE IF EXISTS "{scratch}"'))


async def build_scratch(
    engine: AsyncEngine,
    projection: Projection,
    tables: Mapping[str, str],
    stores: Mapping[Service, EventStore],
    *,
    progress: ProgressCallback | None = None,
) -> ScratchBuild:
    """Apply every source event up to the stores' current heads to the scratch tables."""
    cut = {service: await store.head_position() for service, store in stores.items()}
    total = 0
    for service, store in stores.items():
        async with store.engine.connect() as connection:
            total += int(
                await connection.scalar(
                    text("SELECT count(*) FROM eventing.events WHERE position <= :cut"),
                    {"cut": cut[service]},
                )
                or 0
            )
    adapt = ContractsCodec().consumed_from_recorded
    projector = projection.tables.projector
    applied, started = 0, time.perf_counter()
    async for batch in _merged(stores, cut):
        async with engine.begin() as connection:
            for event in batch:
                await projector(adapt(event), connection, tables)
        applied += len(batch)
        if progress is not None:
            rate = applied / max(time.perf_counter() - started, 1e-9)
            eta = max(total - applied, 0) / rate
            progress(RebuildProgress(applied, max(total, applied), rate, eta))
    return ScratchBuild(tables, cut, applied)
