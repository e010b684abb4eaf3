"""Stored events to Kafka records and back: the CloudEvents Kafka binding, binary mode.

The layout matches `contracts.kafka_binding` (attributes as `ce_*` headers, JSON payload as the
value, key = subject), so `contracts.kafka_binding.from_kafka` reads what the relay writes and
any CloudEvents consumer reads a topic without our code. Encoding is a plain function, so a
service can plug in another one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.envelope import format_time, schema_uri
from contracts.kafka_binding import CONTENT_TYPE_HEADER, HEADER_PREFIX
from eventing.events import JsonText, RecordedEvent

Headers = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True)
class OutgoingRecord:
    """What the relay hands to the producer for one stored event."""

    topic: str
    key: bytes
    value: bytes
    headers: Headers


EventEncoder = Callable[[RecordedEvent], OutgoingRecord]


class UndecodableRecord(ValueError):
    """A consumed record lacks the attributes every event carries (id, type, subject, sequence)."""


def cloudevents_encoder(source: str) -> EventEncoder:
    """An encoder stamping `source` (e.g. `/orderflow/order`) on every event."""

    def encode(event: RecordedEvent) -> OutgoingRecord:
        attributes: dict[str, str | None] = {
            "specversion": "1.0",
            "id": str(event.event_id),
            "source": source,
            "type": event.event_type,
            "subject": event.stream_id,
            "time": format_time(event.occurred_at),
            "dataschema": schema_uri(event.event_type, event.schema_version),
            "sequence": str(event.stream_version),
            "correlationid": event.metadata.correlation_id,
            "causationid": event.metadata.causation_id,
            "actor": event.metadata.actor,
            "actorid": event.metadata.actor_id,
        }
        headers = [(HEADER_PREFIX + k, v.encode()) for k, v in attributes.items() if v is not None]
        headers.append((CONTENT_TYPE_HEADER, b"application/json"))
        value = event_data_json(event).encode()
        return OutgoingRecord(event.topic, event.stream_id.encode(), value, tuple(headers))

    return encode


def event_data_json(event: RecordedEvent) -> str:
    """The record value: the stored text when the reader kept it (relay), else compact JSON."""
    if isinstance(event.data, JsonText):
        return event.data.text
    return json.dumps(event.data, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class ConsumedEvent:
    """A record read from Kafka with the CloudEvents attributes a subscription needs.

    The raw key, value and headers are kept so a handler can decode the typed envelope with
    `contracts.kafka_binding.from_kafka`.
    """

    topic: str
    partition: int
    offset: int
    event_id: uuid.UUID
    event_type: str
    stream_id: str
    sequence: int
    attributes: dict[str, str]
    key: bytes | None
    value: bytes
    headers: Headers

    @property
    def data(self) -> Any:
        return json.loads(self.value)

    @property
    def time(self) -> datetime | None:
        raw = self.attributes.get("time")
        return datetime.fromisoformat(raw) if raw else None


def decode_record(
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    headers: Iterable[tuple[str, bytes | None]],
) -> ConsumedEvent:
    """The consumed record's attributes; raises `UndecodableRecord` when essentials are missing."""
    kept: list[tuple[str, bytes]] = []
    attributes: dict[str, str] = {}
    for name, raw in headers:
        if raw is None:
            continue
        kept.append((name, raw))
        if name.startswith(HEADER_PREFIX):
            attributes[name.removeprefix(HEADER_PREFIX)] = raw.decode("utf-8", "replace")
    if value is None:
        raise UndecodableRecord(f"{topic}/{partition}@{offset} has no value")
    try:
        return ConsumedEvent(
            topic=topic,
            partition=partition,
            offset=offset,
            event_id=uuid.UUID(attributes["id"]),
            event_type=attributes["type"],
            stream_id=attributes["subject"],
            sequence=int(attributes["sequence"]),
            attributes=attributes,
            key=key,
            value=value,
            headers=tuple(kept),
        )
    except (KeyError, ValueError) as error:
        raise UndecodableRecord(f"{topic}/{partition}@{offset}: bad attribute {error}") from error
