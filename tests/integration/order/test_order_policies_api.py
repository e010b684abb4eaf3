"""Reactions to other services and time: shipment, refunds, auto-confirm, the shop's allowed
extensions, and the topic's events checked against the contracts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.kafka_binding import from_kafka
from contracts.values import Waybill
from eventing.schema import shop_policies
from eventing.testing import eventually
from tests.integration.order.harness import SHOP, TEA, Orders, payable, refunded, shipped

pytestmark = pytest.mark.integration

WAYBILL = Waybill(carrier="ZTO", tracking_number="ZTO9876543210")


async def test_a_shipped_order_refuses_cancellation_and_address_change(
    service: Orders,
) -> None:
    order_id = await service.paid_order()
    await service.publish(shipped(order_id, waybill=WAYBILL))
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


async def test_a_shipment_of_a_cancelled_order_keeps_it_cancelled_and_takes_the_units_off(
    service: Orders,
) -> None:
    """The cancel-vs-ship race seen from the order: the reservation went back with the
    cancellation, the parcel left anyway; its units are no longer on hand (issue 15)."""
    order_id = await service.paid_order()
    cancelled = await service.command(
        f"/v1/orders/{order_id}/cancellation", {"reason": "other"}, service.buyer
    )
    assert cancelled.status_code == 200
    tea = await service.stock(TEA)
    await service.publish(shipped(order_id, waybill=WAYBILL))
    await service.publish(shipped(order_id, waybill=WAYBILL))  # redelivered or repeated

    await eventually(
        lambda: service.applied("shipment-policy", order_id), lambda s: s == 2, message="ran"
    )
    version = cancelled.json()["version"] + 1
    order = (await service.order(order_id, min_version=version)).json()
    assert order["status"] == "cancelled"
    assert order["version"] == version
    types = [entry["type"] for entry in order["timeline"]]
    assert "order.shipped" not in types
    assert types.count("order.shipped_after_close") == 1
    after = await service.stock(TEA)
    assert after["on_hand"] == tea["on_hand"] - 2
    assert after["reserved"] == tea["reserved"]


async def test_partial_then_full_refunds_are_recorded_once_and_close_the_order(
    service: Orders,
) -> None:
    order_id = await service.paid_order()
    await service.publish(shipped(order_id, waybill=WAYBILL))
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
    service: Orders,
) -> None:
    order_id = await service.paid_order()
    await service.publish(shipped(order_id, waybill=WAYBILL))
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


async def test_a_shop_that_allows_only_seven_days_refuses_an_extension_by_three(
    service: Orders,
) -> None:
    path = f"/v1/shops/{SHOP}/policy"
    defaults = (await service.client.get(path, headers=service.buyer)).json()
    assert defaults["policy"]["auto_confirm_extension_days"] == [3, 5, 7, 10]
    policy = {**defaults["policy"], "auto_confirm_extension_days": [7]}
    stored = await service.command(path, policy, service.seller, method="PUT", if_match=0)
    assert stored.status_code == 200, stored.text
    assert stored.json()["policy"]["auto_confirm_extension_days"] == [7]
    order_id = await service.paid_order()
    await service.publish(shipped(order_id, waybill=WAYBILL))
    await service.order_when(order_id, lambda o: o["status"] == "shipped", "shipped")

    extension = f"/v1/orders/{order_id}/auto-confirm-extension"
    refused = await service.command(extension, {"days": 3}, service.buyer)
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid-auto-confirm-extension"
    assert "7" in refused.json()["detail"]
    extended = await service.command(extension, {"days": 7}, service.buyer)
    assert extended.status_code == 200, extended.text


async def test_a_shop_cannot_allow_extensions_the_order_cannot_record(service: Orders) -> None:
    path = f"/v1/shops/{SHOP}/policy"
    policy = (await service.client.get(path, headers=service.buyer)).json()["policy"]
    for days in ([], [3, 3], [4], [0], [31]):
        body = {**policy, "auto_confirm_extension_days": days}
        refused = await service.command(path, body, service.seller, method="PUT")
        assert refused.status_code == 422, (days, refused.text)
    assert (await service.client.get(path, headers=service.buyer)).json()["version"] == 0


async def test_a_policy_stored_before_shops_chose_extensions_allows_the_default_ones(
    service: Orders,
) -> None:
    before = {
        "payment_window": "PT15M",
        "balance_reminder_lead": "P1D",
        "receipt_window_physical": "P10D",
        "receipt_window_virtual": "P3D",
        "forfeit_deposit_on_missed_balance": True,
    }
    async with service.engine.begin() as connection:
        await connection.execute(
            shop_policies.insert().values(
                shop_id=SHOP, policy=before, version=1, updated_at=datetime.now(UTC),
                updated_by="seller:clerk-1",
            )
        )  # fmt: skip
    shown = (await service.client.get(f"/v1/shops/{SHOP}/policy", headers=service.buyer)).json()
    defaults = {
        "auto_confirm_extension_days": [3, 5, 7, 10],
        "payment_reminder_lead": "P1D",
        "rating_answer_window": "P30D",
        "rating_follow_up_due": "P1D",
        "rating_follow_up_max_score": 2,
        "rating_append_window": "P90D",
        "time_zone": "Asia/Shanghai",
    }
    assert shown["policy"] == {**before, **defaults}


async def test_every_event_on_the_order_topic_validates_against_the_contracts(
    service: Orders,
) -> None:
    order_id = await service.paid_order()
    await service.command(f"/v1/orders/{order_id}/cancellation", {"reason": "other"}, service.buyer)
    wanted = {"order.placed", "order.stock_reserved", "order.paid", "order.cancelled",
              "order.stock_released"}  # fmt: skip
    records = await service.own_events(until=lambda rs: wanted <= {r.event_type for r in rs})
    envelopes = [from_kafka(r.key, r.value, r.headers) for r in records]
    assert {e.type for e in envelopes} == wanted
    assert all(e.subject == order_id and e.source == "/orderflow/order" for e in envelopes)
    assert [e.sequence for e in envelopes] == sorted(e.sequence for e in envelopes)
    placed = next(e for e in envelopes if e.type == "order.placed")
    assert placed.actor.value == "buyer"
    assert placed.actorid == "buyer-li"


async def test_the_recorded_shipment_carries_the_upstream_correlation_and_cause(
    service: Orders,
) -> None:
    order_id = await service.paid_order()
    (upstream,) = await service.publish(shipped(order_id, waybill=WAYBILL))
    records = await service.own_events(
        until=lambda rs: any(r.event_type == "order.shipped" for r in rs)
    )
    recorded = next(
        from_kafka(r.key, r.value, r.headers) for r in records if r.event_type == "order.shipped"
    )
    assert recorded.correlationid == upstream.correlationid
    assert recorded.causationid == str(upstream.id)
    assert recorded.actor.value == "system"
    assert recorded.actorid == "reaction:logistics.shipped"
