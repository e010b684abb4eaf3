"""Contracts payloads to stored events and back, and consumed records to typed envelopes.

Services use the `contracts` payload classes as their domain events; this is the one place
that turns them into rows for the event store and reads rows and Kafka records back (with
upcasting to the current version, through the contracts registry).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import datetime

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from contracts.catalog import REGISTRY
from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.kafka_binding import from_kafka
from contracts.parties import Service
from contracts.registry import EventRegistry, describe_validation_error
from eventing.encoding import ConsumedEvent, cloudevents_encoder, decode_record, event_data_json
from eventing.events import EventMetadata, JsonObject, NewEvent, RecordedEvent


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
        """The event to append for `payload` (type and schema version from its class).

        The contracts require an actor and a correlation id on every event: an event without a
        correlation id starts a new flow (its own id), one without an actor is a bug. The data
        is validated against its contract as a consumer will read it; a payload that escaped
        validation (`model_construct`, a mutated copy) raises `UnpublishableEvent`, so it is never
        stored nor published.
        """
        if metadata.actor is None:
            raise ValueError(f"{payload.event_type} needs an actor in its metadata")
        event_id = uuid.uuid4()
        if metadata.correlation_id is None:
            metadata = replace(metadata, correlation_id=str(event_id))
        return NewEvent(
            event_type=payload.event_type,
            data=_checked_data(payload),
            schema_version=payload.event_version,
            event_id=event_id,
            metadata=metadata,
            occurred_at=occurred_at,
        )

    def decode(self, recorded: RecordedEvent) -> EventPayload:
        """The stored event's payload at the current version of its type."""
        return self.registry.load(
            recorded.event_type, recorded.schema_version, event_data_json(recorded)
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


class UnpublishableEvent(Exception):
    """A producer built an event its own contract refuses: a programming error, never stored.

    Not a `ContractError`: consumers dead-letter those for input they received, while this one
    is the producer's own bug and must fail the command (its transaction rolls back).
    """

    def __init__(self, event_type: str, version: int, problem: str) -> None:
        super().__init__(f"refusing to store {event_type} v{version}: {problem}")
        self.event_type = event_type
        self.version = version


def _checked_data(payload: EventPayload) -> JsonObject:
    # Strict JSON-mode validation of the very text stored: the reader's view, not the writer's.
    try:
        text = payload.model_dump_json(warnings="none")
        type(payload).model_validate_json(text, strict=True)
    except ValidationError as error:
        problem = describe_validation_error(error)
        raise UnpublishableEvent(payload.event_type, payload.event_version, problem) from None
    except PydanticSerializationError as error:  # e.g. a lone surrogate: not JSON at all
        problem = f"cannot be written as JSON: {error}"
        raise UnpublishableEvent(payload.event_type, payload.event_version, problem) from None
    data: JsonObject = json.loads(text)
    return data
