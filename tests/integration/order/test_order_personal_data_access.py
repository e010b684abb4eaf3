"""Every full view of an order's receiver is recorded (issue 16, item 4), and the platform and ops
read the records back with `GET /v1/personal-data-access`; nobody else does."""

from __future__ import annotations

from typing import Any

import pytest

from eventing.http.auth import Role
from eventing.testing.service import Headers, assert_problem
from tests.integration.order.harness import BUYER, SHOP, Orders

pytestmark = pytest.mark.integration

ACCESS = "/v1/personal-data-access"
RECEIVER_FIELDS = ["receiver.name", "receiver.phone", "receiver.address"]


async def records(orders: Orders, reader: Headers | None = None, **query: Any) -> list[Any]:
    answer = await orders.client.get(ACCESS, params=query, headers=reader or orders.platform)
    assert answer.status_code == 200, answer.text
    items: list[Any] = answer.json()["items"]
    return items


async def visible_order(orders: Orders) -> str:
    """A placed order once its read model shows it (waited for as ops: masked, not recorded)."""
    order_id: str = (await orders.place())["order_id"]
    await orders.read_when(f"/v1/orders/{order_id}", orders.ops, lambda _: True, "order shown")
    return order_id


async def test_the_buyer_the_seller_and_the_platform_reading_in_full_are_each_recorded(
    service: Orders,
) -> None:
    await service.stocked()
    order_id = await visible_order(service)
    readers = {
        "buyer": service.buyer,
        "seller": service.seller,
        "platform": service.platform,
        "ops": service.ops,
        "other buyer": service.other_buyer,
        "other seller": service.other_seller,
    }
    for name, caller in readers.items():
        answer = await service.order(order_id, {**caller, "X-Correlation-Id": f"flow-{name}"})
        assert answer.status_code == (404 if name.startswith("other") else 200), answer.text

    recorded = await records(service, order_id=order_id)
    assert [(r["caller_role"], r["caller_subject"]) for r in recorded] == [
        ("platform", "judge-1"),
        ("seller", "clerk-1"),
        ("buyer", BUYER),
    ]  # newest first; ops saw it masked, the others not at all
    for record in recorded:
        assert record["data_subject"] == BUYER
        assert record["order_id"] == order_id
        assert record["fields"] == RECEIVER_FIELDS
        assert record["endpoint"] == "GET /v1/orders/{order_id}"
        assert record["service"] == "order"
    assert recorded[1]["caller_shop_id"] == SHOP
    assert recorded[1]["correlation_id"] == "flow-seller"
    assert recorded[2]["caller_shop_id"] is None


async def test_records_are_filtered_by_buyer_order_and_caller_and_paged_newest_first(
    service: Orders,
) -> None:
    await service.stocked()
    first = await visible_order(service)
    second = await visible_order(service)
    for order_id in (first, second, first):
        assert (await service.order(order_id, service.buyer)).status_code == 200
    assert (await service.order(second, service.seller)).status_code == 200

    by_buyer = await records(service, service.ops, buyer_id=BUYER)
    assert [r["order_id"] for r in by_buyer] == [second, first, second, first]
    assert [r["order_id"] for r in await records(service, order_id=first)] == [first, first]
    by_seller = await records(service, caller="clerk-1")
    assert [(r["order_id"], r["caller_role"]) for r in by_seller] == [(second, "seller")]
    assert await records(service, buyer_id="buyer-nobody") == []

    page = await service.client.get(ACCESS, params={"limit": 3}, headers=service.platform)
    assert len(page.json()["items"]) == 3
    rest = await service.client.get(
        ACCESS, params={"limit": 3, "cursor": page.json()["next_cursor"]}, headers=service.platform
    )
    assert [r["id"] for r in page.json()["items"] + rest.json()["items"]] == [
        r["id"] for r in by_buyer
    ]
    assert rest.json()["next_cursor"] is None


async def test_only_the_platform_and_ops_read_the_records(service: Orders) -> None:
    for role in (Role.BUYER, Role.SELLER, Role.SYSTEM):
        caller = service.auth(role, BUYER, SHOP if role is Role.SELLER else None)
        for query in ({}, {"buyer_id": BUYER}):
            refused = await service.client.get(ACCESS, params=query, headers=caller)
            assert_problem(refused, 403, "forbidden")
    assert_problem(await service.client.get(ACCESS), 401, "unauthenticated")


INVALID_FILTERS = [
    ({"limit": "0"}, 422, "validation-error"),
    ({"limit": "many"}, 422, "validation-error"),
    ({"buyer_id": "two words"}, 422, "validation-error"),
    ({"order_id": "x" * 65}, 422, "validation-error"),
    ({"caller": ""}, 422, "validation-error"),
    ({"caller": "c" * 129}, 422, "validation-error"),
    ({"buyer_id": "a\x00b"}, 422, "validation-error"),
    ({"cursor": "not-a-cursor"}, 400, "invalid-cursor"),
]


async def test_invalid_filters_are_refused_as_problems(service: Orders) -> None:
    for query, status, code in INVALID_FILTERS:
        answer = await service.client.get(ACCESS, params=query, headers=service.ops)
        assert_problem(answer, status, code)
