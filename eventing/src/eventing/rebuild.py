"""Projection rebuild: replay events into shadow tables, then swap them in atomically.

The live tables keep serving during the replay. The swap takes an ACCESS EXCLUSIVE lock on the
live tables, applies the events appended meanwhile, and renames shadow over live in one
transaction, so readers see either the old or the new read model, never a mix.

Projectors must be idempotent per stream sequence (store the version in the row and ignore
older events), because a live subscription may apply some events again after the swap.
Read-model tables must use identity columns, not `serial` (a shadow shares a serial's sequence).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing.encoding import ConsumedEvent, decode_record
from eventing.events import JsonText, RecordedEvent
from eventing.partitions import topic_partitions
from eventing.postgres import connect
from eventing.store import READ_ALL_RAW, EventStore, recorded_event

SHADOW_SUFFIX = "__rebuild"
E = TypeVar("E", contravariant=True)

TableNames = Mapping[str, str]  # live name -> name to write to


def shadow_name(live: str) -> str:
    """The name of `live`'s shadow during a rebuild."""
    return live + SHADOW_SUFFIX


def table_for(live: Table, tables: TableNames) -> Table:
    """`live` under the name a projector must write to: itself, or its shadow in a rebuild
    (`tables` maps live names to the names to write to; a name not in it is written live)."""
    return _renamed(live, tables.get(live.name, live.name))


@functools.lru_cache(maxsize=128)
def _renamed(live: Table, name: str) -> Table:
    return live if name == live.name else live.to_metadata(MetaData(), name=name)


class Projector(Protocol[E]):
    """Applies one event to the read-model tables named in `tables`."""

    async def __call__(self, event: E, connection: AsyncConnection, tables: TableNames) -> None: ...


class BatchProjector(Protocol[E]):
    """Applies several events, in order, at once (e.g. one set-based statement per table);
    same effect as the `Projector` applied to each in turn."""

    async def __call__(
        self, events: Sequence[E], connection: AsyncConnection, tables: TableNames
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class RebuildProgress:
    """How far a rebuild is; `total` is an estimate taken when it started."""

    processed: int
    total: int
    rate_per_second: float
    eta_seconds: float | None


ProgressCallback = Callable[[RebuildProgress], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class ProjectionTables(Generic[E]):
    """A read model: its live tables (in `public`) and the projector that fills them."""

    tables: Sequence[str]
    projector: Projector[E]
    # Optional, used by the rebuilds when given (a page at a time instead of event by event).
    batch_projector: BatchProjector[E] | None = None

    @property
    def shadows(self) -> dict[str, str]:
        return {table: shadow_name(table) for table in self.tables}

    async def apply(self, events: Sequence[E], connection: AsyncConnection) -> None:
        """Apply `events` in order to the shadow tables."""
        if self.batch_projector is not None:
            await self.batch_projector(events, connection, self.shadows)
            return
        for event in events:
            await self.projector(event, connection, self.shadows)


class _Meter:
    def __init__(self, total: int, callback: ProgressCallback | None) -> None:
        self.total, self.processed, self._callback = total, 0, callback
        self._started = time.perf_counter()

    async def add(self, count: int) -> None:
        self.processed += count
        if self._callback is None:
            return
        elapsed = max(time.perf_counter() - self._started, 1e-9)
        rate = self.processed / elapsed
        remaining = max(self.total - self.processed, 0)
        eta = remaining / rate if rate > 0 else None
        outcome = self._callback(RebuildProgress(self.processed, self.total, rate, eta))
        if outcome is not None:
            await outcome


async def rebuild_from_store(
    store: EventStore,
    model: ProjectionTables[RecordedEvent],
    *,
    batch_size: int = 5000,
    after_position: int = 0,
    progress: ProgressCallback | None = None,
) -> int:
    """Rebuild `model` from the event store (events after `after_position`) and swap it in;
    the events applied.

    Pages are read on a dedicated asyncpg connection, and the next page is fetched and its
    payloads decoded while the current one is applied. A store whose `read_all` is overridden
    (e.g. to start later) is read through that instead.
    """
    engine = store.engine
    await _create_shadows(engine, model)
    with _collector_spared():
        return await _replay_and_swap(store, model, batch_size, after_position, progress)


async def _replay_and_swap(
    store: EventStore,
    model: ProjectionTables[RecordedEvent],
    batch_size: int,
    after_position: int,
    progress: ProgressCallback | None,
) -> int:
    engine = store.engine
    async with engine.connect() as connection:
        total = await connection.scalar(
            text("SELECT count(*) FROM eventing.events WHERE position > :after"),
            {"after": after_position},
        )
    meter = _Meter(int(total or 0), progress)
    position = after_position
    async with _page_reader(store) as read_page:
        pages = _prefetched_pages(read_page, position, batch_size)
        async with contextlib.aclosing(pages):
            async for page in pages:
                async with engine.begin() as connection:
                    await model.apply(page, connection)
                position = page[-1].position
                await meter.add(len(page))
        async with engine.begin() as connection:
            await _lock_live(connection, model)
            while tail := await read_page(position, batch_size):
                await model.apply(tail, connection)
                position = tail[-1].position
                await meter.add(len(tail))
            await _swap(connection, model)
    return meter.processed


PageReader = Callable[[int, int], Awaitable[list[RecordedEvent]]]  # (after, limit) -> events


@contextlib.asynccontextmanager
async def _page_reader(store: EventStore) -> AsyncIterator[PageReader]:
    if type(store).read_all is not EventStore.read_all:
        yield lambda after, limit: store.read_all(after_position=after, limit=limit)
        return
    reader = await connect(store.engine.url.render_as_string(hide_password=False))

    async def read_page(after: int, limit: int) -> list[RecordedEvent]:
        page = [recorded_event(row) for row in await reader.fetch(READ_ALL_RAW, after, limit)]
        for start in range(0, len(page), _DECODED_AT_ONCE):
            for event in page[start : start + _DECODED_AT_ONCE]:
                if isinstance(event.data, JsonText):
                    event.data.decode()
            await asyncio.sleep(0)  # the page being applied gets its statements' results
        return page

    try:
        yield read_page
    finally:
        await reader.close()


# Payloads decoded in one go while a page is read ahead, between chances for the event loop to
# hand the page being applied its statements' results.
_DECODED_AT_ONCE = 500


@contextlib.contextmanager
def _collector_spared() -> Iterator[None]:
    """The objects alive when a rebuild starts (modules, the app's state) are left out of the
    garbage collector's passes until it ends (`gc.freeze`): a rebuild allocates millions of
    objects, each collection of the oldest generation would walk them all again, and that was
    a third of a rebuild's CPU (docs/benchmarks.md). Only what is frozen is exempt; it is
    unfrozen, and collectable again, when the rebuild ends however it ends. In a process that
    had frozen its start-up heap (`eventing.app.freeze_startup_heap`), what is alive after the
    rebuild's garbage is collected is frozen again, so that heap stays out of the passes."""
    had_frozen = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if had_frozen:
            gc.collect()
            gc.freeze()


async def _prefetched_pages(
    read_page: PageReader, after: int, limit: int
) -> AsyncGenerator[list[RecordedEvent], None]:
    """Every page after `after` in position order; the next is read while one is applied."""
    pending = asyncio.ensure_future(read_page(after, limit))
    try:
        while page := await pending:
            pending = asyncio.ensure_future(read_page(page[-1].position, limit))
            yield page
    finally:
        # Left early (the caller failed): the read ahead is dropped, whatever became of it.
        pending.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await pending


@dataclass(frozen=True, slots=True)
class StoreTail:
    """What a read model projected inline (no live subscription) takes from its own store on
    top of a rebuild from its topic: the events after `after_position`, the relay's checkpoint
    read before the topics' ends were (so everything up to it is on the topic). They are
    applied under the live tables' lock, where inline appenders wait, so none is missed; the
    overlap with the topic is skipped by the projector (idempotent per stream version)."""

    store: EventStore
    model: ProjectionTables[RecordedEvent]
    after_position: int


async def relay_checkpoint(engine: AsyncEngine) -> int:
    """The position up to which every event of the store is on its topic (the slowest relay's
    checkpoint; 0 when no relay ran)."""
    async with engine.connect() as connection:
        statement = text("SELECT coalesce(min(position), 0) FROM eventing.relay_checkpoints")
        return int(await connection.scalar(statement) or 0)


async def rebuild_from_topics(
    engine: AsyncEngine,
    bootstrap: str,
    topics: Sequence[str],
    model: ProjectionTables[ConsumedEvent],
    *,
    from_timestamp_ms: int | None = None,
    progress: ProgressCallback | None = None,
    store_tail: StoreTail | None = None,
) -> int:
    """Rebuild `model` from topics (from the beginning or a timestamp) up to their end when
    the rebuild started, then swap it in; the live subscription covers what came later, or,
    for a read model projected inline, `store_tail` does before the swap."""
    await _create_shadows(engine, model)
    meter: _Meter | None = None
    with _collector_spared():
        async for batch, total in _topic_batches(bootstrap, topics, from_timestamp_ms):
            meter = meter or _Meter(total, progress)
            async with engine.begin() as connection:
                await model.apply(batch, connection)
            await meter.add(len(batch))
    meter = meter or _Meter(0, progress)
    async with engine.begin() as connection:
        await _lock_live(connection, model)
        if store_tail is not None:
            position = store_tail.after_position
            async with _page_reader(store_tail.store) as read_page:
                while tail := await read_page(position, 2000):
                    await store_tail.model.apply(tail, connection)
                    position = tail[-1].position
                    await meter.add(len(tail))
        await _swap(connection, model)
    return meter.processed


async def _topic_batches(
    bootstrap: str, topics: Sequence[str], from_timestamp_ms: int | None
) -> AsyncIterator[tuple[list[ConsumedEvent], int]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await topic_partitions(bootstrap, topics)
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await _start_offsets(consumer, partitions, from_timestamp_ms)
        for tp, offset in starts.items():
            consumer.seek(tp, offset)
        total = sum(max(ends[tp] - starts[tp], 0) for tp in partitions)
        while await _behind(consumer, ends):
            fetched = await consumer.getmany(timeout_ms=500, max_records=5000)
            batch = [
                decode_record(tp.topic, tp.partition, r.offset, r.key, r.value, r.headers)
                for tp, records in fetched.items()
                for r in records
                if r.offset < ends[tp]
            ]
            if batch:
                yield batch, total
    finally:
        await consumer.stop()


async def _behind(consumer: AIOKafkaConsumer, ends: Mapping[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


async def _start_offsets(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition], from_timestamp_ms: int | None
) -> dict[TopicPartition, int]:
    beginnings: dict[TopicPartition, int] = await consumer.beginning_offsets(partitions)
    if from_timestamp_ms is None:
        return beginnings
    found = await consumer.offsets_for_times({tp: from_timestamp_ms for tp in partitions})
    ends = await consumer.end_offsets(partitions)
    return {tp: found[tp].offset if found[tp] else ends[tp] for tp in partitions}


async def _create_shadows(engine: AsyncEngine, model: ProjectionTables[E]) -> None:
    async with engine.begin() as connection:
        for live, shadow in model.shadows.items():
            await connection.execute(text(f'DROP TABLE IF EXISTS "{shadow}"'))
            await connection.execute(text(f'CREATE TABLE "{shadow}" (LIKE "{live}" INCLUDING ALL)'))


async def _lock_live(connection: AsyncConnection, model: ProjectionTables[E]) -> None:
    names = ", ".join(f'"{table}"' for table in model.tables)
    await connection.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))


async def _swap(connection: AsyncConnection, model: ProjectionTables[E]) -> None:
    """Shadow tables take the live names; their indexes take the live tables' index names."""
    for live, shadow in model.shadows.items():
        await connection.execute(text(f'DROP TABLE "{live}"'))
        await connection.execute(text(f'ALTER TABLE "{shadow}" RENAME TO "{live}"'))
        indexes = await connection.execute(
            text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                 " AND tablename = :table AND indexname LIKE :pattern"),
            {"table": live, "pattern": f"{shadow}%"},
        )  # fmt: skip
        for (index,) in indexes.all():
            renamed = live + index[len(shadow) :]
            await connection.execute(text(f'ALTER INDEX "{index}" RENAME TO "{renamed}"'))
