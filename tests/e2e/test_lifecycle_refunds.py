"""Refund cases across the three running services: refund only, return and refund, partial
then full refund, a refund the seller ignores, and a dispute ruled in part.

Each case is opened and answered through the aftersales API; the order service records the
money (`order.refund_recorded`, `order.closed` when nothing is left) from the aftersales topic.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from contracts.parties import Service
from eventing.http.auth import Role
from localinfra import flows
from localinfra.flows import TEA, Actors
from localinfra.system import System

pytestmark = pytest.mark.e2e

RETURNS = {"province": "浙江省", "city": "杭州市", "street": "仓前街道 1 号 退货仓"}
SHIPMENT_NEEDED = (flows.RETRYABLE, "goods-not-shipped")


async def system_now(system: System) -> datetime:
    """The system's (database) clock: wall time plus the offset earlier tests moved it by."""
    return await system.now()


def refunded(amount: int) -> flows.Condition:
    return lambda o: o["refunded"]["amount"] == amount


async def test_a_refund_before_shipment_refunds_everything_and_closes_the_order(
    system: System,
) -> None:
    async with Actors.of(system) as actors:
        order_id, amount = await flows.paid_order(actors), flows.payable()
        opened = await flows.open_refund(
            actors, order_id, flows.refund_terms("refund_only", "changed_mind", amount)
        )
        approved = await flows.approve(actors, opened["case_id"])
        assert approved["refund_status"] == "SUCCESS"
        assert approved["events"] == ["aftersales.refund_approved", "aftersales.refunded"]

        closed = await flows.order_when(actors, order_id, refunded(amount), "refund recorded")
        assert (closed["status"], closed["platform_status"]) == ("closed", "TRADE_CLOSED")
        assert closed["detail"]["close_reason"] == "fully_refunded"
        assert closed["detail"]["refund_cases"] == {opened["case_id"]: "refunded"}
        assert (await flows.stock(actors, TEA.sku))["reserved"] == 0
        shipment = await flows.shipment_when(
            actors, order_id, lambda s: s["status"] == "cancelled", "shipment called off"
        )
        assert shipment["cancel_reason"] == "order_closed"

        envelopes = await flows.published_when(
            system.bootstrap, system.topics[Service.AFTERSALES],
            flows.has_types(order_id, ["aftersales.refund_requested",
                                       "aftersales.refund_approved", "aftersales.refunded"]),
            "aftersales events",
        )  # fmt: skip
        assert flows.out_of_order_streams(envelopes) == {}


async def test_goods_sent_back_are_refunded_once_the_seller_has_them(system: System) -> None:
    async with Actors.of(system) as actors:
        order_id = await flows.delivered_order(actors)
        terms = flows.refund_terms(
            "return_and_refund", "damaged", TEA.unit_price, [{"sku": TEA.sku, "quantity": 1}]
        )
        opened = await flows.open_refund(actors, order_id, terms, awaiting=SHIPMENT_NEEDED)
        case_id = opened["case_id"]
        approved = await flows.approve(actors, case_id, RETURNS)
        assert approved["refund_status"] == "WAIT_BUYER_RETURN_GOODS"
        sent_back = await flows.ship_return(actors, case_id)
        assert sent_back["refund_status"] == "WAIT_SELLER_CONFIRM_GOODS"
        received = await flows.confirm_return(actors, case_id)
        assert received["refund_status"] == "SUCCESS"

        case = await flows.case(actors, case_id, received["version"])
        assert (case["refund_trigger"], case["refunded"]) == ("return_received", flows.cny(8800))
        view = await flows.order_when(actors, order_id, refunded(TEA.unit_price), "refunded")
        assert view["status"] == "shipped"  # the rest of the order stands
        assert view["detail"]["amounts"]["refundable"]["amount"] == flows.payable() - 8800
        assert "order.refund_recorded" in [entry["type"] for entry in view["timeline"]]


async def test_a_partial_refund_then_the_rest_closes_a_completed_order(system: System) -> None:
    async with Actors.of(system) as actors:
        order_id, amount = await flows.delivered_order(actors), flows.payable()
        await flows.confirm_receipt(actors, order_id)
        first = await flows.open_refund(
            actors, order_id, flows.refund_terms("partial_refund", "quality_issue", 5_000)
        )
        await flows.approve(actors, first["case_id"])
        partly = await flows.order_when(actors, order_id, refunded(5_000), "first refund")
        assert partly["platform_status"] == "TRADE_FINISHED"

        rest = await flows.open_refund(
            actors, order_id, flows.refund_terms("partial_refund", "quality_issue", amount - 5_000)
        )
        await flows.approve(actors, rest["case_id"])
        closed = await flows.order_when(actors, order_id, refunded(amount), "full refund")
        assert (closed["status"], closed["platform_status"]) == ("closed", "TRADE_CLOSED")
        assert closed["detail"]["close_reason"] == "fully_refunded"
        assert closed["detail"]["amounts"]["refundable"]["amount"] == 0

        nothing_left = await flows.refusal(
            actors, order_id, flows.refund_terms("partial_refund", "quality_issue", 1)
        )
        assert (nothing_left["code"], nothing_left["refundable"]) == (
            "refund-amount-exceeds-refundable",
            0,
        )
        envelopes = await flows.published(system.bootstrap, system.topics[Service.ORDER])
        assert flows.types_of(envelopes, order_id)[-3:] == [
            "order.refund_recorded",
            "order.refund_recorded",
            "order.closed",
        ]


async def test_a_refund_the_seller_ignores_is_approved_when_the_answer_is_due(
    system: System,
) -> None:
    async with Actors.of(system) as actors:
        order_id = await flows.paid_order(actors)
        opened = await flows.open_refund(
            actors, order_id, flows.refund_terms("refund_only", "changed_mind", 5_000)
        )
        waiting = await flows.case(actors, opened["case_id"], opened["version"])
        answer_due_by = datetime.fromisoformat(waiting["answer_due_by"])
        assert waiting["next_deadline_at"] == waiting["answer_due_by"]

        await system.advance(answer_due_by - await system_now(system) + timedelta(minutes=1))
        case = await flows.case_when(
            actors, opened["case_id"], lambda c: c["status"] == "refunded", "auto-approved"
        )
        assert case["automatic_approval"]
        assert case["seller_timed_out"]
        assert case["refund_trigger"] == "answer_timeout"
        view = await flows.order_when(actors, order_id, refunded(5_000), "refund recorded")
        assert view["status"] == "awaiting_shipment"
        stats = await actors.get(
            Service.AFTERSALES, Role.SELLER, f"/v1/stats/shops/{actors.shop_id}"
        )
        assert stats.json()["timeout_count"] == 1


async def test_a_dispute_is_ruled_in_part_and_the_order_records_that_refund(
    system: System,
) -> None:
    async with Actors.of(system) as actors:
        order_id = await flows.delivered_order(actors)
        opened = await flows.open_refund(
            actors, order_id, flows.refund_terms("partial_refund", "not_as_described", 8_000)
        )
        case_id = opened["case_id"]
        rejected = await flows.case_command(
            actors, Role.SELLER, case_id, "rejection", {"reason": "amount_not_justified"}
        )
        assert rejected["refund_status"] == "SELLER_REFUSE_BUYER"
        escalated = await flows.case_command(
            actors, Role.BUYER, case_id, "escalation", {"reason": "the tea is not Longjing"}
        )
        assert escalated["status"] == "disputed"
        for role, evidence in ((Role.BUYER, "lab report"), (Role.SELLER, "origin certificate")):
            await flows.case_command(
                actors, role, case_id, "evidence",
                {"description": evidence, "attachments": ["https://img.example/1.jpg"]},
            )  # fmt: skip
        ruling = {"outcome": "partial_refund", "refund_amount": flows.cny(3_000),
                  "responsible_party": "seller", "note": "one tin not as described"}  # fmt: skip
        ruled = await flows.case_command(actors, Role.PLATFORM, case_id, "ruling", ruling)
        assert ruled["status"] == "refunded"

        case = await flows.case(actors, case_id, ruled["version"])
        assert (case["intervention"], case["refunded"]) == ("ruled", flows.cny(3_000))
        assert [e["submitted_by"] for e in case["dispute"]["evidence"]] == ["buyer", "seller"]
        view = await flows.order_when(actors, order_id, refunded(3_000), "ruling refunded")
        assert view["status"] == "shipped"
        assert view["detail"]["refund_cases"] == {case_id: "refunded"}
