"""The logistics API's edge (issue 14): strict bodies, plausible scan and delivery times, bounded
ship-by durations, and the same answer to another shop's seller whether an order exists or not.
Each refusal is a 4xx problem+json and leaves the shipment as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eventing.testing.service import assert_problem
from logistics_service.examples import ITEMS, WAYBILL
from tests.integration.logistics.harness import SHOP, Logistics

pytestmark = pytest.mark.integration


def scan(occurred_at: Any, status: str = "in_transit") -> dict[str, Any]:
    checkpoint = {"occurred_at": occurred_at, "status": status, "description": f"快件 {status}"}
    return {"waybill": WAYBILL.model_dump(), "checkpoint": checkpoint}


async def _unchanged(logistics: Logistics, order_id: str, status: str, version: int) -> None:
    shipment = (await logistics.shipment(order_id, min_version=version)).json()
    assert (shipment["status"], shipment["version"]) == (status, version)
    assert shipment["tracking_status"] is None


async def test_another_shops_seller_gets_the_answer_of_an_order_that_does_not_exist(
    logistics: Logistics,
) -> None:
    order_id = await logistics.paid_order()
    stranger = logistics.seller("shop-other")
    for path, body in (
        ("dispatch", {"waybill": WAYBILL.model_dump(), "items": [i.model_dump() for i in ITEMS]}),
        ("exceptions", {"kind": "delayed", "description": "no scan"}),
        ("delivery", {"signed_by": "本人"}),
    ):
        answers = [
            await logistics.command(f"/v1/shipments/{target}/{path}", body, stranger)
            for target in (order_id, "ord-that-never-was")
        ]
        for answer in answers:
            assert_problem(answer, 404, "shipment-not-found")
        assert answers[0].json()["title"] == answers[1].json()["title"]
    await _unchanged(logistics, order_id, "awaiting_dispatch", 1)


@pytest.mark.parametrize(
    ("items", "location"),
    [
        pytest.param([{"sku": "TEA-LJ-250G", "quantity": "2"}], "body.items.0.quantity", id="str"),
        pytest.param(
            [{"sku": "TEA-LJ-250G", "quantity": True}], "body.items.0.quantity", id="bool"
        ),
        pytest.param(
            [{"sku": "TEA-LJ-250G", "quantity": 2.0}], "body.items.0.quantity", id="float"
        ),
        pytest.param([{"sku": 7, "quantity": 2}], "body.items.0.sku", id="number for a string"),
        pytest.param([{"sku": "TEA\u0000", "quantity": 2}], "body.items.0.sku", id="NUL"),
    ],
)
async def test_a_dispatch_with_a_wrong_json_type_is_refused_naming_the_field(
    logistics: Logistics, items: list[dict[str, Any]], location: str
) -> None:
    order_id = await logistics.paid_order()
    body = {"waybill": WAYBILL.model_dump(), "items": items}
    answer = await logistics.command(f"/v1/shipments/{order_id}/dispatch", body, logistics.seller())
    assert_problem(answer, 422, "validation-error", location)
    await _unchanged(logistics, order_id, "awaiting_dispatch", 1)


async def test_a_scan_from_the_future_or_before_the_dispatch_is_refused(
    logistics: Logistics,
) -> None:
    order_id = await logistics.paid_order()
    dispatched = await logistics.dispatch(order_id)
    assert dispatched.status_code == 200, dispatched.text
    path = f"/v1/shipments/{order_id}/checkpoints"
    now = datetime.now(UTC)
    for occurred_at, code in (
        ("9999-12-31T23:59:59Z", "validation-error"),
        ("0001-01-01T00:00:00Z", "validation-error"),
        (1700000000, "validation-error"),
        ((now + timedelta(hours=1)).isoformat(), "implausible-time"),
        ((now - timedelta(days=1)).isoformat(), "implausible-time"),
    ):
        answer = await logistics.command(path, scan(occurred_at), logistics.carrier())
        assert_problem(answer, 422, code)

    future = scan((now + timedelta(days=3)).isoformat())
    batch = await logistics.command(
        "/v1/tracking/checkpoints:batch", {"checkpoints": [future]}, logistics.carrier()
    )
    assert batch.status_code == 200, batch.text
    assert [(r["outcome"], r["code"]) for r in batch.json()["results"]] == [
        ("rejected", "implausible-time")
    ]
    far = await logistics.command(
        "/v1/tracking/checkpoints:batch",
        {"checkpoints": [scan("9999-12-31T23:59:59Z")]},
        logistics.carrier(),
    )
    assert_problem(far, 422, "validation-error", "body.checkpoints.0.checkpoint.occurred_at")
    await _unchanged(logistics, order_id, "shipped", 2)


async def test_a_delivery_from_the_future_is_refused(logistics: Logistics) -> None:
    order_id = await logistics.paid_order()
    assert (await logistics.dispatch(order_id)).status_code == 200
    path = f"/v1/shipments/{order_id}/delivery"
    now = datetime.now(UTC)
    for delivered_at, code in (
        ("9999-12-31T23:59:59Z", "validation-error"),
        ((now + timedelta(hours=2)).isoformat(), "implausible-time"),
    ):
        answer = await logistics.command(path, {"delivered_at": delivered_at}, logistics.carrier())
        assert_problem(answer, 422, code)
    await _unchanged(logistics, order_id, "shipped", 2)
    on_time = await logistics.command(path, {"delivered_at": now.isoformat()}, logistics.carrier())
    assert on_time.status_code == 200, on_time.text


async def test_a_ship_by_duration_beyond_its_bounds_is_refused(logistics: Logistics) -> None:
    path = f"/v1/shops/{SHOP}/policy"
    for target, limit in (("PT24H", "P99999999D"), ("PT30S", "PT48H"), ("P91D", "P91D")):
        body = {"ship_by_target": target, "ship_by_limit": limit}
        answer = await logistics.command(path, body, logistics.seller(), method="PUT")
        assert_problem(answer, 422, "validation-error")
    policy = (await logistics.client.get(path, headers=logistics.seller())).json()
    assert (policy["version"], policy["policy"]["ship_by_target"]) == (0, "P1D")


@pytest.mark.parametrize(
    "sent", ["o" * 65, "%2E%2E", "a%25b", "a%07b"], ids=["65 characters", "dots", "%", "BEL"]
)
async def test_an_id_in_a_path_is_held_to_the_identifier_rule_of_bodies(
    logistics: Logistics, sent: str
) -> None:
    order_id = await logistics.paid_order()
    read = await logistics.shipment(sent)
    assert_problem(read, 422, "validation-error", "path.order_id")
    dispatch = await logistics.dispatch(sent)
    assert_problem(dispatch, 422, "validation-error", "path.order_id")
    resolution = await logistics.command(
        f"/v1/shipments/{order_id}/exceptions/{sent}/resolution",
        {"resolution": "reshipped"},
        logistics.seller(),
    )
    assert_problem(resolution, 422, "validation-error", "path.exception_id")
    await _unchanged(logistics, order_id, "awaiting_dispatch", 1)
