"""The order API's edge (issue 14): strict, bounded bodies and path ids, plausible payment times,
bounded policy durations, who may record a payment and who sees stock figures, correlation ids
an event can carry. Each refusal is a 4xx problem+json and leaves the order and the stock as
they were."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from eventing.http.auth import Role
from eventing.testing.service import assert_problem
from tests.integration.order.harness import (
    BUYER,
    SHOP,
    TEA,
    Orders,
    cny,
    order_body,
    payable,
)

pytestmark = pytest.mark.integration


def _item(**changes: Any) -> dict[str, Any]:
    line = {"sku": TEA, "title": "Longjing tea 250 g", "unit_price": cny(8800), "quantity": 2}
    return {**line, **changes}


def _with_item(**changes: Any) -> dict[str, Any]:
    return order_body(tea=0, cup=0, items=[_item(**changes)], payable=None)


WRONG_BODIES = [
    pytest.param(_with_item(unit_price={"amount": True, "currency": "CNY"}),
                 "body.items.0.unit_price.amount", id="amount true"),
    pytest.param(_with_item(unit_price={"amount": "8800", "currency": "CNY"}),
                 "body.items.0.unit_price.amount", id="amount as a string"),
    pytest.param(_with_item(unit_price={"amount": 88.0, "currency": "CNY"}),
                 "body.items.0.unit_price.amount", id="amount as a float"),
    pytest.param(_with_item(unit_price={"amount": 2**63, "currency": "CNY"}),
                 "body.items.0.unit_price.amount", id="amount 2^63"),
    pytest.param(_with_item(unit_price={"amount": 2**53, "currency": "CNY"}),
                 "body.items.0.unit_price.amount", id="amount 2^53"),
    pytest.param(_with_item(unit_price={"amount": 8800, "currency": "ZZZ"}),
                 "body.items.0.unit_price.currency", id="currency not ISO 4217"),
    pytest.param(_with_item(quantity="2"), "body.items.0.quantity", id="quantity as a string"),
    pytest.param(_with_item(quantity=True), "body.items.0.quantity", id="quantity true"),
    pytest.param(_with_item(quantity=10**7), "body.items.0.quantity", id="quantity too large"),
    pytest.param(_with_item(title=1234), "body.items.0.title", id="title as a number"),
    pytest.param(_with_item(title="tea\u0000"), "body.items.0.title", id="NUL in the title"),
    pytest.param(order_body(shipping_fee=2**63), "body.shipping_fee", id="shipping fee 2^63"),
    pytest.param(order_body(shipping_fee="1000"), "body.shipping_fee", id="fee as a string"),
    pytest.param({**order_body(), "shop_id": 1}, "body.shop_id", id="shop id as a number"),
    pytest.param({**order_body(), "shop_id": ".."}, "body.shop_id", id="shop id of dots only"),
    pytest.param(_with_item(sku="."), "body.items.0.sku", id="sku of dots only"),
    pytest.param(order_body(buyer_note="x" * 2001), "body.buyer_note", id="note too long"),
    pytest.param(order_body(items=[_item(sku=f"S-{n}") for n in range(101)], payable=None),
                 "body.items", id="too many lines"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "location"), WRONG_BODIES)
async def test_a_wrong_json_type_or_an_unbounded_value_is_refused_naming_the_field(
    service: Orders, body: dict[str, Any], location: str
) -> None:
    await service.stocked()
    answer = await service.command("/v1/orders", body, service.buyer)
    assert_problem(answer, 422, "validation-error", location)
    level = await service.stock(TEA)
    assert (level["on_hand"], level["reserved"], level["version"]) == (10, 0, 1)


async def test_a_bad_stock_figure_is_refused_and_the_stock_stays(service: Orders) -> None:
    await service.stocked()
    path = f"/v1/shops/{SHOP}/skus/{TEA}/stock"
    for body, location in (
        ({"on_hand": "5"}, "body.on_hand"),
        ({"on_hand": True}, "body.on_hand"),
        ({"on_hand": 10**10}, "body.on_hand"),
    ):
        answer = await service.command(path, body, service.seller, method="PUT")
        assert_problem(answer, 422, "validation-error", location)
    answer = await service.command(path, {"delta": 2**63}, service.seller, method="PATCH")
    assert_problem(answer, 422, "validation-error", "body.delta")
    level = await service.stock(TEA)
    assert (level["on_hand"], level["version"]) == (10, 1)


def _payment(**changes: Any) -> dict[str, Any]:
    body = {"payment_id": "pay-1", "method": "alipay", "amount": cny(payable())}
    return {**body, **changes}


async def _unpaid(service: Orders, order_id: str) -> None:
    order = await service.order_when(order_id, lambda o: o["version"] >= 2, "placed")
    assert (order["status"], order["paid"]["amount"]) == ("awaiting_payment", 0)


async def test_a_payment_from_the_future_or_before_the_order_is_refused(service: Orders) -> None:
    await service.stocked()
    order_id = (await service.place())["order_id"]
    path = f"/v1/orders/{order_id}/payments"
    now = datetime.now(UTC)
    for paid_at, code in (
        ("9999-12-31T23:59:59Z", "validation-error"),
        ("0001-01-01T00:00:00Z", "validation-error"),
        (1700000000, "validation-error"),
        ((now + timedelta(hours=1)).isoformat(), "implausible-time"),
        ((now - timedelta(days=1)).isoformat(), "implausible-time"),
    ):
        answer = await service.command(path, _payment(paid_at=paid_at), service.payment_provider)
        assert_problem(answer, 422, code)
    await _unpaid(service, order_id)
    assert (await service.stock(TEA))["reserved"] == 2

    just_now = (now - timedelta(seconds=30)).isoformat()
    paid = await service.command(path, _payment(paid_at=just_now), service.payment_provider)
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "awaiting_shipment"


async def test_only_the_payment_provider_or_the_platform_records_a_successful_payment(
    service: Orders,
) -> None:
    await service.stocked()
    order_id = (await service.place())["order_id"]
    path = f"/v1/orders/{order_id}/payments"
    by_buyer = await service.command(path, _payment(), service.buyer)
    assert_problem(by_buyer, 403, "forbidden")
    await _unpaid(service, order_id)

    failed = _payment(payment_id="pay-0", outcome="failed", failure_reason="card declined")
    reported = await service.command(path, failed, service.buyer)
    assert reported.status_code == 200, reported.text
    assert reported.json()["events"] == ["order.payment_failed"]

    by_platform = await service.command(path, _payment(payment_id="pay-p"), service.platform)
    assert by_platform.status_code == 200, by_platform.text
    assert by_platform.json()["status"] == "awaiting_shipment"


async def test_stock_figures_are_for_the_shops_staff_and_others_see_availability(
    service: Orders,
) -> None:
    await service.stocked(tea=3)
    path = f"/v1/shops/{SHOP}/skus/{TEA}/stock"
    for staff in (
        service.seller, service.platform, service.ops, service.auth(Role.SYSTEM, "erp"),
    ):  # fmt: skip
        figures = (await service.client.get(path, headers=staff)).json()
        assert (figures["on_hand"], figures["available"]) == (3, 3)
    for outsider in (service.buyer, service.other_seller):
        shown = await service.client.get(path, headers=outsider)
        assert shown.status_code == 200, shown.text
        assert shown.json() == {"shop_id": SHOP, "sku": TEA, "in_stock": True}


async def test_a_policy_duration_beyond_its_bounds_is_refused(service: Orders) -> None:
    path = f"/v1/shops/{SHOP}/policy"
    defaults = (await service.client.get(path, headers=service.seller)).json()
    for payment_window in ("P99999999D", "P91D", "PT30S"):
        body = {**defaults["policy"], "payment_window": payment_window}
        answer = await service.command(path, body, service.seller, method="PUT")
        assert_problem(answer, 422, "validation-error", "body.payment_window")
    after = (await service.client.get(path, headers=service.seller)).json()
    assert (after["version"], after["policy"]) == (0, defaults["policy"])
    await service.stocked()
    await service.place()  # placement still works with the defaults


async def test_another_shops_seller_gets_the_same_answer_for_an_order_that_exists_or_not(
    service: Orders,
) -> None:
    await service.stocked()
    order_id = (await service.place())["order_id"]
    answers = [
        await service.command(
            f"/v1/orders/{target}/cancellation", {"reason": "other"}, service.other_seller
        )
        for target in (order_id, "ord-that-never-was")
    ]
    for answer in answers:
        assert_problem(answer, 404, "order-not-found")
    assert (await service.stock(TEA))["reserved"] == 2
    order = await service.order_when(order_id, lambda o: o["version"] >= 2, "placed")
    assert (order["status"], order["buyer_id"]) == ("awaiting_payment", BUYER)


# Ids a path can hold that no identifier can be: too long, dots only (sent encoded, as a client
# that does not drop dot segments would), `%` once decoded, a control character, a space.
WRONG_PATH_IDS = [
    pytest.param("o" * 65, "o" * 65, id="65 characters"),
    pytest.param("%2E%2E", "..", id="dots only"),
    pytest.param("a%25b", "a%b", id="percent sign"),
    pytest.param("a%07b", "a\x07b", id="control character"),
    pytest.param("a%20b", "a b", id="space"),
]


@pytest.mark.parametrize(("sent", "decoded"), WRONG_PATH_IDS)
async def test_an_id_in_a_path_is_held_to_the_identifier_rule_of_bodies(
    service: Orders, sent: str, decoded: str
) -> None:
    await service.stocked()
    order_id = (await service.place())["order_id"]
    read = await service.client.get(f"/v1/orders/{sent}", headers=service.buyer)
    assert_problem(read, 422, "validation-error", "path.order_id")
    cancel = f"/v1/orders/{sent}/cancellation"
    answer = await service.command(cancel, {"reason": "other"}, service.buyer)
    assert_problem(answer, 422, "validation-error", "path.order_id")
    stock = f"/v1/shops/{SHOP}/skus/{sent}/stock"
    answer = await service.command(stock, {"on_hand": 5}, service.seller, method="PUT")
    assert_problem(answer, 422, "validation-error", "path.sku")
    answer = await service.command(
        f"/v1/shops/{sent}/skus/{TEA}/stock", {"on_hand": 5}, service.seller, method="PUT"
    )
    assert_problem(answer, 422, "validation-error", "path.shop_id")
    policy = await service.client.get(f"/v1/shops/{sent}/policy", headers=service.seller)
    assert_problem(policy, 422, "validation-error", "path.shop_id")
    level = await service.stock(TEA)
    assert (level["on_hand"], level["reserved"], level["version"]) == (10, 2, 2)
    order = await service.order_when(order_id, lambda o: o["version"] >= 2, "placed")
    assert order["status"] == "awaiting_payment"


async def test_the_longest_id_and_one_with_dots_are_taken_in_a_path(service: Orders) -> None:
    for sku in ("s" * 64, "..tea.", "a;b=c+d"):
        path = f"/v1/shops/{SHOP}/skus/{quote(sku, safe='')}/stock"
        answer = await service.command(path, {"on_hand": 3}, service.seller, method="PUT")
        assert answer.status_code == 200, answer.text
        assert (answer.json()["sku"], answer.json()["available"]) == (sku, 3)


@pytest.mark.parametrize("correlation", ["a\tb", "a\x01b", "a\x7fb"], ids=["tab", "C0", "DEL"])
async def test_a_correlation_id_with_a_control_character_is_refused(
    service: Orders, correlation: str
) -> None:
    await service.stocked()
    headers = {"X-Correlation-Id": correlation}
    answer = await service.command("/v1/orders", order_body(), service.buyer, headers=headers)
    assert_problem(answer, 400, "invalid-correlation-id")
    assert (await service.stock(TEA))["reserved"] == 0
