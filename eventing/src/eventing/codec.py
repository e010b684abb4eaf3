"""Contracts payloads to stored events and back, and consumed records to typed envelopes.

Services use the `contracts` payload classes as their domain events; this is the one place
that turns them into rows for the event store and reads rows and Kafka records back (with
upcasting to the current version, through the contracts registry).
"""

from __future__ import annotations

import json
from datetime import datetime

from contracts.catalog import REGISTRY
from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.kafka_binding import from_kafka
from contracts.parties import Service
from contracts.registry import EventRegistry
from eventing.encoding import ConsumedEvent, cloudevents_encoder, decode_record
from eventing.events import EventMetadata, NewEvent, RecordedEvent


class ContractsCodec:
    """Encodes and decodes the contracts event payloads (one registry, upcasting included)."""

    def __init__(self, registry: EventRegistry = REGISTRY) -> None:
        self.registry = registry

    def encode(
        self,
        payload: EventPayload,
        metadata: EventMetadata,
        *,
        occurred_at: datetime | None = None,
    ) -> NewEvent:
        """The event to append for `payload` (type and schema version from its class)."""
        return NewEvent(
            event_type=payload.event_type,
            data=payload.model_dump(mode="json"),
            schema_version=payload.event_version,
            metadata=metadata,
            occurred_at=occurred_at,
        )

    def decode(self, recorded: RecordedEvent) -> EventPayload:
        """The stored event's payload at the current version of its type."""
        return self.registry.load(
            recorded.event_type, recorded.schema_version, json.dumps(dict(recorded.data))
        )

    def envelope(self, consumed: ConsumedEvent) -> Envelope:
        """The typed envelope of a consumed record (raises a contracts `ContractError`)."""
        return from_kafka(consumed.key, consumed.value, consumed.headers, self.registry)

    def consumed_from_recorded(self, recorded: RecordedEvent) -> ConsumedEvent:
        """A stored event as the relay would have published it, so a projector written for
        consumed records can also replay the event store (partition -1, offset = position)."""
        source = Service(recorded.event_type.split(".", 1)[0]).source
        record = cloudevents_encoder(source)(recorded)
        return decode_record(
            record.topic, -1, recorded.position, record.key, record.value, record.headers
        )
