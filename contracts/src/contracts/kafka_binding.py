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


def header_name(attribute: str) -> str:
    """The header carrying a CloudEvents attribute: `content-type` for `datacontenttype`,
    `ce_<attribute>` for every other one (the relay's encoder builds its headers with it too)."""
    return CONTENT_TYPE_HEADER if attribute == "datacontenttype" else HEADER_PREFIX + attribute


def attribute_name(header: str) -> str | None:
    """The attribute a header carries (the inverse of `header_name`, any case); None when the
    header is not a CloudEvents one."""
    lowered = header.lower()
    if lowered == CONTENT_TYPE_HEADER:
        return "datacontenttype"
    if lowered.startswith(HEADER_PREFIX):
        return lowered.removeprefix(HEADER_PREFIX)
    return None


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    """What to hand to a Kafka producer: key, value and headers."""

    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


def to_kafka(envelope: Envelope) -> KafkaRecord:
    """Encode an envelope for Kafka; integers become decimal strings, as header values must."""
    headers = tuple(
        (header_name(name), str(value).encode()) for name, value in envelope.attributes().items()
    )
    return KafkaRecord(key=envelope.subject.encode(), value=envelope.data_json(), headers=headers)


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
        name = attribute_name(header)
        if name is None:
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
