"""Customer care across the running services (issue 21): a bad rating answered by the seller and
followed up by the buyer, seen on the order, in the shop's rating list, queue and figures (the
follow-up rate against a hand count); an unpaid order reminded to pay once, a day before it
closes, and its queue entry closed by the payment.

Driven only through HTTP (`localinfra.flows`); time moves only with `system.advance`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from contracts.parties import Service
from eventing.http.auth import Role
from localinfra import flows
from localinfra.flows import Actors
from localinfra.system import System

pytestmark = pytest.mark.e2e


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def _completed(actors: Actors) -> str:
    order_id = await flows.delivered_order(actors)
    await flows.confirm_receipt(actors, order_id)
    return order_id


async def _shop_list(actors: Actors, what: str, **params: str) -> list[dict[str, Any]]:
    path = f"/v1/shops/{actors.shop_id}/{what}"
    page = flows.answer(await actors.get(Service.ORDER, Role.SELLER, path, params), 200)
    items: list[dict[str, Any]] = page["items"]
    return items


async def test_a_bad_rating_is_answered_by_the_seller_and_followed_up_by_the_buyer(
    system: System,
) -> None:
    async with Actors.of(system) as actors:
        bad, ignored, good = [await _completed(actors) for _ in range(3)]
        rated = await flows.rate(actors, bad, (2, 3, 5))
        assert "order.rating_follow_up_opened" in rated["events"]
        await flows.rate(actors, ignored, (5, 1, 5))
        await flows.rate(actors, good, (5, 5, 4))
        await flows.order_when(actors, good, lambda o: o["detail"]["rating"], "rated")
        await flows.order_when(actors, ignored, lambda o: o["detail"]["rating"], "rated")
        queued = await _shop_list(actors, "queue")
        assert sorted(e["order_id"] for e in queued) == sorted([bad, ignored])
        assert {e["kind"] for e in queued} == {"rating_follow_up"}

        base = f"/v1/orders/{bad}/rating"
        answered = await actors.command(
            Service.ORDER, Role.SELLER, f"{base}/answer", {"answer": "抱歉,已补发一盒"}
        )
        assert answered["events"] == ["order.rating_answered"]
        again = await actors.send(Service.ORDER, Role.SELLER, f"{base}/answer", {"answer": "x"})
        assert again.status_code == 409, again.text
        assert again.json()["code"] == "rating-already-answered"
        followed = await actors.command(
            Service.ORDER, Role.BUYER, f"{base}/follow-up-comment", {"comment": "收到了,谢谢"}
        )
        assert followed["events"] == ["order.rating_appended"]

        order = await flows.order(actors, bad, min_version=followed["version"])
        rating = order["detail"]["rating"]
        assert (rating["answer"], rating["appended_comment"]) == ("抱歉,已补发一盒", "收到了,谢谢")
        types = [entry["type"] for entry in order["timeline"]]
        for expected in ("order.rated", "order.rating_follow_up_opened", "order.rating_answered",
                         "order.rating_appended"):  # fmt: skip
            assert types.count(expected) == 1, expected

        listed = {r["order_id"]: r for r in await _shop_list(actors, "ratings")}
        assert set(listed) == {bad, ignored, good}
        assert listed[bad]["answer"] == "抱歉,已补发一盒"
        assert listed[bad]["appended_comment"] == "收到了,谢谢"
        assert [r["order_id"] for r in await _shop_list(actors, "ratings", follow_up="open")] == [
            ignored
        ]
        assert [e["order_id"] for e in await _shop_list(actors, "queue")] == [ignored]
        closed = await _shop_list(actors, "queue", status="closed")
        assert [(e["order_id"], e["kind"]) for e in closed] == [(bad, "rating_follow_up")]

        # The follow-up rate by hand: of the shop's ratings, those with a score of 2 or less
        # (the default threshold) and, of them, those the seller answered.
        ratings = listed.values()
        needed = [r for r in ratings if min(r["description_score"], r["service_score"],
                                            r["shipping_speed_score"]) <= 2]  # fmt: skip
        answered_ones = [r for r in needed if r["answer"] is not None]
        in_time = [r for r in answered_ones if _at(r["answered_at"]) <= _at(r["follow_up_due_at"])]
        figures = flows.answer(
            await actors.get(
                Service.ORDER, Role.SELLER, f"/v1/stats/shops/{actors.shop_id}", {"period": "all"}
            ),
            200,
        )
        assert figures["ratings"]["follow_up"] == {
            "needed": len(needed),
            "answered": len(answered_ones),
            "answered_in_time": len(in_time),
            "rate": len(answered_ones) / len(needed),
            "rate_in_time": len(in_time) / len(needed),
        }
        assert (len(needed), len(answered_ones)) == (2, 1)


async def test_an_unpaid_order_is_reminded_once_a_day_before_it_closes(system: System) -> None:
    async with Actors.of(system) as actors:
        placed = await flows.place_order(actors)
        order_id = placed["order_id"]
        due_by = _at(placed["timeout_at"])
        await system.advance(due_by - timedelta(hours=24) - await system.now()
                             + timedelta(minutes=1))  # fmt: skip
        reminded = await flows.order_when(
            actors, order_id, lambda o: o["detail"]["payment_reminded"], "payment reminder"
        )
        types = [entry["type"] for entry in reminded["timeline"]]
        assert types.count("order.payment_reminder_due") == 1
        [entry] = [e for e in await _shop_list(actors, "queue") if e["order_id"] == order_id]
        assert (entry["kind"], _at(entry["due_at"])) == ("payment_reminded", due_by)

        paid = await flows.pay(actors, order_id, flows.payable())
        await flows.order(actors, order_id, min_version=paid["version"])
        assert order_id not in [e["order_id"] for e in await _shop_list(actors, "queue")]
        closed = await _shop_list(actors, "queue", status="closed")
        assert order_id in [e["order_id"] for e in closed]
