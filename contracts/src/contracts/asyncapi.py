"""The AsyncAPI 3.0 document of every topic, its messages and who sends or receives them."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from contracts.envelope import DATACONTENTTYPE, schema_file
from contracts.events.base import EventPayload
from contracts.registry import EventRegistry
from contracts.sealing import SEALED_MARK
from contracts.topics import TopicSpec
from contracts.values import (
    MAX_ATTRIBUTE_LENGTH,
    MAX_TRACESTATE_LENGTH,
    SINGLE_LINE_PATTERN,
    TRACEPARENT_PATTERN,
)

HEADERS_SCHEMA = "CloudEventHeaders"

_HEADER_DESCRIPTIONS = {
    "ce_specversion": "CloudEvents version, always 1.0.",
    "ce_id": "Unique event id (UUID); consumers deduplicate on it.",
    "ce_source": "Producing service, /orderflow/<service>.",
    "ce_type": "Event type, <producer>.<fact>, e.g. order.paid.",
    "ce_subject": "The order id (also the record key).",
    "ce_time": "When the fact happened, RFC 3339 in UTC.",
    "ce_dataschema": "URI of the JSON Schema of the value: <base>/<type>/v<version>.json.",
    "ce_sequence": "Position of the event in its aggregate's stream (decimal string).",
    "ce_correlationid": "Shared by every event of one business flow.",
    "ce_causationid": "The command or event that caused this one.",
    "ce_actor": "Who caused it: buyer, seller, platform or system.",
    "ce_actorid": "Id of the person or job acting.",
    "ce_traceparent": "W3C trace context (CloudEvents distributed-tracing extension):"
    " <version>-<trace id>-<span id>-<flags>, the trace the event belongs to.",
    "ce_tracestate": "W3C vendor trace state that goes with ce_traceparent.",
    "content-type": "Always application/json.",
}
_OPTIONAL_HEADERS = {"ce_causationid", "ce_actorid", "ce_traceparent", "ce_tracestate"}
_ATTRIBUTE_BOUNDS = {
    "minLength": 1,
    "maxLength": MAX_ATTRIBUTE_LENGTH,
    "pattern": SINGLE_LINE_PATTERN,
}  # `contracts.values.AttributeText`, what `Envelope` holds these three to
_HEADER_BOUNDS: dict[str, dict[str, object]] = {
    **dict.fromkeys(("ce_correlationid", "ce_causationid", "ce_actorid"), _ATTRIBUTE_BOUNDS),
    "ce_traceparent": {"pattern": TRACEPARENT_PATTERN},  # `contracts.values.Traceparent`
    "ce_tracestate": {
        "minLength": 1,
        "maxLength": MAX_TRACESTATE_LENGTH,
        "pattern": SINGLE_LINE_PATTERN,
    },
}


def _package_version() -> str:
    try:
        return version("orderflow-contracts")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"


def _channel_id(topic: TopicSpec) -> str:
    return f"{topic.producer.value}Events"


def _sealed_fields(model: type[EventPayload]) -> list[str]:
    return [
        name
        for name, field in model.model_fields.items()
        if isinstance(field.json_schema_extra, dict) and SEALED_MARK in field.json_schema_extra
    ]


def _message(model: type[EventPayload]) -> dict[str, Any]:
    summary = (model.__doc__ or "").strip().splitlines()[0]
    sealed = _sealed_fields(model)
    described = (
        {
            "description": (
                f"Personal data sealed: {', '.join(f'`{n}`' for n in sealed)} is a Sealed object "
                "(AES-256-GCM under the buyer's data key `key_id`). A consumer without keys "
                "reads every other field and sees only the object; a service holding the KEK "
                "and the buyer's wrapped data key opens it with "
                '`contracts.sealing.open_sealed` (docs/events.md, "Personal data: sealed '
                'fields").'
            )
        }
        if sealed
        else {}
    )
    return {
        "name": model.event_type,
        "title": model.__name__,
        "summary": summary,
        **described,
        "contentType": DATACONTENTTYPE,
        "headers": {"$ref": f"#/components/schemas/{HEADERS_SCHEMA}"},
        "payload": {"$ref": f"./schemas/{schema_file(model.event_type, model.event_version)}"},
        "correlationId": {"location": "$message.header#/ce_correlationid"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "Order id."},
                "bindingVersion": "0.5.0",
            }
        },
    }


def _channel(topic: TopicSpec) -> dict[str, Any]:
    return {
        "address": topic.name,
        "description": f"{topic.description} Key: {topic.key}.",
        "messages": {
            event_type: {"$ref": f"#/components/messages/{event_type}"}
            for event_type in topic.event_types
        },
        "bindings": {
            "kafka": {
                "topic": topic.name,
                "partitions": topic.partitions,
                "topicConfiguration": {
                    "retention.ms": topic.retention_ms,
                    "cleanup.policy": [topic.config["cleanup.policy"]],
                },
                "bindingVersion": "0.5.0",
            }
        },
    }


def _operations(topic: TopicSpec) -> dict[str, Any]:
    channel = _channel_id(topic)
    messages = [
        {"$ref": f"#/channels/{channel}/messages/{event_type}"} for event_type in topic.event_types
    ]
    operations = {
        f"{topic.producer.value}Publishes": {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"The {topic.producer.value} service publishes its events (outbox relay).",
            "messages": messages,
        }
    }
    for consumer in topic.consumers:
        operations[f"{consumer.value}Consumes{channel[0].upper()}{channel[1:]}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"The {consumer.value} service subscribes with its own consumer group.",
            "messages": messages,
        }
    return operations


def _headers_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "CloudEvents 1.0 Kafka binary binding: attributes as headers.",
        "properties": {
            name: {"type": "string", "description": text, **_HEADER_BOUNDS.get(name, {})}
            for name, text in _HEADER_DESCRIPTIONS.items()
        },
        "required": [name for name in _HEADER_DESCRIPTIONS if name not in _OPTIONAL_HEADERS],
    }


def asyncapi_document(registry: EventRegistry, topics: tuple[TopicSpec, ...]) -> dict[str, Any]:
    """The whole document; message payloads refer to the checked-in JSON Schema files."""
    operations: dict[str, Any] = {}
    for topic in topics:
        operations.update(_operations(topic))
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Orderflow order-lifecycle events",
            "version": _package_version(),
            "description": (
                "Events of the order, logistics and aftersales services. Every message is a "
                "CloudEvent in Kafka binary mode: attributes in ce_* headers, JSON data as "
                "value, order id as key. Personal data (the receiver) is sealed in the value "
                "and readable only by the services that ship or arbitrate. See docs/events.md."
            ),
        },
        "defaultContentType": DATACONTENTTYPE,
        "servers": {
            "local": {
                "host": "localhost:9092",
                "protocol": "kafka",
                "description": "The broker `make infra-up` starts (port configurable).",
            }
        },
        "channels": {_channel_id(topic): _channel(topic) for topic in topics},
        "operations": operations,
        "components": {
            "messages": {model.event_type: _message(model) for model in registry.current_models()},
            "schemas": {HEADERS_SCHEMA: _headers_schema()},
        },
    }
