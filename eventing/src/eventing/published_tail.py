"""Which events after a relay's checkpoint the topics already hold, read from the partitions' ends.

A relay that takes over, or retries after a failed publish, cannot tell whether the batch after
its checkpoint reached Kafka: the acknowledgement or the checkpoint write may be what was lost
(a crash, a PostgreSQL restart, a broker killed mid-batch). Only that one batch can be on a
topic ahead of the checkpoint (the next is sent once this one is acknowledged and checkpointed),
and the relay is the only writer of its events, so what reached Kafka of it is at the end of
its partitions. Each partition is read backwards a chunk at a time until a record that is not
one of the batch's; the relay then skips what was found, so no event is published twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.kafka_binding import header_name
from eventing.events import RecordedEvent
from eventing.partitions import topic_partitions

ID_HEADER = header_name("id")
CHUNK = 200  # records read per step back; a batch spreads over all partitions
TIMEOUT = 30.0  # seconds for the whole look; a broker that does not answer is an error


async def already_published(
    bootstrap: str, batch: Sequence[RecordedEvent], chunk: int = CHUNK, timeout: float = TIMEOUT
) -> set[uuid.UUID]:
    """The ids of the events of `batch` (the first after the checkpoint) on their topics;
    `TimeoutError`, a `KafkaError` or `UnknownTopic` when the topics cannot be read."""
    if not batch:
        return set()
    async with asyncio.timeout(timeout):
        return await _look(bootstrap, batch, chunk)


async def _look(bootstrap: str, batch: Sequence[RecordedEvent], chunk: int) -> set[uuid.UUID]:
    wanted = {event.event_id for event in batch}
    partitions = await topic_partitions(bootstrap, sorted({event.topic for event in batch}))
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, request_timeout_ms=10_000
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        begins = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        found: set[uuid.UUID] = set()
        for tp in partitions:
            found |= await _at_the_end(consumer, tp, begins[tp], ends[tp], wanted, chunk)
    finally:
        await consumer.stop()
    return found


async def _at_the_end(
    consumer: AIOKafkaConsumer,
    tp: TopicPartition,
    begin: int,
    end: int,
    wanted: set[uuid.UUID],
    chunk: int,
) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    stop = end
    while stop > begin:
        start = max(begin, stop - chunk)
        ids = await _ids_between(consumer, tp, start, stop)
        found |= wanted.intersection(i for i in ids if i is not None)
        if any(i not in wanted for i in ids):
            break  # an older record (or not the relay's): the batch's are all after it
        stop = start
    return found


async def _ids_between(
    consumer: AIOKafkaConsumer, tp: TopicPartition, start: int, stop: int
) -> list[uuid.UUID | None]:
    consumer.seek(tp, start)
    ids: list[uuid.UUID | None] = []
    while await consumer.position(tp) < stop:
        batches = await consumer.getmany(tp, timeout_ms=500)
        ids.extend(_event_id(r.headers) for r in batches.get(tp, []) if r.offset < stop)
    return ids


def _event_id(headers: Sequence[tuple[str, bytes | None]]) -> uuid.UUID | None:
    """The record's `ce_id`; None for a record without one (not the relay's)."""
    for name, value in headers:
        if name == ID_HEADER and value is not None:
            try:
                return uuid.UUID(value.decode(errors="replace"))
            except ValueError:
                return None
    return None
