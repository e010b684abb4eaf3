"""The public language of the order-lifecycle platform: event envelope, event schemas and topics.

Producers wrap a payload in an `Envelope` and call `to_kafka`; consumers call `from_kafka` and
match on `envelope.data`. Everything else (schemas, AsyncAPI, docs) is generated from here.
"""

from contracts.catalog import REGISTRY
from contracts.envelope import Envelope, schema_uri
from contracts.errors import (
    ContractError,
    InvalidAttribute,
    InvalidPayload,
    MalformedEvent,
    MissingAttribute,
    RegistryError,
    UnknownEventType,
    UnknownEventVersion,
    UnsupportedContentType,
    UnsupportedSpecVersion,
)
from contracts.events.base import EventPayload
from contracts.kafka_binding import KafkaRecord, from_kafka, to_kafka
from contracts.parties import Actor, Service
from contracts.registry import EventRegistry
from contracts.structured import (
    from_structured_dict,
    from_structured_json,
    to_structured_dict,
    to_structured_json,
)
from contracts.topics import TOPICS, TopicSpec, topic_for, topic_of_event_type
from contracts.upcasting import JsonObject, Upcaster, upcaster
from contracts.values import Address, LineItem, Money, Receiver, SkuQuantity, Waybill

__all__ = [
    "REGISTRY",
    "TOPICS",
    "Actor",
    "Address",
    "ContractError",
    "Envelope",
    "EventPayload",
    "EventRegistry",
    "InvalidAttribute",
    "InvalidPayload",
    "JsonObject",
    "KafkaRecord",
    "LineItem",
    "MalformedEvent",
    "MissingAttribute",
    "Money",
    "Receiver",
    "RegistryError",
    "Service",
    "SkuQuantity",
    "TopicSpec",
    "UnknownEventType",
    "UnknownEventVersion",
    "UnsupportedContentType",
    "UnsupportedSpecVersion",
    "Upcaster",
    "Waybill",
    "from_kafka",
    "from_structured_dict",
    "from_structured_json",
    "schema_uri",
    "to_kafka",
    "to_structured_dict",
    "to_structured_json",
    "topic_for",
    "topic_of_event_type",
    "upcaster",
]
