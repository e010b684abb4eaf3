"""An order through the API alone: to completion with rating, to auto-close, to cancellation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.order.harness import (
    TEA,
    Orders,
    delivered,
    order_body,
    payable,
    shipped,
)

pytestmark = pytest.mark.integration


async def test_an_order_goes_from_placement_to_completion_and_rating(
    service: Orders,
) -> None:
    await service.stocked()
    placed = await service.place()
    order_id = placed["order_id"]
    assert placed["platform_status"] == "WAIT_BUYER_PAY"
    assert (await service.stock(TEA))["reserved"] == 2

    paid = await service.pay(order_id, payable())
    assert paid.status_code == 200, paid.text
    assert paid.json()["platform_status"] == "WAIT_SELLER_SEND_GOODS"

    await service.publish(shipped(order_id))
    order = await service.order_when(
        order_id, lambda o: o["platform_status"] == "WAIT_BUYER_CONFIRM_GOODS", "shipped"
    )
    assert order["detail"]["shipment"]["waybill"]["tracking_number"] == "SF1234567890"
    tea = await service.stock(TEA)
    assert (tea["on_hand"], tea["reserved"]) == (8, 0)

    await service.publish(delivered(order_id))
    await service.order_when(
        order_id, lambda o: o["detail"]["shipment"]["delivered_at"] is not None, "delivered"
    )
    confirmed = await service.command(
        f"/v1/orders/{order_id}/receipt-confirmation", None, service.buyer
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["platform_status"] == "TRADE_FINISHED"

    rating = {"description_score": 5, "service_score": 4, "shipping_speed_score": 5}
    rated = await service.command(f"/v1/orders/{order_id}/rating", rating, service.buyer)
    assert rated.status_code == 200, rated.text
    again = await service.command(f"/v1/orders/{order_id}/rating", rating, service.buyer)
    assert again.status_code == 409
    assert again.json()["code"] == "order-already-rated"

    final = (await service.order(order_id, min_version=rated.json()["version"])).json()
    types = [entry["type"] for entry in final["timeline"]]
    for expected in (
        "order.placed",
        "order.paid",
        "logistics.shipped",
        "order.shipped",
        "logistics.delivered",
        "order.receipt_confirmed",
        "order.completed",
        "order.rated",
    ):
        assert expected in types
    assert final["detail"]["rating"]["service_score"] == 4


async def test_an_unpaid_order_closes_when_the_clock_passes_its_payment_window(
    service: Orders,
) -> None:
    await service.stocked()
    order_id = (await service.place())["order_id"]
    await service.advance(timedelta(hours=72, minutes=1))
    order = await service.order_when(
        order_id, lambda o: o["platform_status"] == "TRADE_CLOSED_BY_TAOBAO", "auto-closed"
    )
    assert order["detail"]["close_reason"] == "unpaid_timeout"
    assert (await service.stock(TEA))["reserved"] == 0
    late = await service.pay(order_id, payable())
    assert late.status_code == 409
    assert late.json()["code"] == "order-not-payable"


async def test_a_paid_order_is_cancelled_with_its_payment_owed_back(
    service: Orders,
) -> None:
    await service.stocked()
    order_id = (await service.place())["order_id"]
    await service.pay(order_id, payable())
    cancelled = await service.command(
        f"/v1/orders/{order_id}/cancellation", {"reason": "buyer_changed_mind"}, service.buyer
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["detail"]["refund_due"]["amount"] == payable()
    assert cancelled.json()["platform_status"] == "TRADE_CLOSED"
    assert (await service.stock(TEA))["available"] == 10


async def test_a_presale_order_takes_its_deposit_reminds_then_takes_the_balance(
    service: Orders,
) -> None:
    await service.stocked()
    now = datetime.now(UTC)
    terms = {
        "deposit": 5000,
        "balance": payable() - 5000,
        "balance_starts_at": (now + timedelta(days=2)).isoformat(),
        "balance_due_by": (now + timedelta(days=4)).isoformat(),
    }
    order_id = (await service.place(order_body(presale=terms)))["order_id"]
    deposit = await service.pay(order_id, 5000, stage="deposit")
    assert deposit.json()["platform_status"] == "FRONT_PAID_FINAL_NOPAID"
    early = await service.pay(order_id, payable() - 5000, stage="balance")
    assert early.json()["code"] == "balance-window-not-open"

    await service.advance(timedelta(days=3, hours=1))  # 23 h before the balance deadline
    await service.order_when(
        order_id, lambda o: o["detail"]["balance_reminded"], "balance reminder"
    )
    balance = await service.pay(order_id, payable() - 5000, stage="balance")
    assert balance.status_code == 200, balance.text
    assert balance.json()["platform_status"] == "WAIT_SELLER_SEND_GOODS"
    assert balance.json()["detail"]["paid"]["amount"] == payable()


async def test_a_presale_order_missing_its_balance_closes_and_releases_stock(
    service: Orders,
) -> None:
    await service.stocked()
    now = datetime.now(UTC)
    terms = {
        "deposit": 5000,
        "balance": payable() - 5000,
        "balance_starts_at": (now + timedelta(hours=1)).isoformat(),
        "balance_due_by": (now + timedelta(hours=30)).isoformat(),
    }
    order_id = (await service.place(order_body(presale=terms)))["order_id"]
    await service.pay(order_id, 5000, stage="deposit")
    await service.advance(timedelta(hours=31))
    order = await service.order_when(
        order_id, lambda o: o["detail"]["close_reason"] == "balance_timeout", "balance close"
    )
    assert order["platform_status"] == "TRADE_CLOSED"
    assert (await service.stock(TEA))["reserved"] == 0
