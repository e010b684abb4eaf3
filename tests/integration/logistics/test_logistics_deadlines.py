"""Ship-by deadlines fired by moving the database clock, the overdue queue, and the figures."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from contracts.catalog import REGISTRY
from contracts.kafka_binding import from_kafka
from contracts.values import Waybill
from eventing.testing import eventually
from tests.integration.logistics.harness import SHOP, Logistics, cancelled, placed

pytestmark = pytest.mark.integration


async def test_target_and_limit_are_each_reported_once_when_time_passes(
    logistics: Logistics,
) -> None:
    late, on_time = await logistics.paid_order(), await logistics.paid_order()
    assert (await logistics.dispatch(on_time)).status_code == 200

    await logistics.advance(timedelta(hours=25))
    missed = await logistics.shipment_when(late, lambda s: "target" in s["missed_deadlines"])
    assert missed["overdue"] is True
    overdue = (await logistics.queue("overdue", logistics.seller())).json()
    assert [item["order_id"] for item in overdue["items"]] == [late]

    await logistics.advance(timedelta(hours=24))
    both = await logistics.shipment_when(late, lambda s: "limit" in s["missed_deadlines"])
    assert set(both["missed_deadlines"]) == {"target", "limit"}

    await logistics.advance(timedelta(days=3))
    second_parcel = Waybill(carrier="SF", tracking_number="SF123456789013")
    assert (await logistics.dispatch(late, waybill=second_parcel)).status_code == 200
    stored = await logistics.stored_types(late)
    assert stored.count("logistics.ship_deadline_missed") == 2
    assert "logistics.ship_deadline_missed" not in await logistics.stored_types(on_time)

    records = await logistics.logistics_events(
        lambda seen: (
            sum(r.event_type == "logistics.ship_deadline_missed" for r in seen) >= 2
            and sum(r.event_type == "logistics.shipped" for r in seen) >= 2
        )
    )
    deadlines = [
        from_kafka(r.key, r.value, r.headers, REGISTRY)
        for r in records
        if r.event_type == "logistics.ship_deadline_missed"
    ]
    assert sorted(e.data.model_dump()["deadline"] for e in deadlines) == ["limit", "target"]
    assert {e.actor.value for e in deadlines} == {"system"}
    await _figures_count_the_late_and_the_punctual(logistics)


async def _figures_count_the_late_and_the_punctual(logistics: Logistics) -> None:
    async def shop_figures() -> dict[str, object]:
        response = await logistics.client.get(f"/v1/stats/shops/{SHOP}", headers=logistics.seller())
        figures: dict[str, object] = response.json()
        return figures

    figures = await eventually(shop_figures, lambda f: f["shipped"] == 2)
    assert figures["requested"] == 2
    assert figures["shipped_on_target"] == 1
    assert figures["on_target_share"] == 0.5
    assert figures["within_limit_share"] == 0.5
    assert figures["within_24h_of_payment_share"] == 0.5
    assert figures["within_48h_of_payment_share"] == 0.5
    assert (figures["target_missed"], figures["limit_missed"]) == (1, 1)
    carriers = await logistics.client.get("/v1/stats/carriers", headers=logistics.seller())
    [sf] = carriers.json()["carriers"]
    assert (sf["carrier"], sf["shipped"], sf["exception_rate"]) == ("SF", 2, 0.0)


async def test_a_dispatched_or_cancelled_shipment_has_no_pending_deadline(
    logistics: Logistics,
) -> None:
    order_id = await logistics.paid_order()
    scheduled = await logistics.deadlines(order_id)
    assert sorted(scheduled) == ["logistics.ship_by_limit", "logistics.ship_by_target"]
    assert (await logistics.dispatch(order_id)).status_code == 200
    assert await logistics.deadlines(order_id) == []


async def test_only_requested_shipments_count_as_cancelled_in_the_figures(
    logistics: Logistics,
) -> None:
    """An order cancelled before payment never had a shipment to cancel (issue 17)."""
    requested = [await logistics.paid_order(), await logistics.paid_order()]
    unpaid = [f"ord-unpaid-{n}" for n in range(2)]
    await logistics.publish(*(placed(order_id) for order_id in unpaid))
    await logistics.publish(*(cancelled(order_id) for order_id in [*requested, *unpaid]))
    for order_id in [*requested, *unpaid]:
        await logistics.order_applied(order_id)
    for order_id in requested:
        await logistics.shipment_when(order_id, lambda s: s["status"] == "cancelled")

    response = await logistics.client.get(f"/v1/stats/shops/{SHOP}", headers=logistics.seller())
    figures = response.json()
    assert figures["requested"] == 2
    assert figures["cancelled"] == 2


@pytest.mark.parametrize("timer_first", [True, False], ids=["timer first", "close first"])
async def test_an_order_ended_past_its_target_counts_the_target_once_whichever_comes_first(
    logistics: Logistics, timer_first: bool
) -> None:
    """One clock move passes the target and ends the order (a refund time-out closes it): the
    target's timer and the order's event race to logistics. Judged by the due time against the
    event's own time, the target was missed once either way (issue 23)."""
    shop = f"shop-race-{uuid.uuid4().hex[:6]}"
    order_id = await logistics.paid_order(shop_id=shop)
    ended_at = await logistics.now() + timedelta(hours=25)  # past the 24 h target, not the limit
    if timer_first:
        await logistics.advance(timedelta(hours=25))
        await logistics.shipment_when(order_id, lambda s: "target" in s["missed_deadlines"])
        await logistics.publish(cancelled(order_id, shop), at=ended_at)
    else:
        await logistics.publish(cancelled(order_id, shop), at=ended_at)
        await logistics.shipment_when(order_id, lambda s: s["status"] == "cancelled")
        await logistics.advance(timedelta(hours=25))
    shipment = await logistics.shipment_when(order_id, lambda s: s["status"] == "cancelled")
    assert list(shipment["missed_deadlines"]) == ["target"]
    assert (await logistics.stored_types(order_id)).count("logistics.ship_deadline_missed") == 1
    assert await logistics.deadlines(order_id) == []

    async def shop_figures() -> dict[str, object]:
        response = await logistics.client.get(
            f"/v1/stats/shops/{shop}", headers=logistics.seller(shop)
        )
        figures: dict[str, object] = response.json()
        return figures

    figures = await eventually(shop_figures, lambda f: f["cancelled"] == 1)
    assert (figures["target_missed"], figures["limit_missed"]) == (1, 0)
