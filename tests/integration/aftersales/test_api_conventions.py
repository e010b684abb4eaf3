"""Idempotent retries, optimistic concurrency (409 and 412), access control and masking,
shop policies, and the events on the aftersales topic validated against the contracts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from contracts.catalog import REGISTRY
from contracts.events.aftersales import Refunded
from contracts.kafka_binding import from_kafka
from eventing.http.auth import Role
from eventing.testing.kafka import read_topic
from tests.integration.aftersales.harness import (
    REFUND_ONLY,
    RETURN_ONE_TEA,
    RETURNS,
    SHOP,
    Aftersales,
    cny,
)

pytestmark = pytest.mark.integration


async def test_a_retried_request_gets_the_first_answer_and_opens_one_case(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    await aftersales.open_case(order_id, {**REFUND_ONLY, "amount": cny(100)})
    key = str(uuid.uuid4())
    path = f"/v1/orders/{order_id}/refund-cases"
    first = await aftersales.command(path, {**REFUND_ONLY, "amount": cny(200)},
                                     aftersales.buyer, key=key)  # fmt: skip
    again = await aftersales.command(path, {**REFUND_ONLY, "amount": cny(200)},
                                     aftersales.buyer, key=key)  # fmt: skip
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    listed = await aftersales.client.get(
        "/v1/refund-cases", params={"order_id": order_id},
        headers=aftersales.auth(Role.BUYER, "buyer-li"),
    )  # fmt: skip
    assert listed.status_code == 200
    cases = await aftersales.case(first.json()["case_id"], min_version=first.json()["version"])
    assert cases["amount"] == cny(200)
    missing = await aftersales.client.post(path, json=REFUND_ONLY, headers=aftersales.buyer)
    assert missing.status_code == 400


async def test_a_correlation_id_too_long_for_the_events_is_refused_and_records_nothing(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    await aftersales.open_case(order_id, {**REFUND_ONLY, "amount": cny(100)})
    path = f"/v1/orders/{order_id}/refund-cases"
    too_long = {"X-Correlation-Id": "c" * 129}
    refused = await aftersales.command(path, REFUND_ONLY, aftersales.buyer, headers=too_long)
    assert refused.status_code == 400
    assert refused.json()["type"].endswith("/invalid-correlation-id")
    assert await aftersales.stored_types(order_id) == ["aftersales.refund_requested"]


async def test_concurrent_answers_to_one_order_let_exactly_one_win(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    case_id = (await aftersales.open_case(order_id, REFUND_ONLY))["case_id"]
    path = f"/v1/refund-cases/{case_id}"
    approve = aftersales.command(f"{path}/approval", {}, aftersales.seller)
    reject = aftersales.command(f"{path}/rejection", {"reason": "other"}, aftersales.seller)
    answers = await asyncio.gather(approve, reject)
    assert sorted(r.status_code for r in answers) == [200, 409]
    loser = next(r for r in answers if r.status_code == 409).json()
    assert loser["type"].rsplit("/", 1)[1] in (
        "concurrency-conflict", "refund-case-not-awaiting-answer", "refund-case-ended",
    )  # fmt: skip


async def test_a_command_on_an_outdated_version_is_refused_with_412(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    first = await aftersales.open_case(order_id, {**REFUND_ONLY, "amount": cny(100)})
    await aftersales.open_case(order_id, {**REFUND_ONLY, "amount": cny(100)})
    stale = await aftersales.command(
        f"/v1/refund-cases/{first['case_id']}/approval", {}, aftersales.seller,
        if_match=first["version"],
    )  # fmt: skip
    assert stale.status_code == 412
    assert stale.json()["current_version"] == first["version"] + 1
    garbage = await aftersales.command(
        f"/v1/refund-cases/{first['case_id']}/approval", {}, aftersales.seller,
        headers={"If-Match": "yesterday"},
    )  # fmt: skip
    assert garbage.status_code == 400


async def test_each_role_sees_and_does_only_its_part(aftersales: Aftersales) -> None:
    order_id = await aftersales.paid_order(delivered_too=True)
    created = await aftersales.open_case(order_id, RETURN_ONE_TEA)
    case_id = created["case_id"]
    path = f"/v1/refund-cases/{case_id}"
    other_buyer = aftersales.auth(Role.BUYER, "buyer-han")
    other_seller = aftersales.auth(Role.SELLER, "clerk-9", "shop-other")
    ops = aftersales.auth(Role.OPS, "ops-1")

    assert (await aftersales.client.get(path)).status_code == 401
    assert (await aftersales.client.get(path, headers=other_buyer)).status_code == 404
    assert (await aftersales.command(f"{path}/approval", {}, other_seller)).status_code == 404
    assert (await aftersales.command(f"{path}/approval", {}, aftersales.buyer)).status_code == 403
    assert (
        await aftersales.command(f"{path}/withdrawal", {}, aftersales.seller)
    ).status_code == 403
    someone_elses = await aftersales.command(
        f"/v1/orders/{order_id}/refund-cases", REFUND_ONLY, other_buyer
    )
    assert someone_elses.status_code == 403
    assert someone_elses.json()["type"].endswith("/not-the-orders-buyer")
    assert (
        await aftersales.client.get("/v1/disputes", headers=aftersales.buyer)
    ).status_code == 403
    foreign_list = await aftersales.client.get(
        "/v1/refund-cases", params={"shop_id": SHOP}, headers=other_seller
    )
    assert foreign_list.status_code == 403
    foreign_stats = await aftersales.client.get(f"/v1/stats/shops/{SHOP}", headers=other_seller)
    assert foreign_stats.status_code == 403

    address = RETURNS.model_dump(mode="json")
    approved = await aftersales.command(
        f"{path}/approval", {"return_address": address}, aftersales.seller
    )
    assert approved.status_code == 200, approved.text
    seen_by_buyer = await aftersales.case(case_id, aftersales.buyer, approved.json()["version"])
    seen_by_ops = await aftersales.case(case_id, ops)
    assert seen_by_buyer["return_address"]["street"] == "1 Warehouse Road"
    assert seen_by_ops["return_address"]["street"] != "1 Warehouse Road"
    mine = await aftersales.client.get("/v1/refund-cases", headers=other_buyer)
    assert mine.json()["items"] == []


async def test_a_shop_sets_its_own_time_limits(aftersales: Aftersales) -> None:
    policy_path = f"/v1/shops/{SHOP}/policy"
    defaults = (await aftersales.client.get(policy_path, headers=aftersales.buyer)).json()
    assert (defaults["policy"]["answer_before_shipment"], defaults["version"]) == ("P1D", 0)
    mine = {**defaults["policy"], "answer_before_shipment": "PT2H"}

    async def put(body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        sent = {**headers, "Idempotency-Key": str(uuid.uuid4()), "If-Match": '"0"'}
        return await aftersales.client.put(policy_path, json=body, headers=sent)

    assert (await put(mine, aftersales.buyer)).status_code == 403
    assert (await put({**mine, "appeal_window": "PT0S"}, aftersales.seller)).status_code == 422
    saved = await put(mine, aftersales.seller)
    assert saved.status_code == 200, saved.text
    assert (await put(mine, aftersales.seller)).status_code == 412

    order_id = await aftersales.paid_order()
    created = await aftersales.open_case(order_id, REFUND_ONLY)
    case = await aftersales.case(created["case_id"], min_version=created["version"])
    opened = case["opened_at"]
    window = datetime.fromisoformat(case["answer_due_by"]) - datetime.fromisoformat(opened)
    assert timedelta(hours=1, minutes=59) < window <= timedelta(hours=2)


async def test_events_on_the_aftersales_topic_follow_the_contracts(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    case_id = (await aftersales.open_case(order_id, REFUND_ONLY))["case_id"]
    await aftersales.command(f"/v1/refund-cases/{case_id}/approval", {}, aftersales.seller)
    records = await read_topic(
        aftersales.settings.kafka_bootstrap_servers, aftersales.settings.topic_aftersales,
        until=lambda rs: any(r.event_type == "aftersales.refunded" for r in rs),
    )  # fmt: skip
    envelopes = [from_kafka(r.key, r.value, r.headers, REGISTRY) for r in records]
    assert [e.type for e in envelopes] == [
        "aftersales.refund_requested", "aftersales.refund_approved", "aftersales.refunded",
    ]  # fmt: skip
    assert {e.subject for e in envelopes} == {order_id}
    assert [e.sequence for e in envelopes] == [1, 2, 3]
    assert envelopes[0].actor.value == "buyer"
    assert envelopes[2].actor.value == "seller"
    refunded = envelopes[2].data
    assert isinstance(refunded, Refunded)
    assert refunded.amount.amount == 10_000
