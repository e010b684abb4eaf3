"""Races and retries: cancel vs dispatch, payment not seen yet, concurrent and retried commands."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts.events.order import (
    AddressChanged,
    BalancePaid,
    DepositPaid,
    OrderClosed,
    OrderCloseReason,
    PaymentMethod,
)
from contracts.values import Money
from logistics_service.examples import NEW_RECEIVER, SEALED_NEW_RECEIVER, SEALED_RECEIVER
from tests.integration.logistics.harness import SHOP, Logistics, cancelled, paid, placed

pytestmark = pytest.mark.integration


async def test_a_cancellation_seen_before_dispatch_refuses_the_dispatch(
    logistics: Logistics,
) -> None:
    order_id = await logistics.paid_order()
    await logistics.publish(cancelled(order_id))
    shipment = await logistics.shipment_when(order_id, lambda s: s["status"] == "cancelled")
    assert shipment["cancel_reason"] == "order_cancelled"

    refused = await logistics.dispatch(order_id)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "https://orderflow.dev/problems/order-cancelled"
    assert "Retry-After" not in refused.headers
    assert await logistics.stored_types(order_id) == [
        "logistics.shipment_requested",
        "logistics.shipment_cancelled",
    ]


async def test_a_cancellation_arriving_after_dispatch_records_nothing(logistics: Logistics) -> None:
    order_id = await logistics.paid_order()
    assert (await logistics.dispatch(order_id)).status_code == 200
    await logistics.publish(cancelled(order_id))
    await logistics.order_applied(order_id)
    assert await logistics.stored_types(order_id) == [
        "logistics.shipment_requested",
        "logistics.shipped",
    ]


async def test_a_dispatch_before_the_payment_is_seen_is_a_retryable_conflict(
    logistics: Logistics,
) -> None:
    order_id = f"ord-{uuid.uuid4().hex[:10]}"
    await logistics.publish(placed(order_id))
    await logistics.order_applied(order_id)
    early = await logistics.dispatch(order_id, logistics.carrier())  # the warehouse system
    assert early.status_code == 409
    assert early.json()["code"] == "shipment-not-requested"
    assert early.json()["retryable"] is True
    assert early.headers["Retry-After"]
    # A seller is told what a read tells them: no shipment of their shop (yet), as for an
    # order of another shop, so a seller's dispatch reveals no other shop's orders.
    by_seller = await logistics.dispatch(order_id)
    assert (by_seller.status_code, by_seller.json()["code"]) == (404, "shipment-not-found")

    await logistics.publish(paid(order_id))
    await logistics.shipment_when(order_id, lambda s: s["status"] == "awaiting_dispatch")
    assert (await logistics.dispatch(order_id)).status_code == 200


async def test_an_address_change_before_dispatch_moves_the_label_and_not_after(
    logistics: Logistics,
) -> None:
    order_id = await logistics.paid_order()
    await logistics.publish(
        AddressChanged(order_id=order_id, shop_id="shop-hz-tea", receiver=SEALED_NEW_RECEIVER)
    )
    moved = await logistics.shipment_when(
        order_id, lambda s: s["receiver"] == NEW_RECEIVER.model_dump(mode="json")
    )
    assert moved["version"] == 2
    assert (await logistics.dispatch(order_id)).status_code == 200
    await logistics.publish(
        AddressChanged(order_id=order_id, shop_id="shop-hz-tea", receiver=SEALED_RECEIVER)
    )
    await logistics.order_applied(order_id)
    assert (await logistics.stored_types(order_id))[-1] == "logistics.shipped"


async def test_a_retried_dispatch_gets_the_first_answer_and_records_once(
    logistics: Logistics,
) -> None:
    order_id = await logistics.paid_order()
    first = await logistics.dispatch(order_id, key="dispatch-once")
    retry = await logistics.dispatch(order_id, key="dispatch-once")
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    other_key = await logistics.dispatch(order_id)
    assert other_key.status_code == 409
    assert other_key.json()["code"] == "shipment-already-dispatched"
    assert (await logistics.stored_types(order_id)).count("logistics.shipped") == 1


async def test_of_two_concurrent_dispatches_exactly_one_wins(logistics: Logistics) -> None:
    order_id = await logistics.paid_order()
    answers = await asyncio.gather(*(logistics.dispatch(order_id) for _ in range(4)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200, 409, 409, 409]
    codes = {answer.json()["code"] for answer in answers if answer.status_code == 409}
    assert codes <= {"concurrency-conflict", "shipment-already-dispatched"}
    assert (await logistics.stored_types(order_id)).count("logistics.shipped") == 1


async def test_a_command_against_a_stale_version_is_refused_with_412(logistics: Logistics) -> None:
    order_id = await logistics.paid_order()
    stale = await logistics.dispatch(order_id, if_match=7)
    assert stale.status_code == 412
    assert stale.json()["code"] == "version-mismatch"
    assert stale.headers["ETag"] == '"1"'
    current = await logistics.dispatch(order_id, if_match=1)
    assert current.status_code == 200
    assert current.headers["ETag"] == '"2"'


async def test_a_dispatch_failing_a_check_changes_nothing(logistics: Logistics) -> None:
    order_id = await logistics.paid_order()
    wrong_items = await logistics.command(
        f"/v1/shipments/{order_id}/dispatch",
        {
            "waybill": {"carrier": "SF", "tracking_number": "SF123456789012"},
            "items": [{"sku": "TEA-LJ-250G", "quantity": 1}],
        },
        logistics.seller(),
    )
    assert wrong_items.status_code == 422
    assert wrong_items.json()["code"] == "contents-mismatch"
    assert wrong_items.json()["missing"] == {"TEA-LJ-250G": 1, "CUP-GLASS-01": 1}
    bad_number = await logistics.command(
        f"/v1/shipments/{order_id}/dispatch",
        {
            "waybill": {"carrier": "YTO", "tracking_number": "SF123456789012"},
            "items": [
                {"sku": "TEA-LJ-250G", "quantity": 2},
                {"sku": "CUP-GLASS-01", "quantity": 1},
            ],
        },
        logistics.seller(),
    )
    assert bad_number.json()["code"] == "invalid-tracking-number"
    assert await logistics.stored_types(order_id) == ["logistics.shipment_requested"]


async def test_one_waybill_never_serves_two_orders(logistics: Logistics) -> None:
    first, second = await logistics.paid_order(), await logistics.paid_order()
    assert (await logistics.dispatch(first)).status_code == 200
    reused = await logistics.dispatch(second)
    assert reused.status_code == 409
    assert reused.json()["code"] == "waybill-in-use"
    assert await logistics.stored_types(second) == ["logistics.shipment_requested"]


async def test_a_presale_order_ships_once_its_balance_is_paid(logistics: Logistics) -> None:
    order_id = f"ord-{uuid.uuid4().hex[:10]}"
    deposit_at = datetime.now(UTC)
    money = Money(amount=5000, currency="CNY")
    deposit = DepositPaid(
        order_id=order_id,
        shop_id=SHOP,
        payment_id="pay-d",
        method=PaymentMethod.WECHAT,
        amount=money,
        paid_at=deposit_at,
        balance=money,
        balance_starts_at=deposit_at,
        balance_due_by=deposit_at + timedelta(days=3),
    )
    await logistics.publish(placed(order_id), deposit)
    await logistics.order_applied(order_id)
    assert await logistics.stored_types(order_id) == []
    balance_at = deposit_at + timedelta(hours=1)
    balance = BalancePaid(
        order_id=order_id,
        shop_id=SHOP,
        payment_id="pay-b",
        method=PaymentMethod.CARD,
        amount=money,
        paid_at=balance_at,
        total_paid=money + money,
    )
    await logistics.publish(balance)
    shipment = await logistics.shipment_when(order_id, lambda s: s["status"] == "awaiting_dispatch")
    assert datetime.fromisoformat(shipment["ship_by"]) == balance_at + timedelta(hours=24)


async def test_an_unpaid_order_closed_never_ships_and_unknown_orders_are_ignored(
    logistics: Logistics,
) -> None:
    unpaid, unknown = f"ord-{uuid.uuid4().hex[:10]}", f"ord-{uuid.uuid4().hex[:10]}"
    closing = OrderClosed(order_id=unpaid, shop_id=SHOP, reason=OrderCloseReason.UNPAID_TIMEOUT)
    await logistics.publish(placed(unpaid), closing)
    await logistics.publish(paid(unknown), cancelled(unknown))
    closed = await logistics.shipment_when(unpaid, lambda s: s["status"] == "cancelled")
    assert closed["cancel_reason"] == "order_closed"
    refused = await logistics.dispatch(unpaid)
    assert refused.json()["code"] == "order-cancelled"
    await logistics.order_applied(unknown)
    assert await logistics.stored_types(unknown) == []
    assert (await logistics.shipment(unknown)).status_code == 404
