"""Stored events to Kafka records and back, in the one CloudEvents binding
(`contracts.kafka_binding`, whose `header_name` names every header the relay's encoder writes)."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.envelope import (
    DATACONTENTTYPE,
    SCHEMA_BASE_URI,
    SPECVERSION,
    format_sequence,
    format_time,
    schema_uri,
)
from contracts.kafka_binding import HEADER_PREFIX, header_name
from eventing.events import JsonText, RecordedEvent, decode_json

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


def cloudevents_encoder(source: str, schemas: str = SCHEMA_BASE_URI) -> EventEncoder:
    """An encoder stamping `source` (e.g. `/orderflow/order`) on every event, and a
    `dataschema` under `schemas` (the producer's `ServiceSettings.schemas_base()`, where it
    serves them; the default, the schemas' `$id`, serves replays that only read the version).

    Headers in this order: specversion, id, source, type, subject, time, dataschema,
    sequence, then correlationid, causationid, actor, actorid, traceparent, tracestate when
    present, content-type.
    The headers that repeat (source, type, dataschema) are built once: the relay encodes
    every event it publishes.
    """
    specversion = (header_name("specversion"), SPECVERSION.encode())
    source_header = (header_name("source"), source.encode())
    content_type = (header_name("datacontenttype"), DATACONTENTTYPE.encode())

    @functools.lru_cache(maxsize=1024)
    def type_headers(event_type: str, schema_version: int) -> Headers:
        dataschema = schema_uri(event_type, schema_version, schemas)
        return (
            (_TYPE, event_type.encode()),
            (_DATASCHEMA, dataschema.encode()),
        )

    def encode(event: RecordedEvent) -> OutgoingRecord:
        type_header, dataschema_header = type_headers(event.event_type, event.schema_version)
        subject = event.stream_id.encode()
        headers = [
            specversion,
            (_ID, str(event.event_id).encode()),
            source_header,
            type_header,
            (_SUBJECT, subject),
            (_TIME, format_time(event.occurred_at).encode()),
            dataschema_header,
            (_SEQUENCE, format_sequence(event.stream_version).encode()),
        ]
        metadata = event.metadata
        for name, attribute in (
            (_CORRELATION_ID, metadata.correlation_id),
            (_CAUSATION_ID, metadata.causation_id),
            (_ACTOR, metadata.actor),
            (_ACTOR_ID, metadata.actor_id),
            (_TRACEPARENT, metadata.traceparent),
            (_TRACESTATE, metadata.tracestate),
        ):
            if attribute is not None:
                headers.append((name, attribute.encode()))
        headers.append(content_type)
        value = event_data_json(event).encode()
        return OutgoingRecord(event.topic, subject, value, tuple(headers))

    return encode


_ID, _TYPE, _SUBJECT, _TIME, _DATASCHEMA, _SEQUENCE = map(
    header_name, ("id", "type", "subject", "time", "dataschema", "sequence")
)
_CORRELATION_ID, _CAUSATION_ID, _ACTOR, _ACTOR_ID, _TRACEPARENT, _TRACESTATE = map(
    header_name, ("correlationid", "causationid", "actor", "actorid", "traceparent", "tracestate")
)


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
        return decode_json(self.value)

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
    """The consumed record's attributes; raises `UndecodableRecord` when essentials are missing.

    Called for every record a subscription or a rebuild reads, so the loop keeps the header
    pairs it was given instead of building new ones, and the attribute names of the headers
    seen are remembered."""
    kept: list[tuple[str, bytes]] = []
    attributes: dict[str, str] = {}
    for header in headers:
        name, raw = header
        if raw is None:
            continue
        kept.append(header)  # type: ignore[arg-type]  # raw is not None
        attribute = _ATTRIBUTES.get(name) or _attribute(name)
        if attribute:
            attributes[attribute] = raw.decode("utf-8", "replace")
    if value is None:
        raise UndecodableRecord(f"{topic}/{partition}@{offset} has no value")
    try:
        return ConsumedEvent(
            topic=topic,
            partition=partition,
            offset=offset,
            event_id=_uuid(attributes["id"]),
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


# Header name -> CloudEvents attribute ("" for any other header), for the names seen so far;
# bounded, since header names come from whoever produced the record.
_ATTRIBUTES: dict[str, str] = {}
_ATTRIBUTES_KEPT = 256


def _attribute(name: str) -> str:
    attribute = name.removeprefix(HEADER_PREFIX) if name.startswith(HEADER_PREFIX) else ""
    if len(_ATTRIBUTES) < _ATTRIBUTES_KEPT:
        _ATTRIBUTES[name] = attribute
    return attribute


def _uuid(text: str) -> uuid.UUID:
    """`uuid.UUID(text)`, without its prefix and brace handling for the usual hyphenated form."""
    digits = text.replace("-", "")
    if len(digits) == 32:
        return uuid.UUID(int=int(digits, 16))
    return uuid.UUID(text)
