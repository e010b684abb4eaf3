"""The topics as any outside consumer reads them, decoded (so validated) by the contracts."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer

from contracts.envelope import Envelope
from contracts.kafka_binding import from_kafka
from eventing.partitions import topic_partitions
from eventing.testing import eventually


async def published(bootstrap: str, topic: str) -> list[Envelope]:
    """Every event on `topic` now, in partition order, decoded (so validated) by the contracts.

    Raises the contracts' `ContractError` for any record that does not follow them.
    """
    partitions = await topic_partitions(bootstrap, [topic])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    envelopes: list[Envelope] = []
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                envelopes.extend(from_kafka(r.key, r.value, r.headers) for r in batch)
    finally:
        await consumer.stop()
    return envelopes


async def published_when(
    bootstrap: str, topic: str, condition: Callable[[list[Envelope]], bool], what: str
) -> list[Envelope]:
    """Read the whole topic again until `condition` holds for what it holds."""

    async def read() -> list[Envelope]:
        return await published(bootstrap, topic)

    return await eventually(read, condition, message=what)


def types_of(envelopes: list[Envelope], order_id: str) -> list[str]:
    """The event types of one order, first deliveries only, in the order they were published."""
    return [e.data.event_type for e in first_deliveries(envelopes) if e.subject == order_id]


def has_types(order_id: str, types: list[str]) -> Callable[[list[Envelope]], bool]:
    """Condition: the order's events on a topic are exactly `types` so far."""
    return lambda envelopes: types_of(envelopes, order_id) == types


def first_deliveries(envelopes: list[Envelope]) -> list[Envelope]:
    seen: set[uuid.UUID] = set()
    firsts = []
    for envelope in envelopes:
        if envelope.id not in seen:
            seen.add(envelope.id)
            firsts.append(envelope)
    return firsts


def out_of_order_streams(envelopes: list[Envelope]) -> dict[str, list[int]]:
    """Streams (orders) whose events were not published in stream sequence order.

    A redelivery of an event already seen (same id) is allowed: consumers dedupe by id.
    """
    sequences: dict[str, list[int]] = {}
    for envelope in first_deliveries(envelopes):
        sequences.setdefault(envelope.subject, []).append(envelope.sequence)
    return {
        stream: seen
        for stream, seen in sequences.items()
        if any(later <= earlier for earlier, later in itertools.pairwise(seen))
    }
