"""The outbox relay: publishes committed events from `eventing.events` to Kafka, in order.

One relay per service publishes at a time: leadership is a session-level advisory lock on the
relay's own connection, so a replica whose process or connection dies hands over at once. The
checkpoint (last published position) lives in PostgreSQL and moves only after Kafka has
acknowledged the whole batch, so a crash loses nothing. Where the acknowledgement or the
checkpoint write was what got lost, a relay that takes over or retries first reads what the
topics already hold of the batch after the checkpoint (`eventing.published_tail`) and sends only
the rest, so each event is on its topic once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from eventing import metrics, tracing
from eventing.encoding import EventEncoder, OutgoingRecord
from eventing.events import RecordedEvent
from eventing.partitions import UnknownTopic
from eventing.postgres import advisory_key, connect
from eventing.published_tail import already_published
from eventing.store import NOTIFY_CHANNEL, READ_ALL_RAW, recorded_event
from eventing.supervision import Heartbeat

log = structlog.get_logger(__name__)

# What a lost or restarting database raises on the relay's own connection; the relay then
# reconnects with backoff. `InternalClientError` ("cannot switch to state 12; another
# operation is in progress") is what asyncpg raises on a connection broken mid-operation.
_DATABASE_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


@dataclass(frozen=True, slots=True)
class RelayOptions:
    """Tuning of one relay; the defaults suit a service, tests shorten the waits."""

    name: str = "outbox"
    # Each batch ends with an acknowledgement barrier and a checkpoint write; 5,000 measured
    # +48% over 500 on a backlog (docs/benchmarks.md) and is still one short transaction.
    batch_size: int = 5000
    poll_interval: float = 1.0  # fallback when a NOTIFY is missed
    standby_interval: float = 1.0  # how often a standby tries to take over
    retry_backoff: float = 0.5  # first wait after a failure; doubles up to max_backoff
    max_backoff: float = 5.0
    producer_config: dict[str, Any] = field(default_factory=dict)


class OutboxRelay:
    """Runs until `stop()`: waits for leadership, then publishes, surviving outages."""

    def __init__(
        self, dsn: str, bootstrap_servers: str, encoder: EventEncoder, options: RelayOptions
    ) -> None:
        self._dsn = dsn
        self._bootstrap = bootstrap_servers
        self._encode = encoder
        self.options = options
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self.is_leader = False
        self.published = 0
        self._lock_key = advisory_key(f"eventing.relay.{options.name}")
        self.heartbeat = Heartbeat()  # beats after each publish round, idle poll or standby try

    @property
    def name(self) -> str:
        """`relay:<name>`; its connection shows as `eventing.relay.<name>` in pg_stat_activity."""
        return f"relay:{self.options.name}"

    def stop(self) -> None:
        """Finish the batch in flight, release leadership and return from `run()`."""
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        backoff = self.options.retry_backoff
        while not self._stopping.is_set():
            try:
                connection = await connect(
                    self._dsn, application_name=f"eventing.relay.{self.options.name}"
                )
            except _DATABASE_ERRORS as error:
                log.warning("relay.database_unavailable", relay=self.options.name, error=str(error))
                await self._pause(backoff)
                backoff = min(backoff * 2, self.options.max_backoff)
                continue
            try:
                if await connection.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key):
                    backoff = self.options.retry_backoff
                    await self._lead(connection)
                else:
                    self.heartbeat.beat()  # a standby that could ask for the lock is healthy
                    await self._pause(self.options.standby_interval)
            except _DATABASE_ERRORS as error:
                log.warning("relay.connection_lost", relay=self.options.name, error=str(error))
                await self._pause(backoff)
                backoff = min(backoff * 2, self.options.max_backoff)
            finally:
                self._set_leader(False)
                await _close_quietly(connection)

    async def _lead(self, connection: asyncpg.Connection) -> None:
        self._set_leader(True)
        log.info("relay.leading", relay=self.options.name)
        await connection.add_listener(NOTIFY_CHANNEL, self._on_notify)
        checkpoint = await _load_checkpoint(connection, self.options.name)
        publisher = _Publisher(self._bootstrap, self.options)
        size = self.options.batch_size
        ahead: list[RecordedEvent] | None = None  # read while the previous batch was in flight
        # Of the batch after the checkpoint, what is on the topics already; None: not known
        # (after taking over or a failed publish, either may have left part of it there).
        sent: set[uuid.UUID] | None = None
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                batch = ahead if ahead is not None else await _fetch(connection, checkpoint, size)
                ahead = None
                if not batch:
                    await self._report_lag(connection, checkpoint)
                    self.heartbeat.beat()
                    await self._idle()
                    continue
                if sent is None and (sent := await publisher.already_sent(batch)) is None:
                    await self._pause(publisher.backoff)
                    continue
                unsent = [e for e in batch if e.event_id not in sent]
                traced = tracing.Publishing(self.options.name, unsent)
                acknowledged = False
                try:
                    in_flight = await publisher.send([self._encode(e) for e in traced.events])
                    if in_flight is not None and len(batch) == size:
                        # The broker acknowledges while the next batch is read; that batch is
                        # sent only after this one is acknowledged and checkpointed (in order).
                        ahead = await _fetch(connection, batch[-1].position, size)
                    acknowledged = in_flight is not None and await publisher.acknowledged(in_flight)
                finally:
                    traced.end(acknowledged)
                if not acknowledged:
                    ahead, sent = None, None
                    await self._pause(publisher.backoff)
                    continue
                sent = set()  # the next batch was never sent
                checkpoint = batch[-1].position
                await _save_checkpoint(connection, self.options.name, checkpoint)
                self.published += len(unsent)
                metrics.RELAY_PUBLISHED.labels(self.options.name).inc(len(unsent))
                self.heartbeat.beat()
                if len(batch) < size:
                    await self._report_lag(connection, checkpoint)
                    await self._idle()
        finally:
            await publisher.close()

    async def _report_lag(self, connection: asyncpg.Connection, checkpoint: int) -> None:
        head = await connection.fetchval("SELECT coalesce(max(position), 0) FROM eventing.events")
        metrics.RELAY_LAG.labels(self.options.name).set(max(head - checkpoint, 0))

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.options.poll_interval)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _set_leader(self, leading: bool) -> None:
        self.is_leader = leading
        metrics.RELAY_ACTIVE.labels(self.options.name).set(1 if leading else 0)
        if not leading:
            # The leader reports the lag; a former leader's last reading would stay for ever.
            metrics.RELAY_LAG.remove(self.options.name)


@dataclass(frozen=True, slots=True)
class _InFlight:
    """A batch handed to the producer, not yet acknowledged."""

    futures: list[asyncio.Future[Any]]
    started: float


class _Publisher:
    """An idempotent, acks=all producer, recreated after any failure."""

    def __init__(self, bootstrap: str, options: RelayOptions) -> None:
        self._bootstrap = bootstrap
        self._options = options
        self._producer: AIOKafkaProducer | None = None
        self.backoff = options.retry_backoff
        # The producer's cap on one record (as its own `send` checks it; the broker has its own).
        self._max_record = int(options.producer_config.get("max_request_size", 1_048_576))

    async def already_sent(self, batch: Sequence[RecordedEvent]) -> set[uuid.UUID] | None:
        """What of `batch` the topics hold already; None (after logging) if they cannot say."""
        try:
            return await already_published(self._bootstrap, batch)
        except (KafkaError, OSError, TimeoutError, UnknownTopic) as error:
            await self._failed(error)
            return None

    async def send(self, records: Sequence[OutgoingRecord]) -> _InFlight | None:
        """Hand every record to the producer; None (after logging) if that already failed."""
        started = time.perf_counter()
        try:
            producer = await self._started()
            futures = await _send_in_record_batches(producer, records, self._max_record)
        except (KafkaError, OSError) as error:
            await self._failed(error)
            return None
        return _InFlight(futures, started)

    async def acknowledged(self, in_flight: _InFlight) -> bool:
        """True once Kafka acknowledged every record sent; False (after logging) otherwise."""
        outcomes = await asyncio.gather(*in_flight.futures, return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:
            if not isinstance(failures[0], KafkaError | OSError):
                raise failures[0]
            await self._failed(failures[0])
            return False
        self.backoff = self._options.retry_backoff
        metrics.RELAY_BATCH_SECONDS.labels(self._options.name).observe(
            time.perf_counter() - in_flight.started
        )
        return True

    async def _failed(self, error: BaseException) -> None:
        metrics.RELAY_ERRORS.labels(self._options.name).inc()
        log.warning("relay.publish_failed", relay=self._options.name, error=repr(error))
        await self.close()
        self.backoff = min(self.backoff * 2, self._options.max_backoff)

    async def _started(self) -> AIOKafkaProducer:
        if self._producer is None:
            config: dict[str, Any] = {
                "bootstrap_servers": self._bootstrap,
                "enable_idempotence": True,
                "acks": "all",
                "linger_ms": 5,
                "request_timeout_ms": 10_000,
                **self._options.producer_config,
            }
            producer = AIOKafkaProducer(**config)
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await producer.stop()
            except (KafkaError, OSError) as error:
                log.debug("relay.producer_close_failed", error=repr(error))


async def _send_in_record_batches(
    producer: AIOKafkaProducer, records: Sequence[OutgoingRecord], max_record: int
) -> list[asyncio.Future[Any]]:
    """The records handed to the producer as whole record batches, one open per partition and
    filled in order: one future and one accumulator call per batch (up to the producer's
    `max_batch_size`) instead of per record, which were a third of the relay's CPU (py-spy,
    benchmark 3). Each record goes to the partition the producer's own `send` would choose
    (its default partitioner: murmur2 of the key over the topic's partitions); a partition's
    batches are queued in order, and the idempotent producer keeps that order on the broker.
    A record over the producer's `max_request_size` is refused as its `send` refuses it
    (`MessageSizeTooLargeError`), before anything of the records is queued."""
    # The headers as the list the batch builder takes, made once for the check and the append.
    headed = [(record, list(record.headers)) for record in records]
    for record, headers in headed:
        size = DefaultRecordBatchBuilder.estimate_size_in_bytes(record.key, record.value, headers)
        if size > max_record:
            raise MessageSizeTooLargeError(
                f"the record of {record.key!r} is {size} bytes, over max_request_size {max_record}"
            )
    partitioner = DefaultPartitioner()
    partitions: dict[str, list[int]] = {}
    filling: dict[tuple[str, int], BatchBuilder] = {}
    futures: list[asyncio.Future[Any]] = []
    for record, headers in headed:
        known = partitions.get(record.topic)
        if known is None:
            known = partitions[record.topic] = sorted(await producer.partitions_for(record.topic))
        partition: int = partitioner(record.key, known, known)
        builder = filling.get((record.topic, partition))
        if builder is None:
            builder = filling[(record.topic, partition)] = producer.create_batch()
        if _append(builder, record, headers):
            continue
        # Full: queue it and start the partition's next batch (a new batch takes any record).
        futures.append(await producer.send_batch(builder, record.topic, partition=partition))
        builder = filling[(record.topic, partition)] = producer.create_batch()
        _append(builder, record, headers)
    for (topic, partition), builder in filling.items():
        futures.append(await producer.send_batch(builder, topic, partition=partition))
    return futures


def _append(
    builder: BatchBuilder, record: OutgoingRecord, headers: list[tuple[str, bytes]]
) -> bool:
    """Add the record to the batch; False if the batch is full."""
    added = builder.append(timestamp=None, key=record.key, value=record.value, headers=headers)
    return added is not None


async def _fetch(connection: asyncpg.Connection, after: int, limit: int) -> list[RecordedEvent]:
    return [recorded_event(row) for row in await connection.fetch(READ_ALL_RAW, after, limit)]


async def _load_checkpoint(connection: asyncpg.Connection, relay: str) -> int:
    await connection.execute(
        "INSERT INTO eventing.relay_checkpoints (relay, position) VALUES ($1, 0)"
        " ON CONFLICT (relay) DO NOTHING",
        relay,
    )
    position = await connection.fetchval(
        "SELECT position FROM eventing.relay_checkpoints WHERE relay = $1", relay
    )
    return int(position)


async def _save_checkpoint(connection: asyncpg.Connection, relay: str, position: int) -> None:
    await connection.execute(
        "UPDATE eventing.relay_checkpoints SET position = $2, updated_at = now() WHERE relay = $1",
        relay,
        position,
    )


async def _close_quietly(connection: asyncpg.Connection) -> None:
    try:
        await asyncio.wait_for(connection.close(), 5)
    except _DATABASE_ERRORS:
        # The socket must go (it holds the leadership lock), even when a polite close fails.
        connection.terminate()
