"""Roles, masking of the receiver, shop scoping of lists, and the shop's ship-by policy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from eventing.http.auth import Role
from logistics_service.examples import RECEIVER
from tests.integration.logistics.harness import BUYER, SHOP, Logistics

pytestmark = pytest.mark.integration


async def test_the_receiver_is_shown_in_full_only_to_those_who_ship_or_own_the_order(
    logistics: Logistics,
) -> None:
    order_id = await logistics.paid_order()
    path = f"/v1/shipments/{order_id}"
    full = RECEIVER.model_dump(mode="json")
    for caller in (
        logistics.seller(),
        logistics.auth(Role.PLATFORM),
        logistics.carrier(),
        logistics.auth(Role.BUYER, BUYER),
    ):
        shown = await logistics.client.get(path, headers=caller)
        assert shown.status_code == 200, shown.text
        assert shown.json()["receiver"] == full
    masked = (await logistics.client.get(path, headers=logistics.auth(Role.OPS))).json()
    assert masked["receiver"]["name"] == "张*"
    assert masked["receiver"]["phone"] == "138****5678"
    assert masked["receiver"]["address"]["street"] == "****"
    assert masked["receiver"]["address"]["city"] == RECEIVER.address.city

    for stranger in (logistics.auth(Role.BUYER, "someone-else"), logistics.seller("shop-other")):
        hidden = await logistics.client.get(path, headers=stranger)
        assert hidden.status_code == 404
        assert hidden.json()["code"] == "shipment-not-found"
    unauthenticated = await logistics.client.get(path)
    assert unauthenticated.status_code == 401


async def test_commands_and_lists_are_limited_by_role_and_shop(logistics: Logistics) -> None:
    order_id = await logistics.paid_order()
    as_buyer = await logistics.dispatch(order_id, logistics.auth(Role.BUYER, BUYER))
    assert as_buyer.status_code == 403
    other_shop = await logistics.dispatch(order_id, logistics.seller("shop-other"))
    assert other_shop.status_code == 404  # as for an order that does not exist
    assert other_shop.json()["code"] == "shipment-not-found"
    feed_as_seller = await logistics.command(
        "/v1/tracking/checkpoints:batch", {"checkpoints": []}, logistics.seller()
    )
    assert feed_as_seller.status_code == 403

    own = await logistics.queue("awaiting-dispatch", logistics.seller())
    assert [item["order_id"] for item in own.json()["items"]] == [order_id]
    assert (await logistics.queue("awaiting-dispatch", logistics.seller("shop-other"))).json()[
        "items"
    ] == []
    peeking = await logistics.queue("awaiting-dispatch", logistics.seller("shop-other"),
                                    shop_id=SHOP)  # fmt: skip
    assert peeking.status_code == 403
    assert (
        await logistics.queue("awaiting-dispatch", logistics.auth(Role.BUYER))
    ).status_code == 403
    missing_key = await logistics.client.post(
        f"/v1/shipments/{order_id}/dispatch", json={}, headers=logistics.seller()
    )
    assert missing_key.status_code == 400
    assert missing_key.json()["code"] == "idempotency-key-missing"


async def test_the_dispatch_queue_pages_by_deadline(logistics: Logistics) -> None:
    now = datetime.now(UTC)
    orders = [
        await logistics.paid_order(paid_at=now - timedelta(hours=hours)) for hours in (1, 5, 3)
    ]
    first = (await logistics.queue("awaiting-dispatch", limit=2)).json()
    second = (
        await logistics.queue("awaiting-dispatch", limit=2, cursor=first["next_cursor"])
    ).json()
    listed = [item["order_id"] for item in first["items"] + second["items"]]
    assert listed == [orders[1], orders[2], orders[0]]
    assert second["next_cursor"] is None
    bad = await logistics.queue("awaiting-dispatch", cursor="not-a-cursor")
    assert bad.status_code == 400


async def test_a_shop_sets_its_ship_by_window_for_orders_paid_afterwards(
    logistics: Logistics,
) -> None:
    path = f"/v1/shops/{SHOP}/policy"
    default = await logistics.client.get(path, headers=logistics.auth(Role.BUYER, BUYER))
    assert default.json()["policy"]["ship_by_target"] == "P1D"  # ISO 8601 for 24 h
    assert default.json()["is_default"] is True
    body = {"ship_by_target": "PT12H", "ship_by_limit": "PT36H"}

    async def put(caller: dict[str, str], if_match: int | None = None, **change: str) -> int:
        headers = {**caller, "Idempotency-Key": str(uuid.uuid4())}
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        response = await logistics.client.put(path, json={**body, **change}, headers=headers)
        return response.status_code

    assert await put(logistics.seller("shop-other")) == 403
    assert await put(logistics.seller(), ship_by_limit="PT6H") == 422
    assert await put(logistics.seller(), if_match=3) == 412
    assert await put(logistics.seller(), if_match=0) == 200
    assert await put(logistics.auth(Role.PLATFORM), if_match=0, ship_by_limit="PT40H") == 412

    paid_at = datetime(2030, 1, 1, 8, tzinfo=UTC)
    order_id = await logistics.paid_order(paid_at=paid_at)
    shipment = (await logistics.shipment(order_id)).json()
    assert datetime.fromisoformat(shipment["ship_by"]) == paid_at + timedelta(hours=12)
    assert datetime.fromisoformat(shipment["ship_limit"]) == paid_at + timedelta(hours=36)
