"""The catalog is consistent: naming, topics, money and personal data follow the rules."""

from __future__ import annotations

import re

from contracts import REGISTRY, TOPICS, Service, topic_for, topic_of_event_type
from contracts.schemas import event_schema, pii_fields

TYPE_NAME = re.compile(r"^(order|logistics|aftersales)\.[a-z]+(_[a-z]+)*$")


def test_every_event_type_follows_the_naming_scheme() -> None:
    for event_type in REGISTRY.event_types():
        assert TYPE_NAME.match(event_type), event_type


def test_every_event_is_carried_by_exactly_the_topic_of_its_producer() -> None:
    for model in REGISTRY.current_models():
        carriers = [topic for topic in TOPICS if model.event_type in topic.event_types]
        assert carriers == [topic_for(model.producer)], model.event_type
        assert topic_of_event_type(model.event_type).producer is model.producer


def test_every_topic_is_keyed_by_order_id_and_consumed_by_the_other_services() -> None:
    for topic in TOPICS:
        assert topic.key == "order id"
        assert topic.producer not in topic.consumers
        assert topic.consumers
        assert topic.config["retention.ms"] == str(topic.retention_ms)
    assert {topic.producer for topic in TOPICS} == set(Service)


def test_the_events_the_issue_lists_are_all_registered() -> None:
    listed = {
        "order": "placed stock_reserved stock_rejected payment_failed paid "
        "duplicate_payment_detected deposit_paid balance_paid balance_reminder_due "
        "address_changed cancelled closed receipt_confirmed auto_confirm_extended completed "
        "rated stock_low personal_data_erased",
        "logistics": "shipment_requested shipped tracking_updated exception_raised "
        "exception_resolved delivered ship_deadline_missed shipment_cancelled",
        "aftersales": "refund_requested refund_approved refund_rejected return_shipped "
        "refund_goods_status_corrected return_received return_rejected refunded refund_withdrawn "
        "refund_closed disputed "
        "dispute_evidence_added dispute_resolved",
    }
    expected = {f"{service}.{fact}" for service, facts in listed.items() for fact in facts.split()}

    assert expected <= set(REGISTRY.event_types())


def test_money_is_never_a_float_in_any_schema() -> None:
    for model in REGISTRY.all_models():
        money = event_schema(model).get("$defs", {}).get("Money")
        if money is not None:
            assert money["properties"]["amount"]["type"] == "integer"
            assert money["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"


SEALED_EVENTS = (
    "order.placed",
    "order.address_changed",
    "logistics.shipment_requested",
    "logistics.shipment_receiver_changed",
)


def test_receiver_name_phone_and_address_are_marked_as_personal_data() -> None:
    for event_type in SEALED_EVENTS:
        fields = pii_fields(event_schema(REGISTRY.model(event_type, 1)))
        assert {"receiver.name", "receiver.phone", "receiver.address"} <= set(fields)


def test_the_current_versions_carry_the_receiver_sealed_only() -> None:
    for event_type in SEALED_EVENTS:
        schema = event_schema(REGISTRY.model(event_type))
        receiver = schema["properties"]["receiver"]
        assert receiver["x-pii"] is True
        assert receiver["x-sealed"] == "Receiver"
        assert pii_fields(schema) == ["receiver"]
        assert "Receiver" not in schema.get("$defs", {})
        assert set(schema["$defs"]["Sealed"]["required"]) == {
            "alg", "key_id", "nonce", "ciphertext", "digest"
        }  # fmt: skip


def test_the_current_delivery_carries_its_signer_sealed_only() -> None:
    assert pii_fields(event_schema(REGISTRY.model("logistics.delivered", 1))) == ["signed_by"]
    schema = event_schema(REGISTRY.model("logistics.delivered"))
    signed_by = schema["properties"]["signed_by"]
    assert signed_by["x-pii"] is True
    assert signed_by["x-sealed"] == "Signer"
    assert signed_by["anyOf"] == [{"$ref": "#/$defs/Sealed"}, {"type": "null"}]
    assert pii_fields(schema) == ["signed_by"]
    assert "signed_by" not in schema.get("required", [])


def test_every_event_has_a_description_for_the_catalog() -> None:
    for model in REGISTRY.all_models():
        assert event_schema(model).get("description"), model.event_type
