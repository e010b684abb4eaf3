"""Reactions to the order and logistics topics: payment not yet known, shipment before the
seller's answer, and the cancel-vs-ship race in both arrival orders (agreements 5 and 7)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.kafka_binding import to_kafka
from contracts.parties import Actor
from eventing.encoding import OutgoingRecord
from eventing.testing import eventually
from eventing.testing.kafka import publish_records
from tests.integration.aftersales.harness import (
    REFUND_ONLY,
    Aftersales,
    cancelled,
    delivered,
    new_order_id,
    paid,
    placed,
    shipped,
)

pytestmark = pytest.mark.integration


async def test_a_request_before_the_payment_is_known_is_retryable_then_succeeds(
    aftersales: Aftersales,
) -> None:
    order_id = new_order_id()
    await aftersales.publish(placed(order_id))
    early = await aftersales.command(
        f"/v1/orders/{order_id}/refund-cases", REFUND_ONLY, aftersales.buyer
    )
    assert early.status_code == 409
    assert early.headers["Retry-After"]
    assert early.json()["type"].endswith("/order-payment-not-yet-known")
    assert early.json()["retryable"] is True

    await aftersales.publish(paid(order_id))
    created = await aftersales.open_case(order_id, REFUND_ONLY)
    assert created["status"] == "waiting_seller"


async def test_shipping_before_the_answer_closes_a_refund_only_request(
    aftersales: Aftersales,
) -> None:
    order_id = new_order_id()
    await aftersales.publish(placed(order_id), paid(order_id))
    case_id = (await aftersales.open_case(order_id, REFUND_ONLY))["case_id"]
    await aftersales.publish(shipped(order_id, shipped_at=await aftersales.now()))
    case = await aftersales.case_when(
        case_id, lambda c: c["status"] == "closed", "shipment closed the request"
    )
    assert case["close_reason"] == "shipped_before_answer"


async def test_a_request_after_a_dispatch_learnt_late_is_a_request_for_shipped_goods(
    aftersales: Aftersales,
) -> None:
    """Issue 15: the buyer asks right after the dispatch, before `logistics.shipped` arrives;
    placed by its business time, the request concerns goods that have not arrived (36 h)."""
    order_id = new_order_id()
    await aftersales.publish(placed(order_id), paid(order_id))
    dispatched_at = await aftersales.now() - timedelta(minutes=1)
    created = await aftersales.open_case(order_id, REFUND_ONLY)
    opened = await aftersales.case(created["case_id"], min_version=created["version"])
    assert opened["goods_status"] == "not_shipped"
    await aftersales.publish(shipped(order_id, shipped_at=dispatched_at))
    case = await aftersales.case_when(
        opened["case_id"], lambda c: c["goods_status"] == "not_received", "placed by its time"
    )
    assert case["status"] == "waiting_seller"
    requested_at = datetime.fromisoformat(opened["answer_due_by"]) - timedelta(hours=24)
    answer_due_by = datetime.fromisoformat(case["answer_due_by"])
    assert answer_due_by - requested_at == timedelta(hours=36)
    assert await aftersales.deadlines(opened["case_id"]) == ["aftersales.answer"]
    assert "aftersales.refund_closed" not in await aftersales.stored_types(order_id)


async def test_a_reactions_events_name_the_upstream_event_as_actor_and_cause(
    aftersales: Aftersales,
) -> None:
    order_id = new_order_id()
    await aftersales.publish(placed(order_id), paid(order_id))
    await aftersales.open_case(order_id, REFUND_ONLY)
    (shipment,) = await aftersales.publish(shipped(order_id))
    await eventually(
        lambda: aftersales.stored_types(order_id), lambda types: len(types) == 2,
        message="the shipment closed the request",
    )  # fmt: skip
    (_, requested), (closed_type, closed) = await aftersales.recorded(order_id)
    assert requested["actor"] == "buyer"
    assert closed_type == "aftersales.refund_closed"
    assert closed == {
        "correlation_id": f"flow-{order_id}", "causation_id": str(shipment.id),
        "actor": "system", "actor_id": "reaction:logistics.shipped",
    }  # fmt: skip


async def _delivered_fact_seen(service: Aftersales, order_id: str) -> bool:
    async with service.engine.connect() as connection:
        seen = await connection.scalar(
            text("SELECT delivered_at IS NOT NULL FROM order_facts WHERE order_id = :id"),
            {"id": order_id},
        )
    return bool(seen)


async def _redeliver(service: Aftersales, topic: str, envelope: Envelope) -> None:
    record = to_kafka(envelope)
    await publish_records(
        service.settings.kafka_bootstrap_servers,
        [OutgoingRecord(topic, record.key, record.value, record.headers)],
    )


@pytest.mark.parametrize(
    "cancel_first", [True, False], ids=["cancel then ship", "ship then cancel"]
)
async def test_the_cancel_vs_ship_race_opens_exactly_one_recovery_case(
    aftersales: Aftersales, cancel_first: bool
) -> None:
    order_id = new_order_id()
    await aftersales.publish(placed(order_id), paid(order_id))
    if cancel_first:
        await aftersales.publish(cancelled(order_id))
        await aftersales.publish(shipped(order_id))
    else:
        await aftersales.publish(shipped(order_id))
        await aftersales.publish(cancelled(order_id))

    cases = await eventually(
        lambda: aftersales.cases_of(order_id), lambda found: len(found) == 1,
        message="one recovery case",
    )  # fmt: skip
    case = cases[0]
    assert case["intercept"]
    assert case["reason"] == "cancelled_after_shipment"
    assert case["amount"] == {"amount": 0, "currency": "CNY"}
    assert case["status"] == "waiting_return"
    assert case["automatic_approval"]
    assert not case["seller_timed_out"]

    # The same shipment delivered again (same event id and sequence), then a later fact as a
    # marker: once the marker is applied, the redelivery has been processed too.
    again = Envelope(
        data=shipped(order_id), time=datetime.now().astimezone(), sequence=1,
        correlationid=f"flow-{order_id}", actor=Actor.SYSTEM,
    )  # fmt: skip
    await _redeliver(aftersales, aftersales.settings.topic_logistics, again)
    await aftersales.publish(delivered(order_id))
    await eventually(
        lambda: _delivered_fact_seen(aftersales, order_id), bool, message="marker applied"
    )
    assert len(await aftersales.cases_of(order_id)) == 1

    received = await aftersales.command(
        f"/v1/refund-cases/{case['case_id']}/return-receipt", {"note": "parcel refused"},
        aftersales.seller,
    )  # fmt: skip
    assert received.json()["status"] == "refunded", received.text
    withdrawn = await aftersales.command(
        f"/v1/refund-cases/{case['case_id']}/withdrawal", {}, aftersales.buyer
    )
    assert withdrawn.status_code == 409


async def test_a_cancellation_with_nothing_to_refund_opens_no_case(
    aftersales: Aftersales,
) -> None:
    order_id = new_order_id()
    await aftersales.publish(placed(order_id), cancelled(order_id, refund_due=0))
    await aftersales.publish(shipped(order_id), delivered(order_id))
    await eventually(
        lambda: _delivered_fact_seen(aftersales, order_id), bool, message="facts applied"
    )
    assert await aftersales.cases_of(order_id) == []
