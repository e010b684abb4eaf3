"""Subscriptions on the real Kafka and PostgreSQL: exactly-once effect, dedupe, dead letters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing.dead_letters import dead_letter_topic
from eventing.encoding import ConsumedEvent, OutgoingRecord
from eventing.subscriptions import (
    BatchHandler,
    Handler,
    Subscription,
    SubscriptionOptions,
    dead_letter_retry,
)
from eventing.testing.kafka import publish_records, read_topic, synthetic_record
from eventing.testing.waiting import eventually
from localinfra.testing import InfraEndpoints

pytestmark = pytest.mark.integration

TopicFactory = Callable[..., Awaitable[str]]


class Poison(Exception):
    """The test handler refuses events marked as poison."""


@pytest.fixture
async def applied_table(engine: AsyncEngine) -> AsyncEngine:
    async with engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE applied (event_id uuid, stream_id text, sequence bigint)")
        )
    return engine


async def record_applied(event: ConsumedEvent, connection: AsyncConnection) -> None:
    if event.data.get("poison"):
        raise Poison(f"cannot apply {event.event_id}")
    await connection.execute(
        text("INSERT INTO applied (event_id, stream_id, sequence) VALUES (:id, :stream, :seq)"),
        {"id": event.event_id, "stream": event.stream_id, "seq": event.sequence},
    )


_RECORD_BATCH = text(
    "INSERT INTO applied (event_id, stream_id, sequence)"
    " SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:streams AS text[]),"
    " CAST(:seqs AS bigint[]))"
)


class BatchRecorder:
    """A set-based batch handler: one statement per batch; remembers the batches it got."""

    def __init__(self, *, refuse_poison: bool = True) -> None:
        self.batches: list[list[ConsumedEvent]] = []
        self._refuse_poison = refuse_poison

    async def __call__(self, events: Sequence[ConsumedEvent], connection: AsyncConnection) -> None:
        self.batches.append(list(events))
        await connection.execute(
            _RECORD_BATCH,
            {
                "ids": [event.event_id for event in events],
                "streams": [event.stream_id for event in events],
                "seqs": [event.sequence for event in events],
            },
        )
        # Written first, refused after: the rollback must leave none of the batch behind.
        if self._refuse_poison and any(event.data.get("poison") for event in events):
            raise Poison("a poison event in the batch")


async def applied_counts(engine: AsyncEngine) -> tuple[int, int]:
    """(rows, distinct event ids) in the `applied` table."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(text("SELECT count(*), count(DISTINCT event_id) FROM applied"))
        ).one()
    return int(row[0]), int(row[1])


@pytest.fixture
async def topic(topic_factory: TopicFactory) -> str:
    return await topic_factory(3)


class Subscriptions:
    """Starts subscriptions of the test handler on one topic; stops them all at the end."""

    def __init__(self, engine: AsyncEngine, bootstrap: str, topic: str) -> None:
        self._engine, self._bootstrap, self._topic = engine, bootstrap, topic
        self._running: list[tuple[Subscription, asyncio.Task[None]]] = []

    def start(
        self,
        handler: Handler = record_applied,
        group: str = "projector",
        *,
        batch_handler: BatchHandler | None = None,
    ) -> Subscription:
        options = SubscriptionOptions(
            group=group, topics=(self._topic,), poll_timeout_ms=100, retry_backoff=0.01
        )
        subscription = Subscription(
            self._engine, self._bootstrap, options, handler, batch_handler=batch_handler
        )
        self._running.append((subscription, asyncio.create_task(subscription.run())))
        return subscription

    async def stop_all(self) -> None:
        running, self._running = self._running, []
        for subscription, task in running:
            subscription.stop()
            await task


@pytest.fixture
async def subscriptions(
    applied_table: AsyncEngine, infra: InfraEndpoints, topic: str
) -> AsyncIterator[Subscriptions]:
    pool = Subscriptions(applied_table, infra.kafka_bootstrap, topic)
    yield pool
    await pool.stop_all()


def _records(topic: str, streams: int, per_stream: int) -> list[OutgoingRecord]:
    return [
        synthetic_record(topic, f"order-{s}", seq, {"n": seq})
        for seq in range(1, per_stream + 1)
        for s in range(streams)
    ]


async def test_every_event_is_applied_exactly_once(
    subscriptions: Subscriptions, engine: AsyncEngine, infra: InfraEndpoints,
    topic: str,
) -> None:  # fmt: skip
    await publish_records(infra.kafka_bootstrap, _records(topic, streams=10, per_stream=30))

    subscription = subscriptions.start()
    counts = await eventually(
        lambda: applied_counts(engine), lambda c: c[1] >= 300, message="300 events applied"
    )

    assert counts == (300, 300)
    assert subscription.applied == 300


async def test_republished_duplicates_are_ignored_by_stream_sequence(
    subscriptions: Subscriptions, engine: AsyncEngine, infra: InfraEndpoints,
    topic: str,
) -> None:  # fmt: skip
    records = _records(topic, streams=5, per_stream=10)
    await publish_records(infra.kafka_bootstrap, records)
    subscription = subscriptions.start()
    await eventually(lambda: applied_counts(engine), lambda c: c[1] >= 50, message="applied")

    await publish_records(infra.kafka_bootstrap, records)  # a relay redelivering after a crash
    await eventually(
        lambda: _as_future(subscription.duplicates), lambda d: d >= 50, message="dupes seen"
    )

    assert await applied_counts(engine) == (50, 50)
    assert await eventually(subscription.lag, lambda lag: sum(lag.values()) == 0)


async def test_a_poison_event_is_dead_lettered_with_its_error_and_the_rest_are_applied(
    subscriptions: Subscriptions, engine: AsyncEngine, infra: InfraEndpoints,
    topic: str,
) -> None:  # fmt: skip
    poison_id = uuid.uuid4()
    records = [
        synthetic_record(topic, "order-1", 1, {"n": 1}),
        synthetic_record(topic, "order-1", 2, {"poison": True}, event_id=poison_id),
        synthetic_record(topic, "order-1", 3, {"n": 3}),
    ]
    await publish_records(infra.kafka_bootstrap, records)

    subscription = subscriptions.start()
    await eventually(lambda: applied_counts(engine), lambda c: c[1] >= 2, message="applied")
    [dead] = await read_topic(
        infra.kafka_bootstrap, dead_letter_topic(topic, "projector"), until=lambda got: got != []
    )

    headers = dict(dead.headers)
    assert dead.event_id == poison_id
    assert b"Poison: cannot apply" in headers["dlq_error"]
    assert headers["dlq_origin_topic"] == topic.encode()
    assert headers["dlq_attempts"] == b"3"
    assert dead.data == {"poison": True}
    assert subscription.dead_lettered == 1


async def test_a_failed_attempt_leaves_no_partial_effect_behind(
    subscriptions: Subscriptions, engine: AsyncEngine, infra: InfraEndpoints,
    topic: str,
) -> None:  # fmt: skip
    attempts: list[uuid.UUID] = []

    async def flaky(event: ConsumedEvent, connection: AsyncConnection) -> None:
        await record_applied(event, connection)
        attempts.append(event.event_id)
        if len(attempts) == 1:
            raise RuntimeError("transient")

    await publish_records(infra.kafka_bootstrap, [synthetic_record(topic, "order-1", 1, {})])
    subscriptions.start(flaky)

    await eventually(lambda: applied_counts(engine), lambda c: c[0] >= 1, message="applied")
    assert await applied_counts(engine) == (1, 1)
    assert len(attempts) == 2


async def test_a_stopped_subscription_resumes_where_it_left_off(
    subscriptions: Subscriptions, engine: AsyncEngine, infra: InfraEndpoints, topic: str
) -> None:
    await publish_records(infra.kafka_bootstrap, _records(topic, streams=3, per_stream=10))
    subscriptions.start()
    await eventually(lambda: applied_counts(engine), lambda c: c[1] >= 30, message="first 30")
    await subscriptions.stop_all()  # graceful: commits its batch and leaves the group

    await publish_records(infra.kafka_bootstrap, _records(topic, streams=3, per_stream=20)[30:])
    resumed = subscriptions.start()
    await eventually(lambda: applied_counts(engine), lambda c: c[1] >= 60, message="next 30")

    assert await applied_counts(engine) == (60, 60)
    assert (resumed.applied, resumed.duplicates) == (30, 0)


async def _as_future(value: int) -> int:
    return value


async def test_dead_letters_can_be_retried_once_the_handler_is_fixed(
    subscriptions: Subscriptions, engine: AsyncEngine, infra: InfraEndpoints, topic: str
) -> None:
    poison = synthetic_record(topic, "order-1", 1, {"poison": True})
    await publish_records(infra.kafka_bootstrap, [poison])
    first = subscriptions.start()
    await eventually(lambda: _as_future(first.dead_lettered), lambda n: n == 1, message="dlq")

    async def fixed_handler(event: ConsumedEvent, connection: AsyncConnection) -> None:
        await record_applied(replace(event, value=b'{"fixed": true}'), connection)

    retry = dead_letter_retry(engine, infra.kafka_bootstrap, topic, "projector", fixed_handler)
    task = asyncio.create_task(retry.run())
    try:
        await eventually(lambda: applied_counts(engine), lambda c: c[0] >= 1, message="retried")
    finally:
        retry.stop()
        await task

    assert await applied_counts(engine) == (1, 1)


async def test_a_batch_handler_gets_each_partition_batch_once_fresh_and_in_order(
    subscriptions: Subscriptions, engine: AsyncEngine, infra: InfraEndpoints, topic: str
) -> None:
    records = _records(topic, streams=10, per_stream=30)
    await publish_records(infra.kafka_bootstrap, records)
    batch_handler = BatchRecorder()

    subscription = subscriptions.start(batch_handler=batch_handler)
    await eventually(lambda: applied_counts(engine), lambda c: c[1] >= 300, message="applied")
    await publish_records(infra.kafka_bootstrap, records)  # a relay redelivering after a crash
    await eventually(
        lambda: _as_future(subscription.duplicates), lambda d: d >= 300, message="dupes seen"
    )

    assert await applied_counts(engine) == (300, 300)
    assert sum(len(batch) for batch in batch_handler.batches) == 300
    assert max(len(batch) for batch in batch_handler.batches) > 1
    for batch in batch_handler.batches:
        assert len({(event.topic, event.partition) for event in batch}) == 1
        assert [event.offset for event in batch] == sorted(event.offset for event in batch)
    assert subscription.applied == 300


async def test_a_failing_batch_is_redone_one_event_at_a_time_with_the_event_handler(
    subscriptions: Subscriptions, engine: AsyncEngine, infra: InfraEndpoints, topic: str
) -> None:
    poison_id = uuid.uuid4()
    records = [
        synthetic_record(topic, "order-1", 1, {"n": 1}),
        synthetic_record(topic, "order-1", 2, {"poison": True}, event_id=poison_id),
        synthetic_record(topic, "order-1", 3, {"n": 3}),
    ]
    await publish_records(infra.kafka_bootstrap, records)
    batch_handler = BatchRecorder()

    subscription = subscriptions.start(batch_handler=batch_handler)
    await eventually(lambda: applied_counts(engine), lambda c: c[1] >= 2, message="applied")
    [dead] = await read_topic(
        infra.kafka_bootstrap, dead_letter_topic(topic, "projector"), until=lambda got: got != []
    )

    assert dead.event_id == poison_id
    assert await applied_counts(engine) == (2, 2)  # the refused batch left nothing behind
    assert (subscription.applied, subscription.dead_lettered) == (2, 1)
    assert poison_id in {event.event_id for batch in batch_handler.batches for event in batch}
