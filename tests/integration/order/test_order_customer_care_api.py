"""Customer care through the order API (issue 21): the reminder to pay fired by the deadline
worker once and never after payment, the seller's answer to a rating and the buyer's follow-up
comment with every refusal a problem, the shop's rating list and queue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from eventing.testing.service import assert_problem
from tests.integration.order.harness import SHOP, Orders, delivered, payable, shipped

pytestmark = pytest.mark.integration


async def completed_order(service: Orders) -> str:
    order_id = await service.paid_order()
    await service.publish(shipped(order_id))
    await service.order_when(order_id, lambda o: o["status"] == "shipped", "shipped")
    await service.publish(delivered(order_id))
    confirmed = await service.command(
        f"/v1/orders/{order_id}/receipt-confirmation", None, service.buyer
    )
    assert confirmed.status_code == 200, confirmed.text
    return order_id


async def rate(service: Orders, order_id: str, *scores: int) -> dict[str, Any]:
    names = ("description_score", "service_score", "shipping_speed_score")
    body = dict(zip(names, scores, strict=True))
    rated = await service.command(f"/v1/orders/{order_id}/rating", body, service.buyer)
    assert rated.status_code == 200, rated.text
    outcome: dict[str, Any] = rated.json()
    await service.order(order_id, min_version=outcome["version"])  # the read models have it
    return outcome


async def queue(service: Orders, **params: str) -> list[dict[str, Any]]:
    answer = await service.client.get(
        f"/v1/shops/{SHOP}/queue", headers=service.seller, params=params
    )
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def test_an_unpaid_order_is_reminded_once_by_the_deadline_worker_and_queued(
    service: Orders,
) -> None:
    await service.stocked()
    order_id = (await service.place())["order_id"]
    assert "order.payment_reminder" in await service.deadlines(order_id)
    await service.advance(timedelta(hours=48, minutes=1))
    reminded = await service.order_when(
        order_id, lambda o: o["detail"]["payment_reminded"], "payment reminder"
    )
    types = [entry["type"] for entry in reminded["timeline"]]
    assert types.count("order.payment_reminder_due") == 1
    assert reminded["status"] == "awaiting_payment"
    entry = await _one_open(service, order_id)
    assert entry["kind"] == "payment_reminded"
    assert entry["detail"]["amount"] == {"amount": payable(), "currency": "CNY"}
    assert "order.payment_reminder" not in await service.deadlines(order_id)

    paid = await service.pay(order_id, payable())
    assert paid.status_code == 200, paid.text
    await service.order(order_id, min_version=paid.json()["version"])
    closed = await queue(service, status="closed")
    assert [(e["order_id"], e["kind"]) for e in closed] == [(order_id, "payment_reminded")]
    assert (await service.stored_types(order_id)).count("order.payment_reminder_due") == 1


async def _one_open(service: Orders, order_id: str) -> dict[str, Any]:
    page = await service.read_when(
        f"/v1/shops/{SHOP}/queue",
        service.seller,
        lambda p: any(e["order_id"] == order_id for e in p["items"]),
        "queue entry",
    )
    entries: list[dict[str, Any]] = [e for e in page["items"] if e["order_id"] == order_id]
    [entry] = entries
    return entry


async def test_a_paid_order_is_never_reminded(service: Orders) -> None:
    order_id = await service.paid_order()
    assert "order.payment_reminder" not in await service.deadlines(order_id)
    unpaid = (await service.place())["order_id"]  # placed with it, left unpaid: the control
    await service.advance(timedelta(hours=73))
    control = await service.order_when(
        unpaid, lambda o: o["status"] == "closed", "the unpaid order reminded, then closed"
    )
    # The clock jumped past the control's deadline: a reminder that late is not sent either.
    assert "order.payment_reminder_due" not in [e["type"] for e in control["timeline"]]
    order = await service.order_when(order_id, lambda o: True, "the paid order")
    assert not order["detail"]["payment_reminded"]
    assert "order.payment_reminder_due" not in await service.stored_types(order_id)


async def test_a_bad_rating_is_answered_then_followed_up_with_every_refusal_a_problem(
    service: Orders,
) -> None:
    order_id = await completed_order(service)
    path = f"/v1/orders/{order_id}/rating"
    early = await service.command(f"{path}/answer", {"answer": "Thanks"}, service.seller)
    assert_problem(early, 409, "order-not-rated")

    rated = await rate(service, order_id, 2, 4, 5)
    assert "order.rating_follow_up_opened" in rated["events"]
    follow_up = await _one_open(service, order_id)
    assert follow_up["kind"] == "rating_follow_up"
    assert follow_up["detail"] == {"lowest_score": 2}
    assert not follow_up["overdue"]

    assert_problem(
        await service.command(f"{path}/answer", {"answer": "x" * 501}, service.seller),
        422,
        "invalid-rating-reply",
    )
    assert_problem(
        await service.command(f"{path}/answer", {"answer": "  "}, service.seller),
        422,
        "invalid-rating-reply",
    )
    other = await service.command(f"{path}/answer", {"answer": "Hi"}, service.other_seller)
    assert other.status_code == 404, other.text  # another shop's order does not leak
    buyer = await service.command(f"{path}/answer", {"answer": "Hi"}, service.buyer)
    assert buyer.status_code == 403, buyer.text
    stale = await service.command(f"{path}/answer", {"answer": "Hi"}, service.seller, if_match=1)
    assert stale.status_code == 412, stale.text

    answered = await service.command(f"{path}/answer", {"answer": "抱歉,已补发"}, service.seller)
    assert answered.status_code == 200, answered.text
    assert answered.json()["events"] == ["order.rating_answered"]
    again = await service.command(f"{path}/answer", {"answer": "Again"}, service.seller)
    assert_problem(again, 409, "rating-already-answered")

    seller_comment = await service.command(
        f"{path}/follow-up-comment", {"comment": "Me"}, service.seller
    )
    assert seller_comment.status_code == 403, seller_comment.text
    commented = await service.command(
        f"{path}/follow-up-comment", {"comment": "收到补发,谢谢"}, service.buyer
    )
    assert commented.status_code == 200, commented.text
    twice = await service.command(f"{path}/follow-up-comment", {"comment": "!"}, service.buyer)
    assert_problem(twice, 409, "rating-already-appended")

    order = (await service.order(order_id, min_version=commented.json()["version"])).json()
    rating = order["detail"]["rating"]
    assert (rating["answer"], rating["appended_comment"]) == ("抱歉,已补发", "收到补发,谢谢")
    assert rating["follow_up_due_at"] is not None
    ratings = await service.client.get(f"/v1/shops/{SHOP}/ratings", headers=service.seller)
    assert ratings.status_code == 200, ratings.text
    [listed] = ratings.json()["items"]
    assert listed["needs_follow_up"]
    assert listed["answer"] == "抱歉,已补发"
    assert not listed["follow_up_overdue"]
    assert await queue(service) == []


async def test_an_unanswered_bad_rating_turns_overdue_and_its_window_closes(
    service: Orders,
) -> None:
    order_id = await completed_order(service)
    await rate(service, order_id, 5, 1, 5)
    await _one_open(service, order_id)
    await service.advance(timedelta(hours=25))
    [overdue] = await queue(service, status="overdue")
    assert (overdue["order_id"], overdue["overdue"]) == (order_id, True)
    listed = await service.client.get(
        f"/v1/shops/{SHOP}/ratings", headers=service.platform, params={"follow_up": "overdue"}
    )
    assert [r["order_id"] for r in listed.json()["items"]] == [order_id]
    await service.advance(timedelta(days=30))
    late = await service.command(
        f"/v1/orders/{order_id}/rating/answer", {"answer": "Sorry"}, service.seller
    )
    assert_problem(late, 409, "rating-answer-window-over")


async def test_a_seller_reads_only_its_own_shops_ratings_and_queue(service: Orders) -> None:
    for path in ("ratings", "queue"):
        other = await service.client.get(f"/v1/shops/{SHOP}/{path}", headers=service.other_seller)
        assert other.status_code == 403, other.text
        buyer = await service.client.get(f"/v1/shops/{SHOP}/{path}", headers=service.buyer)
        assert buyer.status_code == 403, buyer.text
        bad_cursor = await service.client.get(
            f"/v1/shops/{SHOP}/{path}", headers=service.seller, params={"cursor": "x.y"}
        )
        assert bad_cursor.status_code == 400, bad_cursor.text


async def test_the_rating_list_pages_newest_first(service: Orders) -> None:
    rated = []
    for _ in range(3):
        order_id = await completed_order(service)
        await rate(service, order_id, 5, 5, 5)
        rated.append(order_id)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (
            await service.client.get(
                f"/v1/shops/{SHOP}/ratings", headers=service.seller, params=params
            )
        ).json()
        seen += [item["order_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(rated))
    needed = await service.client.get(
        f"/v1/shops/{SHOP}/ratings", headers=service.seller, params={"follow_up": "needed"}
    )
    assert needed.json()["items"] == []


async def test_the_shop_figures_count_the_bad_ratings_answered(service: Orders) -> None:
    answered, ignored, good = [await completed_order(service) for _ in range(3)]
    await rate(service, answered, 1, 5, 5)
    await rate(service, ignored, 5, 5, 2)
    await rate(service, good, 5, 5, 5)
    reply = await service.command(
        f"/v1/orders/{answered}/rating/answer", {"answer": "Sorry"}, service.seller
    )
    assert reply.status_code == 200, reply.text
    await service.order(answered, min_version=reply.json()["version"])
    for path in (f"/v1/stats/shops/{SHOP}", "/v1/stats/platform"):
        figures = await service.client.get(path, headers=service.platform)
        assert figures.status_code == 200, figures.text
        assert figures.json()["ratings"]["follow_up"] == {
            "needed": 2,
            "answered": 1,
            "answered_in_time": 1,
            "rate": 0.5,
            "rate_in_time": 0.5,
        }
