"""Subscriptions: consume topics as a group and apply each event exactly once in PostgreSQL.

Each partition's batch is applied in one transaction that also moves the group's position for
that partition (`eventing.consumer_positions`) and the last applied sequence of every stream
(`eventing.consumer_streams`). The database, not Kafka, is the source of truth for where the
group is, so a crash, rebalance or redelivery can neither skip nor repeat an effect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing import metrics, tracing
from eventing.committed_events import counted_on_commit
from eventing.dead_letters import (
    dead_letter_topic,
    ensure_dead_letter_topics,
    send_to_dead_letters,
)
from eventing.encoding import ConsumedEvent, UndecodableRecord, decode_record
from eventing.subscription_state import PartitionState, PositionRebalanceListener
from eventing.supervision import Heartbeat

log = structlog.get_logger(__name__)

Handler = Callable[[ConsumedEvent, AsyncConnection], Awaitable[None]]
# Applies several events (fresh, de-duplicated, in offset order) in one go, e.g. with one
# set-based statement; must have the same effect as the `Handler` applied to each in turn.
BatchHandler = Callable[[Sequence[ConsumedEvent], AsyncConnection], Awaitable[None]]
# Told, after a partition batch committed, which events it applied (e.g. to notify live views
# in-process); called only after the commit, so a listener reading the database sees them.
AppliedListener = Callable[[Sequence[ConsumedEvent]], None]


@dataclass(frozen=True, slots=True)
class SubscriptionOptions:
    """One consumer group on some topics; defaults suit a service, tests shorten waits."""

    group: str
    topics: tuple[str, ...]
    # Records per poll; with 12 partitions a poll splits into ~12 transactions, so a larger
    # poll keeps each transaction's fixed cost (position lock, sequences, save) amortised.
    max_batch: int = 2000
    max_attempts: int = 3  # handler attempts before the event is dead-lettered
    retry_backoff: float = 0.1  # doubles after each failed attempt
    poll_timeout_ms: int = 500
    failure_backoff: float = 1.0  # wait after the database or broker failed a batch
    # Skip events whose stream sequence was already applied (off only for dead-letter retry,
    # whose events are older than what the group applied since).
    dedupe_streams: bool = True
    # Group membership (docs/operations.md, "Consumer groups"). aiokafka heartbeats from a task
    # on the service's event loop, and not at all from the JoinGroup until the assignment
    # listener returns; a member silent for `session_timeout_ms` is removed and every member of
    # the group rebalances. Measured (issue 23): the longest event-loop block of a service under
    # load is ~0.3 s and the listener is one query, so 10 s leaves a wide margin while a killed
    # member's partitions wait at most that long for another member.
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000  # a third of the session: two may be lost
    # Longest time between two polls before the member leaves the group itself; one poll's
    # batches (at most `max_batch` records) are applied well within it.
    max_poll_interval_ms: int = 300_000
    consumer_config: dict[str, Any] = field(default_factory=dict)  # anything else aiokafka takes

    def consumer_settings(self) -> dict[str, Any]:
        """The consumer's group settings, spelled out (aiokafka's defaults are not relied on);
        `consumer_config` adds others (a key it repeats wins)."""
        return {
            "group_id": self.group,
            "enable_auto_commit": False,  # positions live in PostgreSQL, not in Kafka
            # A partition without a stored position starts at 0; `earliest` moves an offset
            # that retention removed to the first record kept (PositionRebalanceListener).
            "auto_offset_reset": "earliest",
            "max_poll_records": self.max_batch,
            "session_timeout_ms": self.session_timeout_ms,
            "heartbeat_interval_ms": self.heartbeat_interval_ms,
            "max_poll_interval_ms": self.max_poll_interval_ms,
            **self.consumer_config,
        }


class Subscription:
    """Runs a handler over the group's events until `stop()`; see the module docstring.

    With a `batch_handler`, the fast path calls it once per partition batch instead of calling
    `handler` per event; when it fails, the batch is redone carefully with `handler`, one
    event at a time in savepoints (retries, dead letters), exactly as without it. With
    `on_applied`, the events a batch applied are passed to it once the batch has committed.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        bootstrap: str,
        options: SubscriptionOptions,
        handler: Handler,
        *,
        batch_handler: BatchHandler | None = None,
        on_applied: AppliedListener | None = None,
    ) -> None:
        self.engine = engine
        self.options = options
        self._bootstrap = bootstrap
        self._handler = handler
        self._batch_handler = batch_handler
        self._on_applied = on_applied
        self._state = PartitionState(engine, options.group)
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._reported: set[TopicPartition] = set()  # partitions whose lag gauge this run set
        self.applied = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self.heartbeat = Heartbeat()  # beats after each poll whose batches were all applied

    @property
    def name(self) -> str:
        return f"subscription:{self.options.group}"

    @property
    def handler(self) -> Handler:
        """The handler this subscription applies (ops re-run dead letters through it)."""
        return self._handler

    def stop(self) -> None:
        """Finish the batch in flight, commit it, leave the group and return from `run()`."""
        self._stopping.set()

    async def run(self) -> None:
        """Consume until `stop()`. May be called again after it raised: each run has its own
        consumer and producer, both closed however the run ends."""
        group = self.options.group
        # A new run is assigned partitions afresh and trusts only the positions stored then.
        self._state.positions.clear()
        await ensure_dead_letter_topics(
            self._bootstrap, [dead_letter_topic(t, group) for t in self.options.topics]
        )
        try:
            async with AsyncExitStack() as resources:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap, enable_idempotence=True, acks="all"
                )
                resources.push_async_callback(producer.stop)
                await producer.start()
                consumer = AIOKafkaConsumer(
                    bootstrap_servers=self._bootstrap, **self.options.consumer_settings()
                )
                resources.push_async_callback(stop_consumer, consumer)
                consumer.subscribe(
                    list(self.options.topics),
                    listener=PositionRebalanceListener(consumer, self._state),
                )
                await consumer.start()
                self._consumer = consumer
                resources.callback(self._forget_consumer)
                log.info("subscription.started", group=group, topics=self.options.topics)
                await self._consume(consumer, producer)
        finally:
            log.info("subscription.stopped", group=group)

    async def _consume(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        while not self._stopping.is_set():
            batches = await consumer.getmany(
                timeout_ms=self.options.poll_timeout_ms, max_records=self.options.max_batch
            )
            if await self._apply_all(consumer, producer, batches):
                self.heartbeat.beat()
            # Every poll, fetched records or not: the fetches of an idle poll bring each
            # partition's high watermark too, so a partition that was behind when its last
            # batch was applied reads zero once that was all (a gauge set only after a batch
            # kept its last reading while nothing more came).
            self._report_lag(consumer)

    def _forget_consumer(self) -> None:
        """The run is over: it owns no partition, so it reports no lag for any (another
        member, or this one's next run, reports what it is assigned)."""
        self._consumer = None
        for tp in self._reported:
            metrics.SUBSCRIPTION_LAG.remove(self.options.group, tp.topic, tp.partition)
        self._reported.clear()

    async def _apply_all(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
    ) -> bool:
        """Apply every partition's batch; False (after a pause) if the database or broker
        failed one, whose records are then read again.

        The batches share one connection, checked out (and pinged) once per poll rather than
        once per partition: each is still its own transaction, committed before the next."""
        pending = dict(batches)
        try:
            if batches:
                async with self.engine.connect() as connection:
                    for tp, records in batches.items():
                        await self._apply_batch(connection, producer, tp, records)
                        del pending[tp]
        except (DBAPIError, OSError, KafkaError) as error:
            # Nothing of the failed batches was committed: read them again after a pause.
            log.warning("subscription.batch_failed", group=self.options.group, error=repr(error))
            for tp, records in pending.items():
                consumer.seek(tp, records[0].offset)
            await asyncio.sleep(self.options.failure_backoff)
            return False
        return True

    async def _apply_batch(
        self,
        connection: AsyncConnection,
        producer: AIOKafkaProducer,
        tp: TopicPartition,
        records: Sequence[ConsumerRecord[bytes, bytes]],
    ) -> None:
        """Apply fast (no savepoints); if any event fails, redo the batch carefully."""
        try:
            tally = await self._apply_in_transaction(
                connection, producer, tp, records, careful=False
            )
        except _NeedsCareful:
            tally = await self._apply_in_transaction(
                connection, producer, tp, records, careful=True
            )
        self.applied += tally.applied
        self.duplicates += tally.duplicates
        if self._on_applied is not None and tally.events:
            self._on_applied(tally.events)
        metrics.SUBSCRIPTION_APPLIED.labels(self.options.group).inc(tally.applied)
        metrics.SUBSCRIPTION_DUPLICATES.labels(self.options.group).inc(tally.duplicates)

    async def _apply_in_transaction(
        self,
        connection: AsyncConnection,
        producer: AIOKafkaProducer,
        tp: TopicPartition,
        records: Sequence[ConsumerRecord[bytes, bytes]],
        *,
        careful: bool,
    ) -> _Tally:
        tally = _Tally()
        with counted_on_commit():  # a batch redone carefully counts its events once
            async with connection.begin():
                next_offset = await self._state.lock_position(connection, tp)
                fresh = [record for record in records if record.offset >= next_offset]
                if not fresh:
                    return tally
                events = [_decoded(record) for record in fresh]
                streams = {e.stream_id for e in events if isinstance(e, ConsumedEvent)}
                applied = await self._state.load_sequences(connection, tp.topic, streams)
                todo: list[ConsumedEvent] = []
                for record, event in zip(fresh, events, strict=True):
                    if isinstance(event, UndecodableRecord):
                        if not careful:
                            raise _NeedsCareful
                        await self._dead_letter(producer, record, event, attempts=0)
                    elif self.options.dedupe_streams and event.sequence <= applied.get(
                        event.stream_id, 0
                    ):
                        tally.duplicates += 1
                    elif careful:
                        if await self._apply_one(connection, producer, event):
                            tally.applied += 1
                            tally.events.append(event)
                        applied[event.stream_id] = event.sequence
                    else:
                        todo.append(event)
                        applied[event.stream_id] = event.sequence
                if todo:
                    await self._apply_fast(connection, todo)
                    tally.applied += len(todo)
                    tally.events.extend(todo)
                await self._state.save(connection, tp, fresh[-1].offset + 1, applied)
        return tally

    async def _apply_fast(
        self, connection: AsyncConnection, events: Sequence[ConsumedEvent]
    ) -> None:
        """The fresh events of a batch, no savepoints: one batch-handler call, or one handler
        call per event."""
        try:
            if self._batch_handler is not None:
                with tracing.handling_batch(events, self.options.group):
                    await self._batch_handler(events, connection)
            else:
                for event in events:
                    with tracing.handling(event, self.options.group):
                        await self._handler(event, connection)
        except (OSError, asyncio.CancelledError):
            raise
        except DBAPIError as error:
            if error.connection_invalidated:
                raise
            raise _NeedsCareful from error
        except Exception as error:
            # Any handler failure sends the batch down the careful path (savepoints, retries,
            # dead letters); nothing of this attempt is committed.
            raise _NeedsCareful from error

    async def _apply_one(
        self, connection: AsyncConnection, producer: AIOKafkaProducer, event: ConsumedEvent
    ) -> int:
        """Apply with bounded retries, each in a savepoint; 1 if applied, 0 if dead-lettered."""
        backoff = self.options.retry_backoff
        for attempt in range(1, self.options.max_attempts + 1):
            try:
                with counted_on_commit(), tracing.handling(event, self.options.group):
                    async with connection.begin_nested():
                        await self._handler(event, connection)
            except (OSError, asyncio.CancelledError):
                raise
            except DBAPIError as error:
                if error.connection_invalidated:
                    raise
                failure: Exception = error
            except Exception as error:
                # Handlers are the services' code: any failure of theirs is retried a bounded
                # number of times and then dead-lettered, so one bad event cannot stop the group.
                failure = error
            else:
                return 1
            log.warning(
                "subscription.handler_failed",
                group=self.options.group,
                event_id=str(event.event_id),
                attempt=attempt,
                error=repr(failure),
            )
            if attempt < self.options.max_attempts:
                await asyncio.sleep(backoff)
                backoff *= 2
        await self._dead_letter(producer, event, failure, self.options.max_attempts)
        return 0

    async def _dead_letter(
        self,
        producer: AIOKafkaProducer,
        record: ConsumedEvent | ConsumerRecord[bytes, bytes],
        error: BaseException,
        attempts: int,
    ) -> None:
        topic = dead_letter_topic(record.topic, self.options.group)
        with tracing.dead_lettering(record.topic, topic, record.headers, self.options.group, error):
            await send_to_dead_letters(producer, record, self.options.group, error, attempts)
        self.dead_lettered += 1
        metrics.SUBSCRIPTION_DEAD_LETTERED.labels(self.options.group).inc()
        log.error(
            "subscription.dead_lettered",
            group=self.options.group,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error=repr(error),
        )

    def _report_lag(self, consumer: AIOKafkaConsumer) -> None:
        """The lag gauge of each assigned partition: its high watermark as last fetched
        against the position last committed (both known only once the partition was fetched
        and its stored position read). A partition no longer assigned drops its gauge here
        as well as in the revoke listener: a member that lost its assignment without that call
        (removed from the group while it was too busy to heartbeat) left its last reading for
        ever."""
        assigned = consumer.assignment()
        for tp in self._reported - assigned:
            metrics.SUBSCRIPTION_LAG.remove(self.options.group, tp.topic, tp.partition)
        self._reported &= assigned
        for tp in assigned:
            highwater = consumer.highwater(tp)
            position = self._state.positions.get(tp)
            if highwater is not None and position is not None:
                metrics.SUBSCRIPTION_LAG.labels(self.options.group, tp.topic, tp.partition).set(
                    max(highwater - position, 0)
                )
                self._reported.add(tp)

    async def lag(self) -> dict[TopicPartition, int]:
        """Records per assigned partition that the group has not applied yet."""
        consumer = self._consumer
        if consumer is None:
            return {}
        assigned = list(consumer.assignment())
        if not assigned:
            return {}
        ends = await consumer.end_offsets(assigned)
        positions = await self._state.read_positions(assigned)
        return {tp: max(ends[tp] - positions.get(tp, 0), 0) for tp in assigned}


class _NeedsCareful(Exception):
    """The fast path met a failing event; the batch is redone with savepoints and retries."""


@dataclass
class _Tally:
    applied: int = 0
    duplicates: int = 0
    events: list[ConsumedEvent] = field(default_factory=list)  # applied, in offset order


async def stop_consumer(consumer: AIOKafkaConsumer) -> None:
    """`consumer.stop()`, also when aiokafka's `Fetcher.close` lets out the CancelledError of a
    fetch task it cancelled (one waiting in its retry backoff after a broker died; aiokafka
    0.14): that error is not a cancellation of this task, and left alone it would end the
    worker for good (its supervisor restarts failures, not cancellations) with the consumer's
    connections still open. A real cancellation of this task is passed on."""
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        log.warning("subscription.consumer_stop_interrupted", error="CancelledError")
        # What `stop()` had left to do after the fetcher: close the client's connections.
        await consumer._client.close()


def dead_letter_retry(
    engine: AsyncEngine, bootstrap: str, topic: str, group: str, handler: Handler
) -> Subscription:
    """A subscription that applies what `group` dead-lettered from `topic` (ops retry).

    It is its own group (`<group>.retry`) with its own positions, so each dead letter is
    applied once; what fails again lands in that group's own dead-letter topic.
    """
    options = SubscriptionOptions(
        group=f"{group}.retry", topics=(dead_letter_topic(topic, group),), dedupe_streams=False
    )
    return Subscription(engine, bootstrap, options, handler)


def _decoded(record: ConsumerRecord[bytes, bytes]) -> ConsumedEvent | UndecodableRecord:
    try:
        return decode_record(
            record.topic, record.partition, record.offset, record.key, record.value, record.headers
        )
    except UndecodableRecord as error:
        return error
