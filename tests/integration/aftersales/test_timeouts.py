"""Every time-out, fired by moving the service's database clock past the deadline."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from aftersales_service.main import MANIFEST
from eventing.testing.fixtures import SettingsFactory
from eventing.testing.service import running
from tests.integration.aftersales.harness import (
    REFUND_ONLY,
    RETURN_ONE_TEA,
    Aftersales,
    cny,
)

pytestmark = pytest.mark.integration


async def test_a_seller_silent_past_the_answer_deadline_is_taken_as_agreeing(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    created = await aftersales.open_case(order_id, REFUND_ONLY)
    case_id = created["case_id"]
    await aftersales.case(case_id, min_version=created["version"])
    soon = await aftersales.client.get(
        "/v1/refund-cases:due-soon", params={"due_within": "PT25H"}, headers=aftersales.seller
    )
    assert [c["case_id"] for c in soon.json()["items"]] == [case_id]
    later = await aftersales.client.get(
        "/v1/refund-cases:due-soon", params={"due_within": "PT6H"}, headers=aftersales.seller
    )
    assert later.json()["items"] == []

    await aftersales.advance(timedelta(hours=24, minutes=1))
    case = await aftersales.case_when(
        case_id, lambda c: c["status"] == "refunded", "answer time-out approved the refund"
    )
    assert case["automatic_approval"]
    assert case["refund_trigger"] == "answer_timeout"
    assert case["seller_timed_out"]
    assert case["refunded"] == cny(10_000)
    stats = await aftersales.client.get("/v1/stats/shops/shop-tea", headers=aftersales.platform)
    assert stats.json()["timeout_count"] == 1


async def test_a_deadlines_events_carry_the_correlation_of_the_request_that_started_it(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    flow = {"X-Correlation-Id": "refund-flow-42"}
    case_id = (await aftersales.open_case(order_id, REFUND_ONLY, headers=flow))["case_id"]
    await aftersales.advance(timedelta(hours=24, minutes=1))
    await aftersales.case_when(case_id, lambda c: c["status"] == "refunded", "answer time-out")
    recorded = await aftersales.recorded(order_id)
    assert [kind for kind, _ in recorded] == [
        "aftersales.refund_requested", "aftersales.refund_approved", "aftersales.refunded",
    ]  # fmt: skip
    assert {metadata["correlation_id"] for _, metadata in recorded} == {"refund-flow-42"}
    assert [metadata["actor_id"] for _, metadata in recorded[1:]] == [
        "deadline:aftersales.answer"
    ] * 2


async def test_a_return_not_shipped_in_time_closes_the_case(aftersales: Aftersales) -> None:
    order_id = await aftersales.paid_order(delivered_too=True)
    case_id = (await aftersales.open_case(order_id, RETURN_ONE_TEA))["case_id"]
    approved = await aftersales.command(
        f"/v1/refund-cases/{case_id}/approval",
        {"return_address": {"province": "Zhejiang", "city": "Hangzhou", "street": "1 Road"}},
        aftersales.seller,
    )  # fmt: skip
    assert approved.status_code == 200, approved.text

    await aftersales.advance(timedelta(days=7, minutes=1))
    case = await aftersales.case_when(
        case_id, lambda c: c["status"] == "closed", "return window closed the case"
    )
    assert case["close_reason"] == "return_not_shipped"
    assert case["refunded"] is None


async def test_a_return_not_confirmed_in_time_is_refunded(aftersales: Aftersales) -> None:
    order_id = await aftersales.paid_order(delivered_too=True)
    case_id = (await aftersales.open_case(order_id, RETURN_ONE_TEA))["case_id"]
    current = await aftersales.client.get("/v1/shops/shop-tea/policy", headers=aftersales.seller)
    address = {"province": "Jiangsu", "city": "Suzhou", "street": "2 Road"}
    policy = await aftersales.client.put(
        "/v1/shops/shop-tea/policy",
        json={**current.json()["policy"], "return_address": address},
        headers={**aftersales.seller, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert policy.status_code == 200, policy.text
    await aftersales.command(f"/v1/refund-cases/{case_id}/approval", {}, aftersales.seller)
    shipped_back = await aftersales.command(
        f"/v1/refund-cases/{case_id}/return-shipment",
        {"waybill": {"carrier": "ZTO", "tracking_number": "ZT12345678"}}, aftersales.buyer,
    )  # fmt: skip
    assert shipped_back.status_code == 200, shipped_back.text

    await aftersales.advance(timedelta(days=10, minutes=1))
    case = await aftersales.case_when(
        case_id, lambda c: c["status"] == "refunded", "confirmation time-out refunded"
    )
    assert case["refund_trigger"] == "return_confirm_timeout"
    assert case["seller_timed_out"]
    assert case["return_address"]["city"] == "Suzhou"


async def test_a_rejection_nobody_appeals_closes_the_case(aftersales: Aftersales) -> None:
    order_id = await aftersales.paid_order()
    case_id = (await aftersales.open_case(order_id, REFUND_ONLY))["case_id"]
    rejected = await aftersales.command(
        f"/v1/refund-cases/{case_id}/rejection", {"reason": "other", "note": "call us"},
        aftersales.seller,
    )  # fmt: skip
    assert rejected.status_code == 200, rejected.text

    await aftersales.advance(timedelta(days=5, minutes=1))
    case = await aftersales.case_when(
        case_id, lambda c: c["status"] == "closed", "appeal window closed the case"
    )
    assert case["close_reason"] == "appeal_window_expired"
    late = await aftersales.command(
        f"/v1/refund-cases/{case_id}/escalation", {"reason": "too late"}, aftersales.buyer
    )
    assert late.status_code == 409
    assert late.json()["type"].endswith("/refund-case-ended")


async def test_a_deadline_is_cancelled_when_the_case_moves_on(aftersales: Aftersales) -> None:
    order_id = await aftersales.paid_order()
    case_id = (await aftersales.open_case(order_id, REFUND_ONLY))["case_id"]
    rejected = await aftersales.command(
        f"/v1/refund-cases/{case_id}/rejection", {"reason": "other"}, aftersales.seller
    )
    escalated = await aftersales.command(
        f"/v1/refund-cases/{case_id}/escalation", {"reason": "unfair"}, aftersales.buyer
    )
    assert rejected.status_code == escalated.status_code == 200, escalated.text
    await aftersales.advance(timedelta(days=30))
    async with aftersales.engine.connect() as connection:
        remaining = await connection.scalar(
            text("SELECT count(*) FROM eventing.deadlines WHERE key = :key"), {"key": case_id}
        )
    assert remaining == 0
    case = await aftersales.case(case_id, min_version=escalated.json()["version"])
    assert case["status"] == "disputed"


async def test_a_deadline_survives_a_restart_and_fires_once(
    service_settings: SettingsFactory,
) -> None:
    settings = await service_settings(MANIFEST)
    async with running(MANIFEST, settings, Aftersales) as first:
        order_id = await first.paid_order()
        case_id = (await first.open_case(order_id, REFUND_ONLY))["case_id"]
    async with running(MANIFEST, settings, Aftersales) as second:
        await second.advance(timedelta(hours=25))
        await second.case_when(
            case_id, lambda c: c["status"] == "refunded", "the deadline fired after restart"
        )
        async with second.engine.connect() as connection:
            refunds = await connection.scalar(
                text("SELECT count(*) FROM eventing.events WHERE stream_id = :order"
                     " AND event_type = 'aftersales.refunded'"),
                {"order": order_id},
            )  # fmt: skip
    assert refunds == 1
