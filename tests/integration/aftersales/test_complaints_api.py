"""Complaints through the API on the real PostgreSQL and Kafka: the flow to a satisfied buyer
with a refund remedy, a shop that ignores its accept deadline (escalated by the deadline
worker, ruled by the platform), the queues, the figures, roles, bad input, and the read model
rebuilt from the store or the topic."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from aftersales_service.projections import PROJECTIONS
from aftersales_service.projections.tables import complaints
from eventing.http.auth import Role
from eventing.rebuild import StoreTail, rebuild_from_store, rebuild_from_topics, relay_checkpoint
from eventing.store import EventStore
from eventing.testing import eventually
from eventing.testing.service import assert_problem
from tests.integration.aftersales.harness import REFUND_ONLY, SHOP, Aftersales, cny

pytestmark = pytest.mark.integration

GOODS = {"about": "order", "category": "goods", "text": "茶叶受潮结块",
         "attachments": ["https://files.example/cp/1.jpg"]}  # fmt: skip


async def file(aftersales: Aftersales, order_id: str, body: dict[str, Any] = GOODS,
               caller: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """File a complaint, retrying while the payment is on its way (409 retryable)."""

    async def attempt() -> httpx.Response:
        path = f"/v1/orders/{order_id}/complaints"
        return await aftersales.command(path, body, caller or aftersales.buyer)

    response = await eventually(
        attempt, lambda r: r.status_code != 409, message="payment known to aftersales"
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert response.headers["Location"] == f"/v1/complaints/{created['complaint_id']}"
    return created


async def step(aftersales: Aftersales, complaint_id: str, name: str, body: dict[str, Any],
               caller: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    response = await aftersales.command(f"/v1/complaints/{complaint_id}/{name}", body, caller)
    assert response.status_code == 200, response.text
    outcome: dict[str, Any] = response.json()
    return outcome


async def complaint(aftersales: Aftersales, complaint_id: str, version: int = 0,
                    caller: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    response = await aftersales.client.get(
        f"/v1/complaints/{complaint_id}", headers=caller or aftersales.platform,
        params={"min_version": str(version)} if version else {},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def stats(aftersales: Aftersales) -> dict[str, Any]:
    response = await aftersales.client.get(
        f"/v1/stats/shops/{SHOP}/complaints", headers=aftersales.seller
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_accepted_complaint_with_a_refund_remedy_closes_when_the_buyer_is_satisfied(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    filed = await file(aftersales, order_id)
    complaint_id = filed["complaint_id"]
    assert filed["status"] == "WAIT_SELLER_ACCEPT"
    case = await aftersales.open_case(order_id, REFUND_ONLY)

    seller = aftersales.seller
    await step(aftersales, complaint_id, "acceptance", {"note": "checking"}, seller)
    await step(aftersales, complaint_id, "analysis",
               {"responsibility": "seller", "finding": "no moisture barrier"}, seller)  # fmt: skip
    await step(aftersales, complaint_id, "remedy",
               {"kind": "refund", "refund_case_id": case["case_id"]}, seller)  # fmt: skip
    replied = await step(aftersales, complaint_id, "reply", {"reply": "refunded, sorry"}, seller)
    assert replied["status"] == "WAIT_BUYER_FOLLOW_UP"
    done = await step(aftersales, complaint_id, "follow-up", {"satisfied": True},
                      aftersales.buyer)  # fmt: skip
    assert done["events"] == ["aftersales.complaint_followed_up", "aftersales.complaint_closed"]

    shown = await complaint(aftersales, complaint_id, done["version"], aftersales.buyer)
    assert (shown["status"], shown["close_reason"], shown["responsibility"]) == (
        "CLOSED", "buyer_satisfied", "seller",
    )  # fmt: skip
    assert shown["remedy"]["refund_case_id"] == case["case_id"]
    assert shown["attachments"] == GOODS["attachments"]
    assert shown["next_deadline_at"] is None
    assert await aftersales.deadlines(complaint_id) == []

    mine = await aftersales.client.get("/v1/complaints", headers=aftersales.buyer)
    assert [c["complaint_id"] for c in mine.json()["items"]] == [complaint_id]
    theirs = await aftersales.client.get(
        "/v1/complaints", headers=aftersales.auth(Role.BUYER, "someone-else")
    )
    assert theirs.json()["items"] == []
    assert await stats(aftersales) == {
        "shop_id": SHOP, "paid_orders": 1, "complaints": 1, "complaint_rate": 1.0,
        "resolved_within_deadline_share": 1.0, "escalated_share": 0.0,
        "responsibility": {"seller": 1},
    }  # fmt: skip


async def test_a_complaint_the_shop_ignores_escalates_and_the_platform_rules_against_it(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    other_order = await aftersales.paid_order()
    complaint_id = (await file(aftersales, order_id))["complaint_id"]
    queue = await aftersales.client.get(
        f"/v1/shops/{SHOP}/complaint-queue", headers=aftersales.seller
    )
    [queued] = queue.json()["items"]
    assert (queued["complaint_id"], queued["next_deadline_kind"], queued["overdue"]) == (
        complaint_id, "accept", False,
    )  # fmt: skip
    narrow = await aftersales.client.get(
        f"/v1/shops/{SHOP}/complaint-queue", params={"due_within": "PT6H"},
        headers=aftersales.seller,
    )  # fmt: skip
    assert narrow.json()["items"] == []
    assert await aftersales.deadlines(complaint_id) == ["aftersales.complaint_accept"]

    await aftersales.advance(timedelta(hours=24, minutes=1))
    escalated = await aftersales.read_when(
        f"/v1/complaints/{complaint_id}", aftersales.platform,
        lambda c: c["status"] == "PLATFORM_INTERVENED", "accept time-out escalated",
    )  # fmt: skip
    assert escalated["escalation_reason"] == "not_accepted_in_time"
    late = await aftersales.command(
        f"/v1/complaints/{complaint_id}/acceptance", {}, aftersales.seller
    )
    assert_problem(late, 409, "complaint-not-at-this-step")
    desk = await aftersales.client.get("/v1/escalated-complaints", headers=aftersales.platform)
    assert [c["complaint_id"] for c in desk.json()["items"]] == [complaint_id]
    shop_queue = await aftersales.client.get(
        f"/v1/shops/{SHOP}/complaint-queue", headers=aftersales.seller
    )
    assert shop_queue.json()["items"] == []

    by_seller = await aftersales.command(
        f"/v1/complaints/{complaint_id}/ruling",
        {"outcome": "upheld", "responsibility": "seller", "note": "ignored"}, aftersales.seller,
    )  # fmt: skip
    assert_problem(by_seller, 403, "forbidden")
    ruled = await step(aftersales, complaint_id, "ruling",
                       {"outcome": "upheld", "responsibility": "seller", "note": "ignored",
                        "compensation": cny(500)}, aftersales.platform)  # fmt: skip
    assert ruled["status"] == "CLOSED"
    recorded = [kind for kind, _ in await aftersales.recorded(order_id)]
    assert recorded == ["aftersales.complaint_filed", "aftersales.complaint_escalated",
                        "aftersales.complaint_ruled"]  # fmt: skip
    shown = await complaint(aftersales, complaint_id, ruled["version"])
    assert shown["ruling"]["outcome"] == "upheld"
    assert shown["ruling"]["compensation"] == cny(500)
    figures = await stats(aftersales)
    assert (figures["paid_orders"], figures["complaints"], figures["complaint_rate"]) == (2, 1, 0.5)
    assert (figures["escalated_share"], figures["resolved_within_deadline_share"]) == (1.0, 0.0)
    assert figures["responsibility"] == {"seller": 1}
    assert other_order != order_id


async def test_a_shop_silent_after_accepting_escalates_at_its_reply_deadline(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    complaint_id = (await file(aftersales, order_id))["complaint_id"]
    await step(aftersales, complaint_id, "acceptance", {}, aftersales.seller)
    assert await aftersales.deadlines(complaint_id) == ["aftersales.complaint_reply"]
    await aftersales.advance(timedelta(days=3, minutes=1))
    shown = await aftersales.read_when(
        f"/v1/complaints/{complaint_id}", aftersales.platform,
        lambda c: c["status"] == "PLATFORM_INTERVENED", "reply time-out escalated",
    )  # fmt: skip
    assert shown["escalation_reason"] == "not_handled_in_time"


async def test_a_buyer_silent_after_the_reply_sees_the_complaint_closed(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    complaint_id = (await file(aftersales, order_id))["complaint_id"]
    seller = aftersales.seller
    await step(aftersales, complaint_id, "acceptance", {}, seller)
    await step(aftersales, complaint_id, "analysis",
               {"responsibility": "carrier", "finding": "crushed in transit"}, seller)  # fmt: skip
    await step(aftersales, complaint_id, "remedy", {"kind": "apology", "note": "sorry"}, seller)
    await step(aftersales, complaint_id, "reply", {"reply": "we apologise"}, seller)
    await aftersales.advance(timedelta(days=7, minutes=1))
    shown = await aftersales.read_when(
        f"/v1/complaints/{complaint_id}", aftersales.platform,
        lambda c: c["status"] == "CLOSED", "follow-up window closed it",
    )  # fmt: skip
    assert shown["close_reason"] == "follow_up_window_expired"
    assert (await stats(aftersales))["responsibility"] == {"carrier": 1}


async def test_customer_service_files_for_the_buyer_and_others_cannot_file_or_see(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    created = await file(aftersales, order_id, {**GOODS, "category": "shipping"},
                         aftersales.platform)  # fmt: skip
    complaint_id = created["complaint_id"]
    shown = await complaint(aftersales, complaint_id, created["version"], aftersales.buyer)
    assert (shown["filed_by"], shown["buyer_id"]) == ("customer_service", "buyer-li")

    path = f"/v1/orders/{order_id}/complaints"
    by_seller = await aftersales.command(path, GOODS, aftersales.seller)
    assert_problem(by_seller, 403, "forbidden")
    stranger = aftersales.auth(Role.BUYER, "buyer-wang")
    by_stranger = await aftersales.command(path, GOODS, stranger)
    assert_problem(by_stranger, 403, "complaint-not-by-the-orders-buyer")
    other_shop = aftersales.auth(Role.SELLER, "clerk-9", "shop-other")
    for caller in (stranger, other_shop):
        hidden = await aftersales.client.get(f"/v1/complaints/{complaint_id}", headers=caller)
        assert_problem(hidden, 404, "complaint-not-found")
    accept_by_other_shop = await aftersales.command(
        f"/v1/complaints/{complaint_id}/acceptance", {}, other_shop
    )
    assert_problem(accept_by_other_shop, 404, "complaint-not-found")
    accept_by_buyer = await aftersales.command(
        f"/v1/complaints/{complaint_id}/acceptance", {}, aftersales.buyer
    )
    assert_problem(accept_by_buyer, 403, "forbidden")
    queue = await aftersales.client.get(f"/v1/shops/{SHOP}/complaint-queue", headers=other_shop)
    assert_problem(queue, 403, "forbidden")
    desk = await aftersales.client.get("/v1/escalated-complaints", headers=aftersales.buyer)
    assert desk.status_code == 403


async def test_bad_input_is_refused_with_a_problem_and_changes_nothing(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    path = f"/v1/orders/{order_id}/complaints"
    too_many = {**GOODS, "attachments": [f"https://files.example/{n}.jpg" for n in range(10)]}
    bad_bodies = [
        too_many, {**GOODS, "category": "weather"}, {**GOODS, "text": ""},
        {**GOODS, "attachments": ["not a uri"]}, {**GOODS, "text": "x" * 2001},
        {**GOODS, "extra": 1},
    ]  # fmt: skip
    for body in bad_bodies:
        answer = await aftersales.command(path, body, aftersales.buyer)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    unknown_order = await aftersales.command("/v1/orders/ord-nobody/complaints", GOODS,
                                             aftersales.buyer)  # fmt: skip
    assert_problem(unknown_order, 409, "order-payment-not-yet-known")

    created = await file(aftersales, order_id)
    complaint_id = created["complaint_id"]
    stale = await aftersales.command(
        f"/v1/complaints/{complaint_id}/acceptance", {}, aftersales.seller,
        if_match=created["version"] - 1,
    )  # fmt: skip
    assert stale.status_code == 412
    key = "accept-once"
    first = await aftersales.command(
        f"/v1/complaints/{complaint_id}/acceptance", {}, aftersales.seller, key=key
    )
    again = await aftersales.command(
        f"/v1/complaints/{complaint_id}/acceptance", {}, aftersales.seller, key=key
    )
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    await step(aftersales, complaint_id, "analysis",
               {"responsibility": "seller", "finding": "damp"}, aftersales.seller)  # fmt: skip
    for remedy, code in [
        ({"kind": "refund", "refund_case_id": "rc-elsewhere"}, "complaint-remedy-case-unknown"),
        ({"kind": "compensation", "compensation": cny(10_001)}, "complaint-compensation-invalid"),
        ({"kind": "reshipment"}, "complaint-remedy-invalid"),
    ]:
        answer = await aftersales.command(
            f"/v1/complaints/{complaint_id}/remedy", remedy, aftersales.seller
        )
        assert_problem(answer, 409 if code.endswith("unknown") else 422, code)
    assert [kind for kind, _ in await aftersales.recorded(order_id)] == [
        "aftersales.complaint_filed", "aftersales.complaint_accepted",
        "aftersales.complaint_analysed",
    ]  # fmt: skip


async def _complaint_rows(service: Aftersales) -> list[dict[str, Any]]:
    async with service.engine.connect() as connection:
        rows = await connection.execute(select(complaints).order_by(complaints.c.complaint_id))
        return [dict(r._mapping) for r in rows]


async def test_a_rebuild_from_the_store_or_the_topic_gives_the_same_complaints(
    aftersales: Aftersales,
) -> None:
    projection = next(p for p in PROJECTIONS if p.name == "complaints")
    order_id = await aftersales.paid_order()
    first = (await file(aftersales, order_id))["complaint_id"]
    second = await file(aftersales, order_id, {**GOODS, "category": "service_attitude"})
    await step(aftersales, first, "acceptance", {"note": "on it"}, aftersales.seller)
    await step(aftersales, first, "analysis", {"responsibility": "buyer", "finding": "misuse"},
               aftersales.seller)  # fmt: skip
    await complaint(aftersales, second["complaint_id"], second["version"])
    live = await _complaint_rows(aftersales)
    assert len(live) == 2

    store = EventStore(aftersales.engine, topic=aftersales.settings.topic_aftersales)
    await rebuild_from_store(store, projection.from_store())
    assert await _complaint_rows(aftersales) == live
    tail = StoreTail(store, projection.from_store(), await relay_checkpoint(aftersales.engine))
    await rebuild_from_topics(
        aftersales.engine, aftersales.settings.kafka_bootstrap_servers,
        [aftersales.settings.topic_aftersales], projection.tables, store_tail=tail,
    )  # fmt: skip
    assert await _complaint_rows(aftersales) == live
