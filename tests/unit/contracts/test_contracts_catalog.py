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
        "rated stock_low",
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


def test_receiver_name_phone_and_address_are_marked_as_personal_data() -> None:
    for event_type in ("order.placed", "order.address_changed", "logistics.shipment_requested"):
        fields = pii_fields(event_schema(REGISTRY.model(event_type)))
        assert {"receiver.name", "receiver.phone", "receiver.address"} <= set(fields)


def test_every_event_has_a_description_for_the_catalog() -> None:
    for model in REGISTRY.all_models():
        assert event_schema(model).get("description"), model.event_type
