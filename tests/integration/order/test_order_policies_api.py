"""Reactions to other services and time: shipment, refunds, auto-confirm, and the topic's
events checked against the contracts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from contracts.events.aftersales import Refunded, RefundKind, RefundTrigger
from contracts.events.logistics import Shipped
from contracts.kafka_binding import from_kafka
from contracts.values import Money, SkuQuantity, Waybill
from eventing.schema import consumer_streams
from eventing.testing import eventually
from eventing.testing.kafka import read_topic
from order_service.testing import CUP, SHOP, TEA, OrderTestbed, payable

pytestmark = pytest.mark.integration

WAYBILL = Waybill(carrier="ZTO", tracking_number="ZTO9876543210")


def shipped(order_id: str) -> Shipped:
    now = datetime.now(UTC)
    return Shipped(
        order_id=order_id,
        shop_id=SHOP,
        shipment_id=f"shp-{order_id}",
        waybill=WAYBILL,
        items=(SkuQuantity(sku=TEA, quantity=2), SkuQuantity(sku=CUP, quantity=1)),
        shipped_at=now,
        ship_by=now + timedelta(hours=24),
    )


def refunded(order_id: str, case_id: str, amount: int) -> Refunded:
    return Refunded(
        order_id=order_id,
        shop_id=SHOP,
        case_id=case_id,
        kind=RefundKind.PARTIAL_REFUND,
        amount=Money(amount=amount, currency="CNY"),
        trigger=RefundTrigger.SELLER_APPROVED,
        refunded_at=datetime.now(UTC),
    )


async def paid_order(service: OrderTestbed) -> str:
    await service.set_stock(TEA, 10)
    await service.set_stock(CUP, 5)
    order_id: str = (await service.place())["order_id"]
    assert (await service.pay(order_id, payable())).status_code == 200
    return order_id


async def test_a_shipped_order_refuses_cancellation_and_address_change(
    service: OrderTestbed,
) -> None:
    order_id = await paid_order(service)
    await service.publish(shipped(order_id))
    await service.order_when(order_id, lambda o: o["status"] == "shipped", "shipped")
    cancel = await service.command(
        f"/v1/orders/{order_id}/cancellation", {"reason": "other"}, service.buyer
    )
    assert cancel.status_code == 409
    assert cancel.json()["code"] == "order-already-shipped"
    receiver = {
        "name": "韩梅梅",
        "phone": "13900001111",
        "address": {"province": "上海市", "city": "上海市", "street": "南京东路 1 号"},
    }
    moved = await service.command(
        f"/v1/orders/{order_id}/address", {"receiver": receiver}, service.buyer
    )
    assert moved.status_code == 409
    assert moved.json()["code"] == "order-already-shipped"


async def test_a_shipment_of_a_cancelled_order_records_nothing(service: OrderTestbed) -> None:
    order_id = await paid_order(service)
    cancelled = await service.command(
        f"/v1/orders/{order_id}/cancellation", {"reason": "other"}, service.buyer
    )
    assert cancelled.status_code == 200
    await service.publish(shipped(order_id))

    async def applied_by_the_shipment_policy() -> int | None:
        async with service.engine.connect() as connection:
            sequence: int | None = await connection.scalar(
                select(consumer_streams.c.last_sequence).where(
                    consumer_streams.c.consumer_group.like("%order.shipment-policy"),
                    consumer_streams.c.stream_id == order_id,
                )
            )
            return sequence

    await eventually(applied_by_the_shipment_policy, lambda s: s == 1, message="policy ran")
    order = (await service.order(order_id, min_version=cancelled.json()["version"])).json()
    assert order["status"] == "cancelled"
    assert order["version"] == cancelled.json()["version"]
    assert "order.shipped" not in [entry["type"] for entry in order["timeline"]]


async def test_partial_then_full_refunds_are_recorded_once_and_close_the_order(
    service: OrderTestbed,
) -> None:
    order_id = await paid_order(service)
    await service.publish(shipped(order_id))
    # Shipment and refunds come on different topics, so wait for one before sending the other.
    await service.order_when(order_id, lambda o: o["status"] == "shipped", "shipped")
    await service.publish(refunded(order_id, "case-1", 3500), refunded(order_id, "case-1", 3500))
    order = await service.order_when(order_id, lambda o: o["refunded"]["amount"] > 0, "refund")
    assert order["refunded"]["amount"] == 3500
    assert order["detail"]["amounts"]["refundable"]["amount"] == payable() - 3500
    assert order["status"] == "shipped"

    await service.publish(refunded(order_id, "case-2", payable() - 3500))
    closed = await service.order_when(order_id, lambda o: o["status"] == "closed", "closed")
    assert closed["platform_status"] == "TRADE_CLOSED"
    assert closed["detail"]["close_reason"] == "fully_refunded"
    recorded = [e for e in closed["timeline"] if e["type"] == "order.refund_recorded"]
    assert [e["data"]["case_id"] for e in recorded] == ["case-1", "case-2"]
    assert closed["detail"]["refund_cases"] == {"case-1": "refunded", "case-2": "refunded"}


async def test_receipt_is_confirmed_automatically_after_the_extended_window(
    service: OrderTestbed,
) -> None:
    order_id = await paid_order(service)
    await service.publish(shipped(order_id))
    order = await service.order_when(order_id, lambda o: o["status"] == "shipped", "shipped")
    extended = await service.command(
        f"/v1/orders/{order_id}/auto-confirm-extension", {"days": 3}, service.buyer
    )
    assert extended.status_code == 200, extended.text
    again = await service.command(
        f"/v1/orders/{order_id}/auto-confirm-extension", {"days": 3}, service.buyer
    )
    assert again.json()["code"] == "auto-confirm-already-extended"
    before = datetime.fromisoformat(order["timeout_at"])
    assert datetime.fromisoformat(extended.json()["timeout_at"]) == before + timedelta(days=3)

    await service.advance(timedelta(days=11))  # past the original window only
    still = (await service.order(order_id, min_version=extended.json()["version"])).json()
    assert still["status"] == "shipped"
    await service.advance(timedelta(days=2, hours=1))
    done = await service.order_when(order_id, lambda o: o["status"] == "completed", "auto")
    confirmations = [e for e in done["timeline"] if e["type"] == "order.receipt_confirmed"]
    assert len(confirmations) == 1
    assert confirmations[0]["data"]["automatic"] is True


async def test_every_event_on_the_order_topic_validates_against_the_contracts(
    service: OrderTestbed,
) -> None:
    order_id = await paid_order(service)
    await service.command(f"/v1/orders/{order_id}/cancellation", {"reason": "other"}, service.buyer)
    wanted = {"order.placed", "order.stock_reserved", "order.paid", "order.cancelled",
              "order.stock_released"}  # fmt: skip
    records = await read_topic(
        service.bootstrap,
        service.order_topic,
        until=lambda rs: wanted <= {r.event_type for r in rs},
    )
    envelopes = [from_kafka(r.key, r.value, r.headers) for r in records]
    assert {e.type for e in envelopes} == wanted
    assert all(e.subject == order_id and e.source == "/orderflow/order" for e in envelopes)
    assert [e.sequence for e in envelopes] == sorted(e.sequence for e in envelopes)
    placed = next(e for e in envelopes if e.type == "order.placed")
    assert placed.actor.value == "buyer"
    assert placed.actorid == "buyer-li"


async def test_the_recorded_shipment_carries_the_upstream_correlation_and_cause(
    service: OrderTestbed,
) -> None:
    order_id = await paid_order(service)
    (upstream,) = await service.publish(shipped(order_id))
    records = await read_topic(
        service.bootstrap,
        service.order_topic,
        until=lambda rs: any(r.event_type == "order.shipped" for r in rs),
    )
    recorded = next(
        from_kafka(r.key, r.value, r.headers) for r in records if r.event_type == "order.shipped"
    )
    assert recorded.correlationid == upstream.correlationid
    assert recorded.causationid == str(upstream.id)
    assert recorded.actor.value == "system"
