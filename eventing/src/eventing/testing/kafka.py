"""Reading a whole topic in tests, as any outside consumer would (no consumer group)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from eventing.encoding import ConsumedEvent, decode_record
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
        partitions = [TopicPartition(topic, p) for p in sorted(await _partitions(bootstrap, topic))]
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


async def _partitions(bootstrap: str, topic: str) -> set[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = {p["partition"] for p in described["partitions"]}
    if not partitions:
        raise ConditionNotMet(f"topic {topic} has no partitions")
    return partitions


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
