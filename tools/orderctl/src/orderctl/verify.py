"""Verify a read model: rebuild it into scratch tables and compare with the live tables.

The comparison happens at a consistent point. The scratch build includes each source store up
to its head when the build started (the cut). Before comparing, orderctl waits (bounded) until
the source relays have published past the cut and the service's subscriptions on the source
topics have no lag, so the live model has applied everything up to the cut (a projection fed
inline has, by construction: nothing to wait for). Rows of orders
with events after the cut (by their `order_id` column) are left out on both sides: the live
model may already show those events, the scratch build cannot.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from contracts.parties import Service
from eventing.projections import Projection
from eventing.rebuild import ProgressCallback
from eventing.store import EventStore
from orderctl.connections import service_engine
from orderctl.differences import TableDifferences, compare_rows
from orderctl.lag import subscription_lag
from orderctl.outbox import outbox_status
from orderctl.rebuild import topics_of
from orderctl.scratch import ScratchBuild, build_scratch, scratch_tables
from orderctl.settings import OrderctlSettings, Owner

STREAM_COLUMNS = ("order_id", "stream_id")  # every stream id is the order id

_COLUMNS = text(
    "SELECT a.attname AS name, (a.attidentity <> '' OR a.attgenerated <> '' OR"
    " coalesce(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%') AS generated"
    " FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    " WHERE a.attrelid = to_regclass(:table) AND a.attnum > 0 AND NOT a.attisdropped"
    " ORDER BY a.attnum"
)
_UNIQUE_KEYS = text(
    "SELECT array_agg(a.attname::text ORDER BY k.ord) AS columns FROM pg_index i"
    " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)"
    " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
    " WHERE i.indrelid = to_regclass(:table) AND i.indisunique AND i.indpred IS NULL"
    " GROUP BY i.indexrelid, i.indisprimary ORDER BY i.indisprimary DESC, i.indexrelid"
)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    service: Owner
    projection: str
    build: ScratchBuild
    tables: list[TableDifferences]
    warnings: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return all(table.same for table in self.tables)


@dataclass(frozen=True, slots=True)
class _Layout:
    columns: tuple[str, ...]  # compared columns (generated ones and ignored ones left out)
    key: tuple[str, ...]
    stream_column: str | None


async def _layout(connection: AsyncConnection, table: str, ignored: Sequence[str]) -> _Layout:
    rows = (await connection.execute(_COLUMNS, {"table": f'"{table}"'})).all()
    generated = {row.name for row in rows if row.generated}
    columns = tuple(
        row.name for row in rows if row.name not in generated and row.name not in ignored
    )
    key: tuple[str, ...] = ()
    for (unique,) in (await connection.execute(_UNIQUE_KEYS, {"table": f'"{table}"'})).all():
        if not generated.intersection(unique):
            key = tuple(unique)
            break
    stream = next((c for c in STREAM_COLUMNS if c in columns), None)
    return _Layout(columns, key, stream)


async def _rows(
    connection: AsyncConnection, table: str, columns: Sequence[str]
) -> list[dict[str, Any]]:
    names = ", ".join(f'"{c}"' for c in columns)
    result = await connection.execute(text(f'SELECT {names} FROM "{table}"'))
    return [dict(row._mapping) for row in result]


async def _touched_after_cut(
    stores: Mapping[Service, EventStore], cut: Mapping[Service, int]
) -> set[str]:
    touched: set[str] = set()
    statement = text("SELECT DISTINCT stream_id FROM eventing.events WHERE position > :cut")
    for service, store in stores.items():
        async with store.engine.connect() as connection:
            rows = await connection.execute(statement, {"cut": cut[service]})
            touched.update(row.stream_id for row in rows)
    return touched


async def compare_with_live(
    engine: AsyncEngine,
    build: ScratchBuild,
    stores: Mapping[Service, EventStore],
    ignored_columns: Sequence[str] = (),
) -> list[TableDifferences]:
    """Both sides read in one snapshot; then orders touched after the cut are set aside."""
    snapshot: list[tuple[str, _Layout, list[dict[str, Any]], list[dict[str, Any]]]] = []
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="REPEATABLE READ")
        async with connection.begin():
            for live, scratch in build.tables.items():
                layout = await _layout(connection, live, ignored_columns)
                snapshot.append(
                    (
                        live,
                        layout,
                        await _rows(connection, live, layout.columns),
                        await _rows(connection, scratch, layout.columns),
                    )
                )
    touched = await _touched_after_cut(stores, build.cut)
    results = []
    for table, layout, live_rows, rebuilt_rows in snapshot:
        ignored = 0
        if layout.stream_column is not None and touched:
            column = layout.stream_column
            kept_live = [r for r in live_rows if r[column] not in touched]
            kept_rebuilt = [r for r in rebuilt_rows if r[column] not in touched]
            ignored = len(live_rows) - len(kept_live)
            live_rows, rebuilt_rows = kept_live, kept_rebuilt
        results.append(
            compare_rows(
                table,
                live_rows,
                rebuilt_rows,
                key_columns=layout.key,
                columns=layout.columns,
                ignored_rows=ignored,
            )
        )
    return results


async def _live_behind(
    settings: OrderctlSettings, service: Owner, projection: Projection, cut: Mapping[Service, int]
) -> list[str]:
    reasons = []
    for source, position in cut.items():
        status = await outbox_status(settings, source)
        if status.relay_seen and status.checkpoint < position:
            reasons.append(
                f"the {source.value} relay has published up to position "
                f"{status.checkpoint}, the cut is at {position}"
            )
    topics = set(topics_of(settings, projection))
    for lag in await subscription_lag(settings, service):
        if lag.topic in topics and lag.lag > 0:
            reasons.append(f"group {lag.group} is {lag.lag} events behind on {lag.topic}")
    return reasons


async def wait_for_live(
    settings: OrderctlSettings,
    service: Owner,
    projection: Projection,
    cut: Mapping[Service, int],
    wait_seconds: float,
) -> list[str]:
    """Wait until the live model has applied the cut; what still lags when time is up. A
    projection fed inline applied every event of the cut when it committed."""
    if projection.inline:
        return []
    deadline = time.monotonic() + wait_seconds
    while reasons := await _live_behind(settings, service, projection, cut):
        if time.monotonic() >= deadline:
            return [f"compared although the live model may be behind: {r}" for r in reasons]
        await asyncio.sleep(0.5)
    return []


async def verify_projection(
    settings: OrderctlSettings,
    service: Owner,
    projection: Projection,
    *,
    wait_seconds: float = 60.0,
    ignored_columns: Sequence[str] = (),
    progress: ProgressCallback | None = None,
) -> VerifyReport:
    """Build into scratch tables (dropped afterwards) and compare them with the live ones."""
    async with AsyncExitStack() as stack:
        engine = await stack.enter_async_context(service_engine(settings, service))
        stores: dict[Service, EventStore] = {}
        for source in dict.fromkeys(projection.topics):
            source_engine = (
                engine
                if source is service
                else await stack.enter_async_context(service_engine(settings, source))
            )
            stores[source] = EventStore(source_engine, topic=settings.topic(source))
        async with scratch_tables(engine, projection) as names:
            build = await build_scratch(engine, projection, names, stores, progress=progress)
            warnings = await wait_for_live(settings, service, projection, build.cut, wait_seconds)
            # A column saying when the live model applied an event is the build's time there.
            ignored = (*ignored_columns, *projection.applied_time_columns)
            tables = await compare_with_live(engine, build, stores, ignored)
    return VerifyReport(service, projection.name, build, tables, warnings)
