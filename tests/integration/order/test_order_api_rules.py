"""The API's contract: idempotent retries, concurrency, If-Match, access, masking, stock."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from contracts.kafka_binding import from_kafka
from tests.integration.order.harness import (
    BUYER,
    CUP,
    SHOP,
    TEA,
    Orders,
    cny,
    order_body,
    payable,
)

pytestmark = pytest.mark.integration


async def test_a_retry_with_the_same_key_replays_the_first_answer(service: Orders) -> None:
    await service.stocked()
    first = await service.command("/v1/orders", order_body(), service.buyer, key="k-1")
    again = await service.command("/v1/orders", order_body(), service.buyer, key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert (await service.stock(TEA))["reserved"] == 2  # placed once
    other = await service.command("/v1/orders", order_body(tea=1), service.buyer, key="k-1")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency-key-reused"


async def test_two_cancellations_at_once_one_wins_the_other_conflicts(
    service: Orders,
) -> None:
    await service.stocked()
    order_id = (await service.place())["order_id"]
    path = f"/v1/orders/{order_id}/cancellation"
    answers = await asyncio.gather(
        *(service.command(path, {"reason": "other"}, service.buyer) for _ in range(2))
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert (await service.stock(TEA))["reserved"] == 0  # released exactly once
    assert (await service.stock(TEA))["on_hand"] == 10


async def test_cancel_and_pay_at_once_exactly_one_wins(service: Orders) -> None:
    await service.stocked()
    order_id = (await service.place())["order_id"]
    cancel = service.command(
        f"/v1/orders/{order_id}/cancellation", {"reason": "other"}, service.buyer, if_match=2
    )
    pay_body = {"payment_id": "p-race", "method": "wechat", "amount": cny(payable())}
    path = f"/v1/orders/{order_id}/payments"
    pay = service.command(path, pay_body, service.payment_provider, if_match=2)
    answers = await asyncio.gather(cancel, pay)
    codes = sorted(a.status_code for a in answers)
    assert codes[0] == 200
    assert codes[1] in (409, 412)


async def test_an_order_that_never_existed_is_not_found_whatever_if_match_says(
    service: Orders,
) -> None:
    for version in (None, 0, 3):
        answer = await service.command(
            "/v1/orders/no-such-order/cancellation",
            {"reason": "other"},
            service.buyer,
            if_match=version,
        )
        assert (answer.status_code, answer.json()["code"]) == (404, "order-not-found"), version


async def test_a_write_against_an_old_version_is_refused_with_412(service: Orders) -> None:
    await service.stocked()
    placed = await service.command("/v1/orders", order_body(), service.buyer)
    assert placed.headers["ETag"] == '"2"'
    order_id = placed.json()["order_id"]
    await service.pay(order_id, payable())
    stale = await service.command(
        f"/v1/orders/{order_id}/cancellation", {"reason": "other"}, service.buyer, if_match=2
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "version-mismatch"
    assert stale.headers["ETag"] == '"3"'


async def test_buyers_and_sellers_see_only_their_own_orders(service: Orders) -> None:
    await service.stocked()
    placed = await service.place()
    order_id, version = placed["order_id"], placed["version"]
    mine = await service.order(order_id, service.buyer, min_version=version)
    assert mine.status_code == 200
    assert mine.json()["detail"]["receiver"]["phone"] == "13812345678"
    assert (await service.order(order_id, service.other_buyer)).status_code == 404
    assert (await service.order(order_id, service.other_seller)).status_code == 404
    assert (await service.order(order_id, service.seller)).status_code == 200
    foreign_cancel = await service.command(
        f"/v1/orders/{order_id}/cancellation", {"reason": "other"}, service.other_buyer
    )
    assert foreign_cancel.status_code == 404
    ops_cancel = await service.command(
        f"/v1/orders/{order_id}/cancellation", {"reason": "other"}, service.ops
    )
    assert ops_cancel.status_code == 403
    assert (await service.client.get(f"/v1/orders/{order_id}")).status_code == 401


async def test_ops_see_the_receiver_masked_and_the_seller_in_full(service: Orders) -> None:
    await service.stocked()
    placed = await service.place()
    ops_view: dict[str, Any] = (
        await service.order(placed["order_id"], service.ops, min_version=placed["version"])
    ).json()
    receiver = ops_view["detail"]["receiver"]
    assert receiver["phone"] == "138****5678"
    assert receiver["name"] == "李*"
    assert receiver["address"]["street"] == "****"
    placed_entry = next(e for e in ops_view["timeline"] if e["type"] == "order.placed")
    assert placed_entry["data"]["receiver"]["phone"] == "138****5678"
    seller_view = (await service.order(placed["order_id"], service.seller)).json()
    assert seller_view["detail"]["receiver"]["name"] == "李雷"


async def test_lists_are_scoped_to_the_caller_filtered_and_paged(service: Orders) -> None:
    await service.set_stock(TEA, 100)
    await service.set_stock(CUP, 100)
    created = [await service.place(order_body(tea=1, cup=1)) for _ in range(3)]
    other = await service.command("/v1/orders", order_body(tea=1, cup=1), service.other_buyer)
    await service.pay(created[0]["order_id"], payable(1, 1))
    await service.order(other.json()["order_id"], min_version=other.json()["version"])
    await service.order(created[0]["order_id"], min_version=3)
    for order in created[1:]:
        await service.order(order["order_id"], min_version=order["version"])

    first = await service.client.get("/v1/orders", params={"limit": 2}, headers=service.buyer)
    assert first.status_code == 200
    page = first.json()
    assert len(page["items"]) == 2
    assert all(item["buyer_id"] == BUYER for item in page["items"])
    rest = await service.client.get(
        "/v1/orders", params={"limit": 2, "cursor": page["next_cursor"]}, headers=service.buyer
    )
    assert len(rest.json()["items"]) == 1
    assert rest.json()["next_cursor"] is None
    seen = {item["order_id"] for item in page["items"] + rest.json()["items"]}
    assert seen == {order["order_id"] for order in created}

    unpaid = await service.client.get(
        "/v1/orders", params={"status": "WAIT_BUYER_PAY"}, headers=service.seller
    )
    assert len(unpaid.json()["items"]) == 3  # the shop's: two of this buyer, one of the other
    everyone = await service.client.get("/v1/orders", headers=service.platform)
    assert len(everyone.json()["items"]) == 4
    foreign = await service.client.get(
        "/v1/orders", params={"shop_id": "shop-cups"}, headers=service.seller
    )
    assert foreign.status_code == 403
    bad = await service.client.get("/v1/orders", params={"cursor": "x"}, headers=service.buyer)
    assert bad.status_code == 400
    newest = datetime.fromisoformat(everyone.json()["items"][0]["created_at"])
    later = await service.client.get(
        "/v1/orders",
        params={"created_from": (newest + timedelta(seconds=1)).isoformat()},
        headers=service.platform,
    )
    assert later.json()["items"] == []
    earlier = await service.client.get(
        "/v1/orders", params={"created_to": newest.isoformat()}, headers=service.platform
    )
    assert len(earlier.json()["items"]) == 3


async def test_an_order_without_enough_stock_is_refused_naming_its_skus(
    service: Orders,
) -> None:
    await service.set_stock(TEA, 1)
    await service.set_stock(CUP, 5, purchase_limit=2)
    refused = await service.command("/v1/orders", order_body(tea=2, cup=3), service.buyer)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["code"] == "insufficient-stock"
    reasons = {s["sku"]: s["reason"] for s in problem["shortages"]}
    assert reasons == {TEA: "out_of_stock", CUP: "purchase_limit_exceeded"}
    assert (await service.order(problem["order_id"])).status_code == 404
    assert (await service.stock(TEA))["reserved"] == 0


async def test_stock_crossing_its_warning_line_is_signalled(service: Orders) -> None:
    await service.set_stock(TEA, 5, warning_line=4)
    await service.set_stock(CUP, 5)
    placed = await service.place()
    assert "order.stock_low" in placed["events"]
    assert (await service.stock(TEA))["low"] is True


async def test_stock_is_set_and_adjusted_with_if_match(service: Orders) -> None:
    path = f"/v1/shops/{SHOP}/skus/{TEA}/stock"
    created = await service.set_stock(TEA, 10)
    assert created.headers["ETag"] == '"1"'
    adjusted = await service.command(
        path, {"delta": 5, "reason": "goods received"}, service.seller, if_match=1, method="PATCH"
    )
    assert adjusted.status_code == 200, adjusted.text
    assert adjusted.json()["on_hand"] == 15
    stale = await service.command(path, {"delta": 1}, service.seller, if_match=1, method="PATCH")
    assert stale.status_code == 412
    negative = await service.command(path, {"delta": -16}, service.seller, method="PATCH")
    assert negative.status_code == 422
    assert negative.json()["code"] == "invalid-stock-level"
    foreign = await service.command(path, {"on_hand": 1}, service.other_seller, method="PUT")
    assert foreign.status_code == 403
    by_buyer = await service.command(path, {"on_hand": 1}, service.buyer, method="PUT")
    assert by_buyer.status_code == 403
    missing = await service.command(
        f"/v1/shops/{SHOP}/skus/NONE/stock", {"delta": 1}, service.seller, method="PATCH"
    )
    assert missing.status_code == 404


async def test_stock_reserved_by_open_orders_cannot_be_counted_away(
    service: Orders,
) -> None:
    await service.set_stock(TEA, 3)
    await service.set_stock(CUP, 3)
    await service.place()
    below = await service.command(
        f"/v1/shops/{SHOP}/skus/{TEA}/stock", {"on_hand": 1}, service.seller, method="PUT"
    )
    assert below.status_code == 409
    assert below.json()["code"] == "stock-below-reserved"


async def test_invalid_orders_get_specific_problems_and_change_nothing(
    service: Orders,
) -> None:
    await service.stocked()
    cases = [
        (order_body(payable=1), "payable-mismatch"),
        (order_body(tea=0, cup=0), "order-has-no-items"),
        (
            order_body(receiver={**order_body()["receiver"], "phone": "12345"}),
            "invalid-phone",
        ),
        (  # too short for the phone rule dispatch applies, so refused here already
            order_body(receiver={**order_body()["receiver"], "phone": "+123456"}),
            "invalid-phone",
        ),
    ]
    for body, code in cases:
        answer = await service.command("/v1/orders", body, service.buyer)
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == code
    assert (await service.stock(TEA))["reserved"] == 0
    no_key = await service.client.post("/v1/orders", json=order_body(), headers=service.buyer)
    assert no_key.status_code == 400


async def test_a_duplicate_payment_is_detected_with_its_surplus(service: Orders) -> None:
    await service.stocked()
    order_id = (await service.place())["order_id"]
    await service.pay(order_id, payable(), payment_id="p-1")
    failed = await service.command(
        f"/v1/orders/{order_id}/payments",
        {"payment_id": "p-0", "method": "card", "amount": cny(payable()), "outcome": "failed"},
        service.buyer,
    )
    assert failed.status_code == 409  # the order is paid: no attempt is pending
    duplicate = await service.pay(order_id, payable(), payment_id="p-2")
    assert duplicate.status_code == 200, duplicate.text
    assert duplicate.json()["events"] == ["order.duplicate_payment_detected"]
    assert duplicate.json()["detail"]["duplicate_surplus"]["amount"] == payable()
    assert duplicate.json()["detail"]["paid"]["amount"] == payable()


async def test_a_failed_attempt_is_recorded_and_the_order_stays_payable(
    service: Orders,
) -> None:
    await service.stocked()
    order_id = (await service.place())["order_id"]
    failed = await service.command(
        f"/v1/orders/{order_id}/payments",
        {
            "payment_id": "p-0",
            "method": "card",
            "amount": cny(payable()),
            "outcome": "failed",
            "failure_code": "51",
            "failure_reason": "insufficient funds",
        },
        service.buyer,
    )
    assert failed.json()["events"] == ["order.payment_failed"]
    assert failed.json()["platform_status"] == "WAIT_BUYER_PAY"
    assert (await service.pay(order_id, payable())).status_code == 200


async def test_a_shop_sets_its_policy_and_new_orders_use_it(service: Orders) -> None:
    await service.stocked()
    defaults = (await service.client.get(f"/v1/shops/{SHOP}/policy", headers=service.buyer)).json()
    assert (defaults["version"], defaults["is_default"]) == (0, True)
    assert defaults["policy"]["payment_window"] == "P3D"
    policy = {**defaults["policy"], "payment_window": "PT15M"}
    stored = await service.command(
        f"/v1/shops/{SHOP}/policy", policy, service.seller, method="PUT", if_match=0
    )
    assert stored.status_code == 200, stored.text
    refused = await service.command(
        f"/v1/shops/{SHOP}/policy", policy, service.other_seller, method="PUT"
    )
    assert refused.status_code == 403
    invalid = await service.command(
        f"/v1/shops/{SHOP}/policy", {**policy, "payment_window": "PT0S"}, service.seller,
        method="PUT",
    )  # fmt: skip
    assert invalid.status_code == 422
    placed = await service.place()
    order = (await service.order(placed["order_id"], min_version=placed["version"])).json()
    created = order["created_at"]
    due = datetime.fromisoformat(order["timeout_at"]) - datetime.fromisoformat(created)
    assert timedelta(minutes=14) < due <= timedelta(minutes=15, seconds=1)


async def test_a_landline_with_its_area_code_is_a_receiver_phone(service: Orders) -> None:
    await service.stocked()
    receiver = {**order_body()["receiver"], "phone": "0571-8888 8888"}
    placed = await service.place(order_body(receiver=receiver))
    order = await service.order(placed["order_id"], service.buyer, min_version=placed["version"])
    assert order.json()["detail"]["receiver"]["phone"] == "057188888888"


async def test_a_correlation_id_the_envelope_cannot_carry_is_refused_not_cut(
    service: Orders,
) -> None:
    await service.stocked()
    too_long = {"X-Correlation-Id": "c" * 129}
    refused = await service.command("/v1/orders", order_body(), service.buyer, headers=too_long)
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid-correlation-id"
    assert (await service.stock(TEA))["reserved"] == 0
    longest = "c" * 128
    placed = await service.command(
        "/v1/orders", order_body(), service.buyer, headers={"X-Correlation-Id": longest}
    )
    assert placed.status_code == 201, placed.text
    records = await service.own_events(
        until=lambda rs: any(r.event_type == "order.placed" for r in rs)
    )
    recorded = next(
        from_kafka(r.key, r.value, r.headers) for r in records if r.event_type == "order.placed"
    )
    assert recorded.correlationid == longest
