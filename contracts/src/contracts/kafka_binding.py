"""The CloudEvents Kafka protocol binding, binary mode: attributes in `ce_` headers, data as value.

The key is the order id, so all events of one order land on one partition, in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from contracts.catalog import REGISTRY
from contracts.envelope import Envelope
from contracts.errors import InvalidAttribute, MalformedEvent
from contracts.registry import EventRegistry
from contracts.wire import WireValue, envelope_from_wire

HEADER_PREFIX = "ce_"
CONTENT_TYPE_HEADER = "content-type"


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    """What to hand to a Kafka producer: key, value and headers."""

    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


def to_kafka(envelope: Envelope) -> KafkaRecord:
    """Encode an envelope for Kafka; integers become decimal strings, as header values must."""
    headers: list[tuple[str, bytes]] = []
    for name, value in envelope.attributes().items():
        header = CONTENT_TYPE_HEADER if name == "datacontenttype" else HEADER_PREFIX + name
        headers.append((header, str(value).encode()))
    return KafkaRecord(
        key=envelope.subject.encode(), value=envelope.data_json(), headers=tuple(headers)
    )


def from_kafka(
    key: bytes | None,
    value: bytes | None,
    headers: Iterable[tuple[str, bytes | None]],
    registry: EventRegistry = REGISTRY,
) -> Envelope:
    """Decode a consumed record; raises a `ContractError` subclass for anything malformed."""
    attributes = _attributes(headers)
    if value is None:
        raise MalformedEvent("record has no value (a tombstone is not an event)")
    envelope = envelope_from_wire(attributes, value, registry)
    if key is not None and key != envelope.subject.encode():
        raise InvalidAttribute("subject", f"record key {key!r} differs from the subject")
    return envelope


def _attributes(headers: Iterable[tuple[str, bytes | None]]) -> dict[str, WireValue]:
    attributes: dict[str, WireValue] = {}
    for header, raw in headers:
        lowered = header.lower()
        if lowered == CONTENT_TYPE_HEADER:
            name = "datacontenttype"
        elif lowered.startswith(HEADER_PREFIX):
            name = lowered.removeprefix(HEADER_PREFIX)
        else:
            continue
        if name in attributes:
            raise InvalidAttribute(name, f"header {header!r} appears twice")
        if raw is None:
            raise InvalidAttribute(name, f"header {header!r} has no value")
        try:
            attributes[name] = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidAttribute(name, f"header {header!r} is not UTF-8") from None
    return attributes
