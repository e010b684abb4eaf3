"""Reading a whole topic in tests, as any outside consumer would (no consumer group)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from eventing.encoding import ConsumedEvent, OutgoingRecord, cloudevents_encoder, decode_record
from eventing.events import EventMetadata, RecordedEvent
from eventing.partitions import topic_partitions
from eventing.testing.waiting import ConditionNotMet


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[Sequence[ConsumedEvent]], bool],
    timeout: float = 60.0,
) -> list[ConsumedEvent]:
    """Every record of `topic` from the beginning, read until `until(records)` holds.

    Records come in partition order within each partition; raises `ConditionNotMet` with a
    summary when the condition is still false at the end of the allowance.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[ConsumedEvent] = []
    try:
        partitions = await topic_partitions(bootstrap, [topic])
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout
        while not until(records):
            if time.monotonic() > deadline:
                raise ConditionNotMet(f"read {len(records)} records from {topic}; condition unmet")
            batches = await consumer.getmany(timeout_ms=200)
            for tp, batch in batches.items():
                records.extend(
                    decode_record(tp.topic, tp.partition, r.offset, r.key, r.value, r.headers)
                    for r in batch
                )
    finally:
        await consumer.stop()
    return records


def first_deliveries(records: Sequence[ConsumedEvent]) -> list[ConsumedEvent]:
    """The records with redeliveries (same event id seen before) removed."""
    seen: set[object] = set()
    firsts = []
    for record in records:
        if record.event_id not in seen:
            seen.add(record.event_id)
            firsts.append(record)
    return firsts


def sequences_by_stream(records: Sequence[ConsumedEvent]) -> dict[str, list[int]]:
    """Each stream's sequences in the order they were read."""
    streams: dict[str, list[int]] = {}
    for record in records:
        streams.setdefault(record.stream_id, []).append(record.sequence)
    return streams


def synthetic_record(
    topic: str,
    stream_id: str,
    sequence: int,
    data: dict[str, Any],
    *,
    event_type: str = "test.happened",
    event_id: uuid.UUID | None = None,
    source: str = "/orderflow/test",
) -> OutgoingRecord:
    """A record as the relay would publish it, without an event store behind it (`source`:
    the producing service's, e.g. `Service.LOGISTICS.source`, for a record its consumers are
    to take as that service's event)."""
    now = datetime.now(UTC)
    event = RecordedEvent(
        position=0,
        stream_id=stream_id,
        stream_version=sequence,
        event_id=event_id or uuid.uuid4(),
        event_type=event_type,
        schema_version=1,
        topic=topic,
        data=data,
        metadata=EventMetadata(correlation_id=stream_id, actor="system"),
        occurred_at=now,
        recorded_at=now,
    )
    return cloudevents_encoder(source)(event)


async def publish_records(bootstrap: str, records: Sequence[OutgoingRecord]) -> None:
    """Publish records with an idempotent producer and wait until all are acknowledged."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        futures = [
            await producer.send(r.topic, r.value, key=r.key, headers=list(r.headers))
            for r in records
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
