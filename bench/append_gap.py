"""What separates `EventStore.append` from a raw INSERT at 4 and 16 writers (issue 19 item 7).

`python -m bench.append_gap [events]` on the bench instance (the environment of `make bench`),
printed, not recorded.

Contenders (same payload, clear receiver, new stream per event, one commit per event):
  raw        asyncpg INSERT into a copy of the events table, connection held by each writer
  +lock      the same INSERT with pg_advisory_xact_lock(key) in the statement (held to commit)
  +notify    the same INSERT with pg_notify in the statement
  function   eventing.append_events(...) via asyncpg, connection held (server side of ours)
  ours       EventStore.append (pool checkout + ping per append, tracing, metrics, encode)
Per contender: events/s, client CPU per event (process time), WAL fsyncs per commit (pg_stat_io;
the pool's ping counts as a commit of its own, so ours shows half its flushes per append).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg

from bench import payloads
from bench.append import RAW_TABLE, TOPIC, _create_raw_table
from bench.harness import BenchInfra, scratch_database
from bench.loading import EVENT_COLUMNS
from bench.payloads import Placements
from eventing.database import create_engine
from eventing.events import StreamState
from eventing.store import POSITION_LOCK_KEY, EventStore
from localinfra.config import InfraSettings

COLS = ", ".join(EVENT_COLUMNS)
VALUES = "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
INSERT = f"INSERT INTO {RAW_TABLE} ({COLS}) {VALUES}"
LOCKED = (
    f"WITH l AS (SELECT pg_advisory_xact_lock({POSITION_LOCK_KEY}))"
    f" INSERT INTO {RAW_TABLE} ({COLS}) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM l"
)
NOTIFIED = (
    "WITH l AS (SELECT pg_notify('eventing_events', '')) INSERT INTO"
    f" {RAW_TABLE} ({COLS}) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM l"
)
FUNCTION = (
    "SELECT stream_version, position FROM eventing.append_events($1, 0, $2, $3, $4, $5, $6, $7, $8)"
)


async def wal_fsyncs(admin: asyncpg.Connection) -> tuple[int, int]:
    fsyncs = await admin.fetchval(
        "SELECT coalesce(sum(fsyncs), 0) FROM pg_stat_io WHERE object = 'wal'"
    )
    commits = await admin.fetchval(
        "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
    )
    return int(fsyncs or 0), int(commits)


async def main() -> None:
    infra = BenchInfra(InfraSettings(), quick=True)
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    placements = Placements(Placements.for_orders(events).buyers, sealed=False)
    async with scratch_database(infra, "diag") as dsn:
        await _create_raw_table(dsn)
        admin = await asyncpg.connect(dsn)
        run = uuid.uuid4().hex[:6]
        counter = itertools.count()

        def row(n: int, order: str) -> tuple[object, ...]:
            return (
                order, 1, uuid.uuid4(), "order.placed", placements.schema_version, TOPIC,
                json.dumps(placements.placed(order, n), ensure_ascii=False),
                json.dumps(payloads.metadata(n).to_json()), datetime.now(UTC),
            )  # fmt: skip

        def fn_args(n: int, order: str) -> tuple[object, ...]:
            r = row(n, order)
            return (order, [r[2]], [r[3]], [r[4]], [r[5]], [r[6]], [r[7]], [r[8]])

        async def held(
            sql: str, build: Callable[[int, str], tuple[object, ...]], writers: int, count: int
        ) -> None:
            pool = await asyncpg.create_pool(dsn, min_size=writers, max_size=writers)

            async def writer() -> None:
                async with pool.acquire() as connection:
                    for _ in range(count // writers):
                        n = next(counter)
                        await connection.execute(sql, *build(n, payloads.order_id(run, n)))

            try:
                await asyncio.gather(*(writer() for _ in range(writers)))
            finally:
                await pool.close()

        async def ours(writers: int, count: int) -> None:
            engine = create_engine(dsn, pool_size=writers, max_overflow=0)
            store = EventStore(engine, topic=TOPIC)

            async def writer() -> None:
                for _ in range(count // writers):
                    n = next(counter)
                    order = payloads.order_id(run, n)
                    await store.append(
                        order, [placements.new_event(order, n)], StreamState.NO_STREAM
                    )

            try:
                await asyncio.gather(*(writer() for _ in range(writers)))
            finally:
                await engine.dispose()

        contenders: dict[str, Callable[[int, int], Awaitable[None]]] = {
            "raw INSERT": lambda w, c: held(INSERT, row, w, c),
            "INSERT + advisory lock": lambda w, c: held(LOCKED, row, w, c),
            "INSERT + pg_notify": lambda w, c: held(NOTIFIED, row, w, c),
            "append_events(), held conn": lambda w, c: held(FUNCTION, fn_args, w, c),
            "EventStore.append": ours,
        }
        for writers in (4, 16):
            for name, contender in contenders.items():
                await contender(writers, 100)  # warm-up
                f0, c0 = await wal_fsyncs(admin)
                cpu0, t0 = time.process_time(), time.perf_counter()
                await contender(writers, events)
                cpu, elapsed = time.process_time() - cpu0, time.perf_counter() - t0
                f1, c1 = await wal_fsyncs(admin)
                commits = max(c1 - c0, 1)
                print(
                    f"{writers:>2} writers  {name:<28} {events / elapsed:7,.0f}/s  client CPU"
                    f" {1e6 * cpu / events:6.0f} µs/event  WAL fsyncs/commit"
                    f" {(f1 - f0) / commits:4.2f}",
                    flush=True,
                )
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
