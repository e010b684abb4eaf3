"""Placements racing for the last units, and orders placed on a buyer's behalf."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

import pytest

from tests.integration.order.harness import BUYER, TEA, Orders, order_body

pytestmark = pytest.mark.integration


async def test_orders_racing_for_the_last_units_never_oversell(service: Orders) -> None:
    await service.set_stock(TEA, 3)
    answers = await asyncio.gather(
        *(service.command("/v1/orders", order_body(tea=1, cup=0), service.buyer) for _ in range(5))
    )
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [201, 201, 201, 409, 409]
    level = await service.stock(TEA)
    assert (level["on_hand"], level["reserved"], level["available"]) == (3, 3, 0)


async def test_customer_service_places_an_order_for_a_named_buyer(service: Orders) -> None:
    await service.set_stock(TEA, 3)
    body = order_body(tea=1, cup=0, buyer_id=BUYER)
    placed = await service.command("/v1/orders", body, service.seller)
    assert placed.status_code == 201, placed.text
    detail = await service.order(
        placed.json()["order_id"], service.buyer, min_version=placed.json()["version"]
    )
    assert detail.json()["detail"]["channel"] == "customer_service"
    assert detail.json()["buyer_id"] == BUYER
    nameless = await service.command("/v1/orders", order_body(tea=1, cup=0), service.seller)
    assert nameless.status_code == 422
    assert nameless.json()["code"] == "buyer-required"
    elsewhere = await service.command(
        "/v1/orders", order_body(tea=1, cup=0, buyer_id=BUYER), service.other_seller
    )
    assert elsewhere.status_code == 403


async def test_the_address_changes_before_shipment(service: Orders) -> None:
    await service.set_stock(TEA, 3)
    order_id = (await service.place(order_body(tea=1, cup=0)))["order_id"]
    receiver = {
        "name": "韩梅梅",
        "phone": "+85291234567",
        "address": {"country": "HK", "province": "香港", "city": "香港", "street": "皇后大道 1 号"},
    }
    moved = await service.command(
        f"/v1/orders/{order_id}/address", {"receiver": receiver}, service.buyer, if_match=2
    )
    assert moved.status_code == 200, moved.text
    order = await service.order(order_id, service.buyer, min_version=moved.json()["version"])
    assert order.json()["detail"]["receiver"]["phone"] == "+85291234567"


async def test_a_placement_whose_order_id_exists_already_is_a_conflict_that_changes_nothing(
    service: Orders, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A placement reads no stream (its id is new); were the id ever taken, the append refuses.
    await service.set_stock(TEA, 3)
    taken = uuid.uuid4()
    monkeypatch.setattr("order_service.api.commands.uuid", SimpleNamespace(uuid4=lambda: taken))
    first = await service.command("/v1/orders", order_body(tea=1, cup=0), service.buyer)
    assert first.status_code == 201, first.text

    again = await service.command("/v1/orders", order_body(tea=1, cup=0), service.buyer)

    assert again.status_code == 409, again.text
    assert again.json()["type"].endswith("concurrency-conflict")
    level = await service.stock(TEA)
    assert (level["on_hand"], level["reserved"]) == (3, 1)
