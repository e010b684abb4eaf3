"""Following a topic as any outside consumer would: no group, nothing committed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from contracts.errors import ContractError
from contracts.kafka_binding import HEADER_PREFIX, from_kafka
from contracts.parties import SERVICES
from contracts.topics import TOPICS
from orderctl.connections import kafka_admin, kafka_consumer
from orderctl.errors import BadInput
from orderctl.kafka_offsets import partitions_of
from orderctl.settings import OrderctlSettings
from orderctl.summaries import masked_data, summarize
from orderctl.times import format_time


def resolve_topic(settings: OrderctlSettings, name: str) -> str:
    """A short name (order, logistics, aftersales), a catalog name or a configured topic."""
    cleaned = name.strip()
    for service in SERVICES:
        if cleaned.lower() == service.value:
            return settings.topic(service)
    known = {spec.name for spec in TOPICS} | {settings.topic(s) for s in SERVICES}
    if cleaned in known or ".dlq." in cleaned:
        return cleaned
    shown = ", ".join(sorted({s.value for s in SERVICES} | known))
    raise BadInput(f"unknown topic {name!r}: use one of {shown}")


@dataclass(frozen=True, slots=True)
class TailedEvent:
    """One record of the topic, decoded when it is a valid contracts event."""

    partition: int
    offset: int
    event_type: str
    order_id: str
    sequence: str
    time: datetime | None
    data: dict[str, Any] | None
    schema_version: int
    problem: str | None = None  # why the record could not be decoded

    def line(self, *, unmasked: bool) -> str:
        where = f"p{self.partition}@{self.offset}"
        if self.problem is not None:
            return f"{where}  undecodable record: {self.problem}"
        summary = summarize(
            self.data or {},
            event_type=self.event_type,
            schema_version=self.schema_version,
            unmasked=unmasked,
        )
        return (
            f"{format_time(self.time)}  {self.event_type:<28} {self.order_id}"
            f"  seq={self.sequence}  {where}  {summary}"
        )

    def document(self, *, unmasked: bool) -> dict[str, Any]:
        return {
            "partition": self.partition,
            "offset": self.offset,
            "type": self.event_type,
            "order_id": self.order_id,
            "sequence": self.sequence,
            "time": self.time.isoformat() if self.time else None,
            "data": masked_data(
                self.data or {},
                event_type=self.event_type,
                schema_version=self.schema_version,
                unmasked=unmasked,
            ),
            "problem": self.problem,
        }


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str:
    for key, value in record.headers:
        if key == HEADER_PREFIX + name and value is not None:
            return bytes(value).decode("utf-8", "replace")
    return ""


def decode(record: ConsumerRecord[bytes, bytes]) -> TailedEvent:
    """The record as a contracts envelope, or the reason it is not one."""
    headers = [(key, value) for key, value in record.headers]
    try:
        envelope = from_kafka(record.key, record.value, headers)
    except ContractError as error:
        return TailedEvent(
            record.partition,
            record.offset,
            _header(record, "type"),
            _header(record, "subject"),
            _header(record, "sequence"),
            None,
            None,
            1,
            problem=str(error).splitlines()[0],
        )
    return TailedEvent(
        partition=record.partition,
        offset=record.offset,
        event_type=envelope.type,
        order_id=envelope.subject,
        sequence=str(envelope.sequence),
        time=envelope.time,
        data=envelope.data.model_dump(mode="json"),
        schema_version=envelope.dataversion,
    )


async def _seek(
    consumer: AIOKafkaConsumer,
    partitions: list[TopicPartition],
    since: datetime | None,
    from_beginning: bool,
) -> None:
    if from_beginning:
        await consumer.seek_to_beginning(*partitions)
    elif since is not None:
        found = await consumer.offsets_for_times(
            {tp: int(since.timestamp() * 1000) for tp in partitions}
        )
        ends = await consumer.end_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, found[tp].offset if found[tp] else ends[tp])
    else:
        await consumer.seek_to_end(*partitions)


async def tail(
    settings: OrderctlSettings,
    topic: str,
    emit: Callable[[TailedEvent], None],
    *,
    types: Sequence[str] = (),
    from_beginning: bool = False,
    since: datetime | None = None,
    max_events: int | None = None,
    on_ready: Callable[[], None] | None = None,
) -> int:
    """Print events as they arrive until `max_events` (or Ctrl-C); the number shown."""
    async with kafka_admin(settings) as admin:
        partitions = await partitions_of(admin, [topic])
    shown = 0
    async with kafka_consumer(settings) as consumer:
        consumer.assign(partitions)
        await _seek(consumer, partitions, since, from_beginning)
        if on_ready is not None:
            on_ready()
        while max_events is None or shown < max_events:
            batches = await consumer.getmany(timeout_ms=500)
            records = sorted(
                (r for rs in batches.values() for r in rs),
                key=lambda r: (r.timestamp, r.partition, r.offset),
            )
            for record in records:
                if types and _header(record, "type") not in types:
                    continue
                emit(decode(record))
                shown += 1
                if max_events is not None and shown >= max_events:
                    break
    return shown
