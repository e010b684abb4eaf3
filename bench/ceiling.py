"""Benchmark 11, the append ceiling: commits per second through the position lock, as the time
between an append and its commit grows, against a prototype with one position lock per
partition (issue 22, item 5; docs/capacity.md).

The event store hands out global positions in commit order by holding one advisory lock from
the insert to the commit (docs/architecture.md, "The commit-order gap"). Every appending
transaction of a database therefore commits one at a time, and the ceiling is one over the time
the lock is held: the function's server time, the WAL flush and, for an append inside the
caller's transaction (a command: the idempotent response, then the append, then COMMIT), every
client round trip between the append and the commit. The benchmark stretches that last part:
after the append, the writer waits `hold` ms inside its transaction (one `pg_sleep` round trip,
standing for a slower network to the database or a slower commit), then commits.

Contenders, all called the same way (asyncpg, one function call per transaction, 16 writers,
each appending one realistic `order.placed` to a new stream):
- **one position lock**: `eventing.append_events`, the store's own function;
- **per-partition positions** (prototype, not adopted): the same function with the lock and the
  position counter per partition of the stream (CRC-32 of the stream id modulo P, as a keyed
  Kafka producer places it), for P = 4 and 16, so appends to different partitions commit in
  parallel and each partition's positions are still handed out in commit order (checked after
  every round: positions 1..n without a gap per partition);
- **no contention**: the prototype with each writer on a partition of its own, the most any
  position scheme could give;
- the prototype with 16 partitions **and a `pg_notify` in the appending transaction**, as
  `eventing.append_events` sends to wake the relay: PostgreSQL queues notifications under one
  database-wide lock held until after the commit's WAL flush (`PreCommit_Notify`, async.c), so
  a NOTIFY in every appending transaction serialises commits exactly as the position lock does;
  per-partition positions need the relay's wake-up out of the appending transaction.
The store's "append alone" (the function in autocommit, no hold) is measured with the global
lock as the machine's ceiling for single-event appends.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bench import payloads
from bench.figures import Figure
from bench.harness import BenchInfra, Rate, scratch_database
from bench.payloads import Placements

WRITERS = 16
HOLDS_MS = (0.0, 1.0, 2.0, 5.0)
PARTITIONS = (4, 16)
TOPIC = "orders.order.v1"
_LOCK_CLASS = 22_011  # the prototype's advisory lock class (two-key form: class, partition)

_PROTOTYPE = f"""
CREATE SCHEMA proto;
CREATE TABLE proto.streams (LIKE eventing.streams INCLUDING ALL);
CREATE TABLE proto.partition_positions (
    partition integer PRIMARY KEY, position bigint NOT NULL DEFAULT 0
);
CREATE TABLE proto.events (
    partition integer NOT NULL,
    position bigint NOT NULL,
    stream_id text NOT NULL,
    stream_version bigint NOT NULL,
    event_id uuid NOT NULL UNIQUE,
    event_type text NOT NULL,
    schema_version integer NOT NULL,
    topic text NOT NULL,
    data jsonb NOT NULL,
    metadata jsonb NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partition, position),
    UNIQUE (stream_id, stream_version)
);
CREATE FUNCTION proto.append_events(
    p_partition integer, p_notify boolean, p_stream_id text, p_expected bigint, p_event_ids uuid[],
    p_event_types text[], p_schema_versions integer[], p_topics text[], p_data jsonb[],
    p_metadata jsonb[], p_occurred_at timestamptz[]
) RETURNS TABLE (stream_version bigint, "position" bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_count integer := cardinality(p_event_ids);
    v_last bigint;
    v_position bigint;
BEGIN
    -- The partition's lock, then its counter: positions in commit order within the partition.
    PERFORM pg_advisory_xact_lock({_LOCK_CLASS}, p_partition);
    IF p_notify THEN
        PERFORM pg_notify('proto_events', '');
    END IF;
    INSERT INTO proto.streams AS s (stream_id, version) VALUES (p_stream_id, v_count)
    ON CONFLICT (stream_id) DO NOTHING RETURNING s.version INTO v_last;
    IF v_last IS NULL THEN
        RAISE EXCEPTION 'stream % exists', p_stream_id USING ERRCODE = 'EV001';
    END IF;
    UPDATE proto.partition_positions AS pp SET position = pp.position + v_count
    WHERE pp.partition = p_partition RETURNING pp.position INTO v_position;
    RETURN QUERY
    INSERT INTO proto.events AS e (
        partition, position, stream_id, stream_version, event_id, event_type, schema_version,
        topic, data, metadata, occurred_at
    )
    SELECT p_partition, v_position - v_count + u.ordinal, p_stream_id,
           v_last - v_count + u.ordinal, u.event_id, u.event_type, u.schema_version, u.topic,
           u.data, u.metadata, u.occurred_at
    FROM unnest(p_event_ids, p_event_types, p_schema_versions, p_topics, p_data, p_metadata,
                p_occurred_at)
         WITH ORDINALITY AS u(event_id, event_type, schema_version, topic, data, metadata,
                              occurred_at, ordinal)
    ORDER BY u.ordinal
    RETURNING e.stream_version, e.position;
END
$$;
"""
_GLOBAL = "SELECT * FROM eventing.append_events($1, 0, $2, $3, $4, $5, $6, $7, $8)"
_PARTITIONED = "SELECT * FROM proto.append_events($1, $2, $3, 0, $4, $5, $6, $7, $8, $9, $10)"
_GAPS = """
SELECT count(*) FILTER (WHERE position <> expected) FROM (
    SELECT position, row_number() OVER (PARTITION BY partition ORDER BY position) AS expected
    FROM proto.events
) AS numbered
"""


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a writer's append takes its position: `partition(writer, stream)`, or the store's
    one global lock when `partition` is None."""

    label: str
    partition: Callable[[int, str], int] | None
    notify: bool = False  # the prototype also NOTIFYs in the appending transaction


GLOBAL = Layout("one position lock", None)


@dataclass(frozen=True, slots=True)
class Round:
    """A round's commits, and the mean time from an append's answer to its commit's answer
    (what the client adds to the lock's hold: `hold` as the machine really slept, plus the
    COMMIT round trip and the WAL flush)."""

    rate: Rate
    to_commit_ms: float

    def __str__(self) -> str:
        after = f", {self.to_commit_ms:.2f} ms append → commit" if self.to_commit_ms else ""
        return f"{self.rate}{after}"


def _hashed(partitions: int, *, notify: bool = False) -> Layout:
    return Layout(
        f"{partitions} partition locks" + (" + NOTIFY in the transaction" if notify else ""),
        lambda _writer, stream: zlib.crc32(stream.encode()) % partitions,
        notify,
    )


UNCONTENDED = Layout("a partition per writer", lambda writer, _stream: writer)
LAYOUTS = (GLOBAL, *(_hashed(p) for p in PARTITIONS), UNCONTENDED, _hashed(16, notify=True))


async def run(infra: BenchInfra) -> list[Figure]:
    seconds = infra.size(full=8, quick=3)
    placements = Placements.for_orders(infra.size(full=20_000, quick=8_000))
    figures: list[Figure] = []
    async with scratch_database(infra, "ceiling") as dsn:
        await _prepare(dsn)
        alone = await _round(dsn, GLOBAL, None, seconds, placements)
        print(f"    {'append alone (autocommit), one position lock':<60} {alone}", flush=True)
        for hold in HOLDS_MS:
            print(f"  {WRITERS} writers, {hold:g} ms between append and commit, {seconds} s each")
            rates = {}
            for layout in LAYOUTS:
                rates[layout.label] = await _round(dsn, layout, hold, seconds, placements)
                print(f"    {layout.label:<60} {rates[layout.label]}", flush=True)
            base = rates[GLOBAL.label].rate.per_second
            note = (
                f"one lock: {1000 / base:.2f} ms per commit, of which "
                f"{rates[GLOBAL.label].to_commit_ms:.2f} ms from the append's answer to the "
                "commit's"
            )
            figures.append(
                Figure(f"appends in a command's transaction, +{hold:g} ms to commit", base,
                       "commits/s", "append alone (autocommit)", alone.rate.per_second, note=note)
            )  # fmt: skip
            for layout in LAYOUTS[1:]:
                figures.append(
                    Figure(f"{layout.label}, +{hold:g} ms to commit",
                           rates[layout.label].rate.per_second, "commits/s", GLOBAL.label, base,
                           note=f"{rates[layout.label].to_commit_ms:.2f} ms append → commit")
                )  # fmt: skip
        gaps = await _gaps(dsn)
        print(f"  per-partition positions without a gap in commit order: {gaps == 0} ({gaps})")
        if gaps:
            raise AssertionError(f"the prototype left {gaps} positions out of order")
    return figures


async def _prepare(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(_PROTOTYPE)
        await connection.execute(
            "INSERT INTO proto.partition_positions (partition) SELECT generate_series(0, $1)",
            max(WRITERS, *PARTITIONS),
        )
    finally:
        await connection.close()


async def _gaps(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval(_GAPS))
    finally:
        await connection.close()


def _arrays(order: str, n: int, placements: Placements) -> tuple[Any, ...]:
    return (
        [uuid.uuid4()],
        ["order.placed"],
        [placements.schema_version],
        [TOPIC],
        [json.dumps(placements.placed(order, n), ensure_ascii=False)],
        [json.dumps(payloads.metadata(n).to_json())],
        [datetime.now(UTC)],
    )


async def _round(
    dsn: str, layout: Layout, hold_ms: float | None, seconds: float, placements: Placements
) -> Round:
    """Commits of `WRITERS` writers for `seconds`; `hold_ms` None: the append alone."""
    pool = await asyncpg.create_pool(dsn, min_size=WRITERS, max_size=WRITERS)
    run_id = uuid.uuid4().hex[:6]
    numbers = itertools.count()
    committed = 0
    to_commit: list[float] = []  # from the append's answer to the commit's, per transaction
    started = time.perf_counter()
    deadline = started + seconds

    def arguments(writer: int) -> tuple[str, tuple[Any, ...]]:
        """The call for the next append, built (and its receiver sealed) before the transaction,
        as a command handler does: the lock covers the call and the commit, not the building."""
        n = next(numbers)
        order = payloads.order_id(run_id, n)
        arrays = _arrays(order, n, placements)
        if layout.partition is None:
            return _GLOBAL, (order, *arrays)
        return _PARTITIONED, (layout.partition(writer, order), layout.notify, order, *arrays)

    async def writer(number: int) -> None:
        nonlocal committed
        async with pool.acquire() as connection:
            while time.perf_counter() < deadline:
                statement, args = arguments(number)
                if hold_ms is None:
                    await connection.fetch(statement, *args)
                else:
                    async with connection.transaction():
                        await connection.fetch(statement, *args)
                        answered = time.perf_counter()
                        if hold_ms:
                            await connection.execute("SELECT pg_sleep($1)", hold_ms / 1000)
                    to_commit.append(time.perf_counter() - answered)
                committed += 1

    try:
        await asyncio.gather(*(writer(number) for number in range(WRITERS)))
        rate = Rate(committed, time.perf_counter() - started)
        return Round(rate, statistics.fmean(to_commit) * 1000 if to_commit else 0.0)
    finally:
        await pool.close()
