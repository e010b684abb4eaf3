"""The AsyncAPI 3 document of every topic, its messages and who sends or receives them.

One message per event type whose headers fix `ce_type` (a generator or a router tells a
channel's messages apart by it), one dead-letter channel per topic (`<topic>.dlq.{group}`)
whose messages carry the `dlq_*` headers too, and the brokers of `contracts.environments`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from contracts.dead_letters import DEAD_LETTER_HEADERS, DEAD_LETTER_INFIX, ERROR_HEADER_PREFIX
from contracts.envelope import DATACONTENTTYPE, SEQUENCE_DIGITS, schema_file
from contracts.environments import LOCAL_HOST, LOCAL_KAFKA_PORT, TEST_KAFKA_PORT
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

ASYNCAPI_VERSION = "3.1.0"
HEADERS_SCHEMA = "CloudEventHeaders"
DEAD_LETTER_HEADERS_SCHEMA = "DeadLetterHeaders"
DEAD_LETTER_SUFFIX = ".dead_letter"
"""A dead letter's message id: `<event type>.dead_letter`."""
LOCAL_SERVERS: dict[str, dict[str, str]] = {
    "local": {
        "host": f"{LOCAL_HOST}:{LOCAL_KAFKA_PORT}",
        "protocol": "kafka",
        "description": "The broker `make run` / `make infra-up` starts (ORDERS_KAFKA_PORT).",
    },
    "test": {
        "host": f"{LOCAL_HOST}:{TEST_KAFKA_PORT}",
        "protocol": "kafka",
        "description": "The broker `make test` starts (ORDERS_TEST_KAFKA_PORT).",
    },
}
"""The checked-in document's servers; a running service serves its own broker instead
(`kafka_servers`)."""

_HEADER_DESCRIPTIONS = {
    "ce_specversion": "CloudEvents version, always 1.0.",
    "ce_id": "Unique event id (UUID); consumers deduplicate on it.",
    "ce_source": "Producing service, /orderflow/<service>.",
    "ce_type": "Event type, <producer>.<fact>, e.g. order.paid.",
    "ce_subject": "The order id (also the record key).",
    "ce_time": "When the fact happened, RFC 3339 in UTC.",
    "ce_dataschema": "URL of the JSON Schema of the value, served by the producer: "
    "<PUBLIC_URL>/contracts/schemas/<type>/v<version>.json.",
    "ce_sequence": "Position of the event in its aggregate's stream: decimal, zero-padded to "
    f"{SEQUENCE_DIGITS} digits so it sorts as a string (records published before contracts "
    "0.2 carry it unpadded; compare as integers to read both).",
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
    "ce_sequence": {"pattern": "^[0-9]+$", "maxLength": SEQUENCE_DIGITS},
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
        "headers": _typed_headers(model.event_type, HEADERS_SCHEMA),
        "payload": {"$ref": f"./schemas/{schema_file(model.event_type, model.event_version)}"},
        "correlationId": {"location": "$message.header#/ce_correlationid"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "Order id."},
                "bindingVersion": "0.5.0",
            }
        },
    }


def _typed_headers(event_type: str, *schemas: str) -> dict[str, Any]:
    """The shared header schemas with `ce_type` fixed to `event_type`."""
    return {
        "allOf": [
            *({"$ref": f"#/components/schemas/{name}"} for name in schemas),
            {
                "type": "object",
                "properties": {"ce_type": {"type": "string", "const": event_type}},
                "required": ["ce_type"],
            },
        ]
    }


def _dead_letter_message(model: type[EventPayload]) -> dict[str, Any]:
    message = _message(model)
    return {
        **message,
        "name": model.event_type + DEAD_LETTER_SUFFIX,
        "title": f"{model.__name__} (dead letter)",
        "summary": f"A {model.event_type} event a consumer group could not apply: the record "
        "unchanged, with the dlq_* headers appended.",
        "headers": _typed_headers(model.event_type, HEADERS_SCHEMA, DEAD_LETTER_HEADERS_SCHEMA),
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


def _dead_letter_channel_id(topic: TopicSpec) -> str:
    return f"{_channel_id(topic)}DeadLetters"


def _dead_letter_channel(topic: TopicSpec) -> dict[str, Any]:
    return {
        "address": f"{topic.name}{DEAD_LETTER_INFIX}{{group}}",
        "description": f"Events of `{topic.name}` that one consumer group could not apply "
        "after its retries (or could not decode): the record unchanged (key, value, ce_* "
        "headers) plus the dlq_* headers. One topic per group, one partition; `orderctl dlq` "
        "lists, shows and retries them.",
        "parameters": {
            "group": {
                "description": "The consumer group that dead-lettered the events, "
                "`<prefix><service>.<purpose>` (`orderctl config` lists them)."
            }
        },
        "messages": {
            event_type + DEAD_LETTER_SUFFIX: {
                "$ref": f"#/components/messages/{event_type}{DEAD_LETTER_SUFFIX}"
            }
            for event_type in topic.event_types
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
        dead_channel = _dead_letter_channel_id(topic)
        operations[f"{consumer.value}DeadLetters{channel[0].upper()}{channel[1:]}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{dead_channel}"},
            "summary": f"The {consumer.value} service's groups dead-letter what they cannot apply.",
            "messages": [
                {"$ref": f"#/channels/{dead_channel}/messages/{event_type}{DEAD_LETTER_SUFFIX}"}
                for event_type in topic.event_types
            ],
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


def _dead_letter_headers_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "What a dead-letter topic adds to the original headers.",
        "properties": {
            ERROR_HEADER_PREFIX + name: {"type": "string", "description": text}
            for name, text in DEAD_LETTER_HEADERS.items()
        },
        "required": [ERROR_HEADER_PREFIX + name for name in DEAD_LETTER_HEADERS],
    }


def kafka_servers(bootstrap_servers: str, description: str) -> dict[str, dict[str, str]]:
    """AsyncAPI servers for a comma-separated bootstrap list (one server per broker)."""
    hosts = [host.strip() for host in bootstrap_servers.split(",") if host.strip()]
    return {
        f"broker{index}": {"host": host, "protocol": "kafka", "description": description}
        for index, host in enumerate(hosts, start=1)
    }


def asyncapi_document(
    registry: EventRegistry,
    topics: tuple[TopicSpec, ...],
    servers: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The whole document; message payloads refer to the checked-in JSON Schema files
    (`./schemas/...`, beside the document in the repository and on every service)."""
    operations: dict[str, Any] = {}
    for topic in topics:
        operations.update(_operations(topic))
    return {
        "asyncapi": ASYNCAPI_VERSION,
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
        "servers": LOCAL_SERVERS if servers is None else servers,
        "channels": {
            **{_channel_id(topic): _channel(topic) for topic in topics},
            **{_dead_letter_channel_id(topic): _dead_letter_channel(topic) for topic in topics},
        },
        "operations": operations,
        "components": {
            "messages": {
                **{model.event_type: _message(model) for model in registry.current_models()},
                **{
                    model.event_type + DEAD_LETTER_SUFFIX: _dead_letter_message(model)
                    for model in registry.current_models()
                },
            },
            "schemas": {
                HEADERS_SCHEMA: _headers_schema(),
                DEAD_LETTER_HEADERS_SCHEMA: _dead_letter_headers_schema(),
            },
        },
    }
