"""Stored events to CloudEvents Kafka records and back, without a broker."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.examples import example_payloads
from contracts.kafka_binding import CONTENT_TYPE_HEADER, from_kafka
from eventing.encoding import UndecodableRecord, cloudevents_encoder, decode_record
from eventing.events import EventMetadata, JsonText, RecordedEvent

MOMENT = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def _event(**metadata: str | None) -> RecordedEvent:
    return RecordedEvent(
        position=7,
        stream_id="order-1",
        stream_version=3,
        event_id=uuid.UUID(int=1),
        event_type="order.paid",
        schema_version=2,
        topic="orders.order.v1",
        data={"order_id": "order-1", "amount": {"minor": 1999, "currency": "CNY"}},
        metadata=EventMetadata(
            correlation_id=metadata.get("correlation_id"),
            causation_id=metadata.get("causation_id"),
            actor=metadata.get("actor"),
        ),
        occurred_at=MOMENT,
        recorded_at=MOMENT,
    )


def test_the_record_is_keyed_by_stream_and_carries_cloudevents_attributes() -> None:
    record = cloudevents_encoder("/orderflow/order")(
        _event(correlation_id="c-1", causation_id="cmd-9", actor="buyer")
    )
    headers = dict(record.headers)

    assert (record.topic, record.key) == ("orders.order.v1", b"order-1")
    assert headers["ce_id"] == str(uuid.UUID(int=1)).encode()
    assert headers["ce_type"] == b"order.paid"
    assert headers["ce_source"] == b"/orderflow/order"
    assert headers["ce_subject"] == b"order-1"
    assert headers["ce_sequence"] == b"0000000000000000003"  # sorts as a string
    assert headers["ce_time"] == b"2030-01-02T03:04:05Z"
    assert headers["ce_dataschema"].endswith(b"/order.paid/v2.json")
    assert headers["ce_correlationid"] == b"c-1"
    assert headers["ce_causationid"] == b"cmd-9"
    assert headers["ce_actor"] == b"buyer"
    assert headers[CONTENT_TYPE_HEADER] == b"application/json"


TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_the_stored_trace_context_travels_as_the_distributed_tracing_extension() -> None:
    traced = replace(
        _event(correlation_id="c-1"),
        metadata=EventMetadata(correlation_id="c-1", traceparent=TRACEPARENT, tracestate="a=1"),
    )
    record = cloudevents_encoder("/orderflow/order")(traced)
    headers = dict(record.headers)

    assert headers["ce_traceparent"] == TRACEPARENT.encode()
    assert headers["ce_tracestate"] == b"a=1"
    decoded = decode_record("orders.order.v1", 0, 1, record.key, record.value, record.headers)
    assert decoded.attributes["traceparent"] == TRACEPARENT


def test_the_trace_context_is_kept_in_the_stored_metadata_and_names_its_trace() -> None:
    metadata = EventMetadata(actor="buyer", traceparent=TRACEPARENT, tracestate="a=1")

    assert EventMetadata.from_json(metadata.to_json()) == metadata
    assert metadata.to_json()["traceparent"] == TRACEPARENT
    assert metadata.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert EventMetadata(actor="buyer").trace_id is None
    assert "traceparent" not in EventMetadata(actor="buyer").to_json()


def test_absent_metadata_is_left_out_rather_than_sent_empty() -> None:
    names = {name for name, _ in cloudevents_encoder("/x")(_event()).headers}

    assert not names & {
        "ce_correlationid",
        "ce_causationid",
        "ce_actor",
        "ce_actorid",
        "ce_traceparent",
        "ce_tracestate",
    }


def test_a_record_decodes_to_the_attributes_a_subscription_needs() -> None:
    record = cloudevents_encoder("/orderflow/order")(_event(correlation_id="c-1"))

    decoded = decode_record("orders.order.v1", 2, 40, record.key, record.value, record.headers)

    assert (decoded.event_id, decoded.stream_id, decoded.sequence) == (
        uuid.UUID(int=1),
        "order-1",
        3,
    )
    assert decoded.event_type == "order.paid"
    assert decoded.data == {"order_id": "order-1", "amount": {"minor": 1999, "currency": "CNY"}}
    assert decoded.time == MOMENT
    assert (decoded.partition, decoded.offset) == (2, 40)


@pytest.mark.parametrize("missing", ["ce_id", "ce_type", "ce_subject", "ce_sequence"])
def test_a_record_without_an_essential_attribute_is_undecodable(missing: str) -> None:
    record = cloudevents_encoder("/x")(_event())
    headers = [(name, value) for name, value in record.headers if name != missing]

    with pytest.raises(UndecodableRecord):
        decode_record("t", 0, 0, record.key, record.value, headers)


def test_a_record_without_a_value_is_undecodable() -> None:
    record = cloudevents_encoder("/x")(_event())

    with pytest.raises(UndecodableRecord):
        decode_record("t", 0, 0, record.key, None, record.headers)


@pytest.mark.parametrize("event_type", sorted(example_payloads()))
def test_contracts_kafka_binding_reads_what_the_relay_writes(event_type: str) -> None:
    payload = example_payloads()[event_type]
    stored = RecordedEvent(
        position=1,
        stream_id=payload.order_id,
        stream_version=4,
        event_id=uuid.uuid4(),
        event_type=payload.event_type,
        schema_version=payload.event_version,
        topic="orders.x.v1",
        data=payload.model_dump(mode="json"),
        metadata=EventMetadata(correlation_id="corr-1", actor="system", traceparent=TRACEPARENT),
        occurred_at=MOMENT,
        recorded_at=MOMENT,
    )
    record = cloudevents_encoder(payload.producer.source)(stored)

    envelope = from_kafka(record.key, record.value, record.headers)

    assert envelope.data == payload
    assert (envelope.id, envelope.sequence, envelope.time) == (stored.event_id, 4, MOMENT)
    assert envelope.correlationid == "corr-1"
    assert (envelope.traceparent, envelope.tracestate) == (TRACEPARENT, None)


def _postgres_text(data: Mapping[str, Any]) -> str:
    # PostgreSQL's jsonb text output: ", " and ": " separators, non-ASCII kept as UTF-8.
    return json.dumps(data, ensure_ascii=False)


def test_stored_json_text_is_published_as_is_without_a_re_encode() -> None:
    text = '{"amount": {"minor": 1999, "currency": "CNY"}, "order_id": "订单-1"}'
    stored = replace(_event(), data=JsonText(text))

    record = cloudevents_encoder("/orderflow/order")(stored)

    assert record.value == text.encode()
    assert decode_record("t", 0, 0, record.key, record.value, record.headers).data == {
        "amount": {"minor": 1999, "currency": "CNY"},
        "order_id": "订单-1",
    }


def test_decoded_data_is_still_encoded_compactly() -> None:
    record = cloudevents_encoder("/x")(_event())

    assert record.value == b'{"order_id":"order-1","amount":{"minor":1999,"currency":"CNY"}}'


def test_json_text_reads_as_the_mapping_it_holds_and_refuses_a_non_object() -> None:
    data = JsonText('{"b": [1, 2], "a": null}')

    assert data == {"a": None, "b": [1, 2]}
    assert (data["b"], len(data), sorted(data)) == ([1, 2], 2, ["a", "b"])
    with pytest.raises(ValueError, match="not a JSON object"):
        len(JsonText("[1, 2]"))


@pytest.mark.parametrize("event_type", sorted(example_payloads()))
def test_contracts_kafka_binding_reads_the_stored_text_the_relay_passes_on(
    event_type: str,
) -> None:
    payload = example_payloads()[event_type]
    stored = RecordedEvent(
        position=1,
        stream_id=payload.order_id,
        stream_version=2,
        event_id=uuid.uuid4(),
        event_type=payload.event_type,
        schema_version=payload.event_version,
        topic="orders.x.v1",
        data=JsonText(_postgres_text(payload.model_dump(mode="json"))),
        metadata=EventMetadata(correlation_id="corr-1", actor="system"),
        occurred_at=MOMENT,
        recorded_at=MOMENT,
    )
    record = cloudevents_encoder(payload.producer.source)(stored)

    assert from_kafka(record.key, record.value, record.headers).data == payload
