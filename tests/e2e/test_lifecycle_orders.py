"""Orders through their whole life across the three running services: placement, payment,
presale, time-outs, cancellation, address change, duplicate payment, shipping and reshipping.

Driven only through HTTP (`localinfra.flows`), observed through HTTP and the topics. Time
moves only with `system.advance`; expectations are computed from what the APIs answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from contracts.parties import Service
from eventing.http.auth import Role
from localinfra import flows
from localinfra.flows import CUP, TEA, Actors
from localinfra.system import System

pytestmark = pytest.mark.e2e


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def system_now(system: System) -> datetime:
    """The system's (database) clock: wall time plus the offset earlier tests moved it by."""
    return await system.now()


async def test_an_order_is_paid_shipped_delivered_confirmed_and_rated(system: System) -> None:
    async with Actors.of(system) as actors:
        placed = await flows.place_order(actors)
        order_id = placed["order_id"]
        assert placed["events"] == ["order.placed", "order.stock_reserved"]
        assert (await flows.stock(actors, TEA.sku))["reserved"] == TEA.quantity

        paid = await flows.pay(actors, order_id, flows.payable())
        assert paid["platform_status"] == "WAIT_SELLER_SEND_GOODS"
        shipment = await flows.shipment_requested(actors, order_id)
        assert shipment["status"] == "awaiting_dispatch"
        assert sorted((i["sku"], i["quantity"]) for i in shipment["items"]) == [
            (CUP.sku, CUP.quantity),
            (TEA.sku, TEA.quantity),
        ]
        ordered = flows.receiver()
        assert (shipment["receiver"]["name"], shipment["receiver"]["phone"]) == (
            ordered["name"],
            ordered["phone"],
        )
        assert shipment["receiver"]["address"]["street"] == ordered["address"]["street"]
        # Agreement 2: ship by paid_at + 24 h, never later than paid_at + 48 h (default policy).
        view = await flows.order(actors, order_id, min_version=paid["version"])
        (payment,) = [e["data"] for e in view["timeline"] if e["type"] == "order.paid"]
        paid_at = at(payment["paid_at"])
        assert at(shipment["ship_by"]) == paid_at + timedelta(hours=24)
        assert at(shipment["ship_limit"]) == paid_at + timedelta(hours=48)

        parcel = flows.waybill()
        await flows.dispatch(actors, order_id, parcel)
        await flows.deliver(actors, order_id)
        await flows.confirm_receipt(actors, order_id)
        rated = await flows.rate(actors, order_id)

        final = await flows.order_when(
            actors, order_id,
            lambda o: o["version"] >= rated["version"]
            and o["detail"]["shipment"]["delivered_at"] is not None,
            "completed, rated and delivered in the order's view",
        )  # fmt: skip
        assert (final["status"], final["platform_status"]) == ("completed", "TRADE_FINISHED")
        assert final["detail"]["shipment"]["waybill"] == parcel
        assert final["detail"]["rating"]["service_score"] == 5
        timeline = [entry["type"] for entry in final["timeline"]]
        for expected in ("order.paid", "logistics.shipped", "order.shipped", "logistics.delivered",
                         "order.completed", "order.rated"):  # fmt: skip
            assert expected in timeline
        sold = await flows.stock(actors, TEA.sku)
        assert (sold["on_hand"], sold["reserved"]) == (100 - TEA.quantity, 0)

        await _every_event_follows_the_contracts_in_stream_order(system, order_id)


async def _every_event_follows_the_contracts_in_stream_order(system: System, order_id: str) -> None:
    """Every record of the three topics decodes with the contracts; each order's events are
    published in stream sequence order; this order's streams have no gap."""
    expected = {
        Service.ORDER: ["order.placed", "order.stock_reserved", "order.paid", "order.shipped",
                        "order.receipt_confirmed", "order.completed", "order.rated"],
        Service.LOGISTICS: ["logistics.shipment_requested", "logistics.shipped",
                            "logistics.delivered"],
    }  # fmt: skip
    for service, types in expected.items():
        envelopes = await flows.published_when(
            system.bootstrap, system.topics[service], flows.has_types(order_id, types),
            f"{service.value} events of {order_id}",
        )  # fmt: skip
        assert flows.out_of_order_streams(envelopes) == {}
        mine = [e.sequence for e in flows.first_deliveries(envelopes) if e.subject == order_id]
        assert mine == list(range(mine[0], mine[0] + len(mine)))
        assert {e.data.producer for e in envelopes} == {service}
    aftersales = await flows.published(system.bootstrap, system.topics[Service.AFTERSALES])
    assert flows.out_of_order_streams(aftersales) == {}


async def test_a_presale_order_reminds_the_buyer_and_ships_only_after_the_balance(
    system: System,
) -> None:
    async with Actors.of(system) as actors:
        now = await system_now(system)
        deposit, balance = 5_000, flows.payable() - 5_000
        balance_due_by = now + timedelta(days=3)
        presale = {
            "deposit": deposit,
            "balance": balance,
            "balance_starts_at": (now + timedelta(hours=1)).isoformat(),
            "balance_due_by": balance_due_by.isoformat(),
        }
        placed = await flows.place_order(actors, presale=presale)
        order_id = placed["order_id"]
        assert placed["status"] == "awaiting_deposit"

        deposit_paid = await flows.pay(actors, order_id, deposit, "deposit")
        assert deposit_paid["platform_status"] == "FRONT_PAID_FINAL_NOPAID"
        due_by = at(deposit_paid["timeout_at"])
        assert due_by == balance_due_by

        # The reminder is due one lead (24 h by default) before the balance deadline.
        await system.advance(due_by - timedelta(hours=24) - await system_now(system)
                             + timedelta(minutes=1))  # fmt: skip
        reminded = await flows.order_when(
            actors, order_id, lambda o: o["detail"]["balance_reminded"], "balance reminder"
        )
        assert "order.balance_reminder_due" in [e["type"] for e in reminded["timeline"]]
        assert reminded["status"] == "awaiting_balance"

        balance_paid = await flows.pay(actors, order_id, balance, "balance")
        assert balance_paid["status"] == "awaiting_shipment"
        shipment = await flows.shipment_requested(actors, order_id)
        # Shipping is due from the balance payment, not from the deposit.
        assert at(shipment["ship_by"]) >= due_by - timedelta(hours=24) + timedelta(hours=24)
        await flows.dispatch(actors, order_id)
        shipped = await flows.order_when(
            actors, order_id, lambda o: o["status"] == "shipped", "presale order shipped"
        )
        assert shipped["detail"]["amounts"]["paid"]["amount"] == flows.payable()
        envelopes = await flows.published(system.bootstrap, system.topics[Service.ORDER])
        types = flows.types_of(envelopes, order_id)
        assert types.index("order.balance_reminder_due") < types.index("order.balance_paid")


async def test_an_unpaid_order_closes_when_its_payment_window_ends_and_releases_its_stock(
    system: System,
) -> None:
    async with Actors.of(system) as actors:
        placed = await flows.place_order(actors)
        order_id = placed["order_id"]
        assert (await flows.stock(actors, TEA.sku))["available"] == 100 - TEA.quantity

        payment_due_by = at(placed["timeout_at"])
        await system.advance(payment_due_by - await system_now(system) + timedelta(minutes=1))
        closed = await flows.order_when(
            actors, order_id, lambda o: o["status"] == "closed", "unpaid order closed"
        )
        assert closed["platform_status"] == "TRADE_CLOSED_BY_TAOBAO"
        assert closed["detail"]["close_reason"] == "unpaid_timeout"
        released = await flows.stock(actors, TEA.sku)
        assert (released["reserved"], released["available"]) == (0, 100)

        late = await actors.send(
            Service.ORDER, Role.SYSTEM, f"/v1/orders/{order_id}/payments",
            flows.payment(flows.payable()),
        )  # fmt: skip
        assert (late.status_code, late.json()["code"]) == (409, "order-not-payable")
        envelopes = await flows.published_when(
            system.bootstrap, system.topics[Service.ORDER],
            lambda found: "order.closed" in flows.types_of(found, order_id), "order.closed",
        )  # fmt: skip
        assert flows.types_of(envelopes, order_id)[-2:] == ["order.stock_released", "order.closed"]


async def test_an_order_cancelled_before_payment_releases_its_stock_and_owes_nothing(
    system: System,
) -> None:
    async with Actors.of(system) as actors:
        placed = await flows.place_order(actors)
        order_id = placed["order_id"]
        cancelled = await flows.cancel(actors, order_id)
        assert cancelled["events"] == ["order.cancelled", "order.stock_released"]
        assert cancelled["platform_status"] == "TRADE_CLOSED_BY_TAOBAO"
        assert cancelled["detail"]["refund_due"]["amount"] == 0
        assert (await flows.stock(actors, TEA.sku))["reserved"] == 0
        view = await flows.order(actors, order_id, min_version=cancelled["version"])
        assert view["status"] == "cancelled"
        late = await actors.send(
            Service.ORDER, Role.SYSTEM, f"/v1/orders/{order_id}/payments",
            flows.payment(flows.payable()),
        )  # fmt: skip
        assert late.status_code == 409


async def test_an_order_cancelled_after_payment_calls_off_its_shipment(system: System) -> None:
    async with Actors.of(system) as actors:
        order_id = await flows.paid_order(actors)
        cancelled = await flows.cancel(actors, order_id)
        assert cancelled["platform_status"] == "TRADE_CLOSED"
        assert cancelled["detail"]["refund_due"]["amount"] == flows.payable()

        shipment = await flows.shipment_when(
            actors, order_id, lambda s: s["status"] == "cancelled", "shipment cancelled"
        )
        assert shipment["cancel_reason"] == "order_cancelled"
        refused = await actors.send(
            Service.LOGISTICS, Role.SELLER, f"/v1/shipments/{order_id}/dispatch",
            flows.dispatch_body(shipment),
        )  # fmt: skip
        assert (refused.status_code, refused.json()["code"]) == (409, "order-cancelled")
        assert (await flows.stock(actors, TEA.sku))["reserved"] == 0


async def test_an_address_changed_after_payment_is_where_the_parcel_goes(system: System) -> None:
    async with Actors.of(system) as actors:
        order_id = await flows.paid_order(actors)
        new_receiver = flows.receiver("韩梅梅", "漕溪北路 88 号", "上海市")
        changed = await flows.change_address(actors, order_id, new_receiver)
        assert changed["events"] == ["order.address_changed"]

        shipment = await flows.shipment_when(
            actors, order_id, lambda s: s["receiver"]["name"] == "韩梅梅", "new receiver"
        )
        assert shipment["receiver"]["address"]["street"] == "漕溪北路 88 号"
        assert shipment["receiver"]["address"]["city"] == "上海市"
        dispatched = await flows.dispatch(actors, order_id)
        after = await flows.shipment_when(
            actors, order_id, lambda s: s["version"] >= dispatched["version"], "dispatched"
        )
        assert after["status"] == "shipped"
        assert after["receiver"]["name"] == "韩梅梅"

        envelopes = await flows.published_when(
            system.bootstrap, system.topics[Service.LOGISTICS],
            lambda found: "logistics.shipped" in flows.types_of(found, order_id), "shipped",
        )  # fmt: skip
        assert flows.types_of(envelopes, order_id) == [
            "logistics.shipment_requested",
            "logistics.shipment_receiver_changed",
            "logistics.shipped",
        ]
        await flows.order_when(actors, order_id, lambda o: o["status"] == "shipped", "shipped")
        too_late = await actors.send(
            Service.ORDER, Role.BUYER, f"/v1/orders/{order_id}/address",
            {"receiver": flows.receiver("李雷")},
        )  # fmt: skip
        assert too_late.status_code == 409


async def test_a_duplicate_payment_is_recorded_as_surplus_and_ships_one_parcel(
    system: System,
) -> None:
    async with Actors.of(system) as actors:
        placed = await flows.place_order(actors)
        order_id, amount = placed["order_id"], flows.payable()
        await flows.pay(actors, order_id, amount)
        duplicate = await flows.pay(actors, order_id, amount)
        assert duplicate["events"] == ["order.duplicate_payment_detected"]
        assert duplicate["detail"]["duplicate_surplus"]["amount"] == amount
        assert duplicate["detail"]["paid"]["amount"] == amount

        await flows.dispatch(actors, order_id)
        envelopes = await flows.published_when(
            system.bootstrap, system.topics[Service.LOGISTICS],
            lambda found: "logistics.shipped" in flows.types_of(found, order_id), "shipped",
        )  # fmt: skip
        assert flows.types_of(envelopes, order_id) == [
            "logistics.shipment_requested",
            "logistics.shipped",
        ]
        # Aftersales counts what was paid, never the surplus (which goes back by itself).
        too_much = await flows.refusal(
            actors, order_id, flows.refund_terms("refund_only", "changed_mind", amount + 1)
        )
        assert (too_much["code"], too_much["refundable"]) == (
            "refund-amount-exceeds-refundable",
            amount,
        )


async def test_a_lost_parcel_is_reshipped_under_a_new_waybill_and_delivered(
    system: System,
) -> None:
    async with Actors.of(system) as actors:
        order_id = await flows.paid_order(actors)
        first, second = flows.waybill("SF"), flows.waybill("ZTO")
        await flows.dispatch(actors, order_id, first)
        raised = await flows.open_exception(actors, order_id, "lost", "no scan for five days")
        resolved = await flows.reship(actors, order_id, raised["exception_id"], second)
        assert resolved["events"] == ["logistics.exception_resolved"]

        shipment = await flows.shipment_when(
            actors, order_id, lambda s: s["version"] >= resolved["version"], "reshipped"
        )
        assert shipment["waybill"] == second
        assert shipment["open_exceptions"] == 0
        assert [(x["resolution"], x["new_waybill"]) for x in shipment["exceptions"]] == [
            ("reshipped", second)
        ]
        await flows.deliver(actors, order_id, second)
        delivered = await flows.order_when(
            actors, order_id,
            lambda o: (o["detail"]["shipment"] or {}).get("delivered_at") is not None,
            "delivery in the order's view",
        )  # fmt: skip
        timeline = [entry["type"] for entry in delivered["timeline"]]
        assert (
            timeline.index("logistics.exception_raised")
            < timeline.index("logistics.exception_resolved")
            < timeline.index("logistics.delivered")
        )
        assert delivered["status"] == "shipped"


async def test_a_parcel_the_buyer_never_confirms_completes_after_the_extended_window(
    system: System,
) -> None:
    async with Actors.of(system) as actors:
        order_id = await flows.paid_order(actors)
        await flows.dispatch(actors, order_id)
        shipped = await flows.order_when(
            actors, order_id, lambda o: o["status"] == "shipped", "order shipped"
        )
        auto_confirm_at = at(shipped["timeout_at"])
        extended = await actors.command(
            Service.ORDER, Role.BUYER, f"/v1/orders/{order_id}/auto-confirm-extension",
            {"days": 3},
        )  # fmt: skip
        assert at(extended["timeout_at"]) == auto_confirm_at + timedelta(days=3)

        # Past the original window first, then past the extended one: the confirmation, by
        # the system, carries a time after the extended deadline.
        await system.advance(auto_confirm_at - await system_now(system) + timedelta(hours=1))
        await system.advance(timedelta(days=3))
        completed = await flows.order_when(
            actors, order_id, lambda o: o["status"] == "completed", "confirmed automatically"
        )
        assert completed["platform_status"] == "TRADE_FINISHED"
        (receipt,) = [e for e in completed["timeline"] if e["type"] == "order.receipt_confirmed"]
        assert receipt["actor"] == "system"
        assert receipt["data"]["automatic"] is True
        assert at(receipt["occurred_at"]) >= at(extended["timeout_at"])
