"""A paid order through the API: queue, dispatch, tracking (single, batch), exception, delivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.catalog import REGISTRY
from contracts.kafka_binding import from_kafka
from logistics_service.examples import RESHIP_WAYBILL, WAYBILL
from tests.integration.logistics.harness import SHOP, Logistics

pytestmark = pytest.mark.integration


def scan(hours: float, status: str, waybill: dict[str, str] | None = None) -> dict[str, Any]:
    occurred = datetime.now(UTC) + timedelta(hours=hours)
    return {
        "waybill": waybill or WAYBILL.model_dump(),
        "checkpoint": {
            "occurred_at": occurred.isoformat(),
            "status": status,
            "location": "杭州转运中心",
            "description": f"快件 {status}",
        },
    }


async def test_a_paid_order_is_queued_shipped_tracked_and_delivered(logistics: Logistics) -> None:
    order_id = await logistics.paid_order()
    queue = (await logistics.queue("awaiting-dispatch", logistics.seller())).json()
    assert [item["order_id"] for item in queue["items"]] == [order_id]

    dispatched = await logistics.dispatch(order_id)
    assert dispatched.status_code == 200, dispatched.text
    assert dispatched.json()["events"] == ["logistics.shipped"]
    assert dispatched.headers["ETag"] == '"2"'
    shipment = (await logistics.shipment(order_id, min_version=2)).json()
    assert shipment["status"] == "shipped"
    assert shipment["waybill"] == WAYBILL.model_dump()
    assert (await logistics.queue("awaiting-dispatch")).json()["items"] == []

    # The carrier's scans come in over the next day and a half: the service's clock moves past
    # them, since a scan dated ahead of it is refused (implausible-time).
    await logistics.advance(timedelta(hours=48))
    await _track_single_and_batch(logistics, order_id)
    await _lose_and_reship(logistics, order_id)

    delivered = await logistics.command(
        f"/v1/shipments/{order_id}/delivery", {"signed_by": "本人"}, logistics.carrier()
    )
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["status"] == "delivered"
    final = (await logistics.shipment(order_id, min_version=delivered.json()["version"])).json()
    assert final["delivered_at"] is not None
    assert final["signed_by"] == "本人"

    await _events_follow_the_contracts(logistics, order_id)


async def _track_single_and_batch(logistics: Logistics, order_id: str) -> None:
    path = f"/v1/shipments/{order_id}/checkpoints"
    accepted = scan(1, "accepted")
    first = await logistics.command(path, accepted, logistics.carrier())
    assert first.json()["events"] == ["logistics.tracking_updated"]
    again = await logistics.command(path, accepted, logistics.carrier())
    assert again.status_code == 200
    assert again.json()["events"] == []

    unknown = scan(2, "in_transit", {"carrier": "SF", "tracking_number": "SF999999999999"})
    hub = scan(8, "arrived_at_hub")
    batch = [scan(20, "out_for_delivery"), hub, accepted, unknown, hub]
    response = await logistics.command(
        "/v1/tracking/checkpoints:batch", {"checkpoints": batch}, logistics.carrier()
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert [r["outcome"] for r in result["results"]] == [
        "recorded", "recorded", "duplicate", "rejected", "duplicate",
    ]  # fmt: skip
    assert result["results"][3]["code"] == "waybill-unknown"
    assert result["results"][3]["retryable"] is True
    assert (result["recorded"], result["duplicates"], result["rejected"]) == (2, 2, 1)
    replayed = await logistics.command(
        "/v1/tracking/checkpoints:batch", {"checkpoints": batch}, logistics.carrier(),
        key=response.request.headers["Idempotency-Key"],
    )  # fmt: skip
    assert replayed.json() == result
    assert replayed.headers["Idempotent-Replayed"] == "true"

    # an old scan arriving last joins the history but does not move the current status
    late = await logistics.command(path, scan(4, "in_transit"), logistics.carrier())
    tracking = await logistics.client.get(
        f"/v1/shipments/{order_id}/tracking",
        params={"min_version": late.json()["version"]},
        headers=logistics.seller(),
    )
    body = tracking.json()
    assert [c["status"] for c in body["checkpoints"]] == [
        "accepted", "in_transit", "arrived_at_hub", "out_for_delivery",
    ]  # fmt: skip
    assert body["current_status"] == "out_for_delivery"


async def _lose_and_reship(logistics: Logistics, order_id: str) -> None:
    opened = await logistics.command(
        f"/v1/shipments/{order_id}/exceptions",
        {"kind": "lost", "description": "no scan for 72 hours", "exception_id": "exc-lost"},
        logistics.seller(),
    )
    assert opened.status_code == 201, opened.text
    await logistics.shipment(order_id, min_version=opened.json()["version"])
    queue = (await logistics.queue("exceptions", logistics.seller())).json()
    assert [(i["order_id"], i["open_exceptions"]) for i in queue["items"]] == [(order_id, 1)]
    resolved = await logistics.command(
        f"/v1/shipments/{order_id}/exceptions/exc-lost/resolution",
        {"resolution": "reshipped", "new_waybill": RESHIP_WAYBILL.model_dump()},
        logistics.seller(),
    )
    assert resolved.status_code == 200, resolved.text
    shipment = (await logistics.shipment(order_id, min_version=resolved.json()["version"])).json()
    assert shipment["waybill"] == RESHIP_WAYBILL.model_dump()
    assert shipment["exceptions"][0]["resolution"] == "reshipped"
    assert shipment["open_exceptions"] == 0
    on_new = await logistics.command(
        "/v1/tracking/checkpoints:batch",
        {"checkpoints": [scan(30, "in_transit", RESHIP_WAYBILL.model_dump())]},
        logistics.carrier(),
    )
    assert on_new.json()["results"][0]["outcome"] == "recorded"
    assert on_new.json()["results"][0]["order_id"] == order_id


async def _events_follow_the_contracts(logistics: Logistics, order_id: str) -> None:
    expected = [
        "logistics.shipment_requested",
        "logistics.shipped",
        *["logistics.tracking_updated"] * 4,
        "logistics.exception_raised",
        "logistics.exception_resolved",
        "logistics.tracking_updated",
        "logistics.delivered",
    ]
    assert await logistics.stored_types(order_id) == expected
    records = await logistics.logistics_events(lambda seen: len(seen) >= len(expected))
    envelopes = [from_kafka(r.key, r.value, r.headers, REGISTRY) for r in records]
    assert [e.type for e in envelopes] == expected
    assert [e.sequence for e in envelopes] == list(range(1, len(expected) + 1))
    assert {e.subject for e in envelopes} == {order_id}
    assert {e.data.shop_id for e in envelopes} == {SHOP}
    requested = envelopes[0]
    assert requested.actor.value == "system"
    assert requested.correlationid == f"flow-{order_id}"
    assert envelopes[1].actor.value == "seller"


async def test_a_correlation_id_no_event_could_carry_is_refused_and_records_nothing(
    logistics: Logistics,
) -> None:
    order_id = await logistics.paid_order()
    refused = await logistics.dispatch(order_id, headers={"X-Correlation-Id": "c" * 129})
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "invalid-correlation-id"
    assert await logistics.stored_types(order_id) == ["logistics.shipment_requested"]

    kept = {"X-Correlation-Id": "c" * 128}
    dispatched = await logistics.dispatch(order_id, headers=kept)
    assert dispatched.status_code == 200, dispatched.text
    records = await logistics.logistics_events(
        until=lambda got: any(r.event_type == "logistics.shipped" for r in got)
    )
    shipped = next(r for r in records if r.event_type == "logistics.shipped")
    assert (
        from_kafka(shipped.key, shipped.value, shipped.headers, REGISTRY).correlationid == "c" * 128
    )
