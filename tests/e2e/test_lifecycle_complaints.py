"""Complaints across the running services: accepted and settled by a refund to a satisfied
buyer; ignored by the shop, escalated at its accept deadline and ruled against the seller by the
platform; and the shop's complaint figures (aftersales' and the order service's) against a hand
count of its complaints.

A complaint lives in its order's after-sales stream, so the order service's timeline of the
order (and `orderctl events show`) has its events next to the refund cases'.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from contracts.parties import Service
from eventing.http.auth import Role
from localinfra import flows
from localinfra.flows import Actors
from localinfra.flows import complaints as cp
from localinfra.system import System

pytestmark = pytest.mark.e2e


async def test_an_accepted_complaint_is_settled_by_a_refund_and_the_buyer_is_satisfied(
    system: System,
) -> None:
    async with Actors.of(system) as actors:
        order_id = await flows.paid_order(actors)
        filed = await cp.file_complaint(actors, order_id, cp.complaint_body("goods"))
        complaint_id = filed["complaint_id"]
        analysis = {"responsibility": "seller", "finding": "包装未防潮"}
        seller_steps = [("acceptance", {"note": "核实中"}), ("analysis", analysis)]
        for action, body in seller_steps:
            await cp.complaint_command(actors, Role.SELLER, complaint_id, action, body)
        refund = await flows.open_refund(
            actors, order_id, flows.refund_terms("refund_only", "quality_issue", 5_000)
        )
        approved = await flows.approve(actors, refund["case_id"])
        assert approved["refund_status"] == "SUCCESS"
        remedy = {"kind": "refund", "refund_case_id": refund["case_id"]}
        for action, body in (("remedy", remedy), ("reply", {"reply": "已退款 50 元,抱歉"})):
            await cp.complaint_command(actors, Role.SELLER, complaint_id, action, body)
        done = await cp.complaint_command(actors, Role.BUYER, complaint_id, "follow-up",
                                          {"satisfied": True, "comment": "谢谢"})  # fmt: skip
        assert done["status"] == "CLOSED"

        shown = await cp.complaint(actors, complaint_id, done["version"])
        assert (shown["close_reason"], shown["remedy"]["refund_case_id"]) == (
            "buyer_satisfied", refund["case_id"],
        )  # fmt: skip
        view = await flows.order_when(
            actors, order_id, lambda o: o["refunded"]["amount"] == 5_000, "refund recorded"
        )
        assert view["detail"]["refund_cases"] == {refund["case_id"]: "refunded"}
        published = [
            "aftersales.complaint_filed", "aftersales.complaint_accepted",
            "aftersales.complaint_analysed", "aftersales.refund_requested",
            "aftersales.refund_approved", "aftersales.refunded", "aftersales.complaint_handled",
            "aftersales.complaint_replied", "aftersales.complaint_followed_up",
            "aftersales.complaint_closed",
        ]  # fmt: skip
        envelopes = await flows.published_when(
            system.bootstrap, system.topics[Service.AFTERSALES],
            flows.has_types(order_id, published), "complaint events published in order",
        )  # fmt: skip
        assert flows.out_of_order_streams(envelopes) == {}


async def test_an_ignored_complaint_escalates_and_the_platform_rules_against_the_seller(
    system: System,
) -> None:
    async with Actors.of(system) as actors:
        order_id = await flows.paid_order(actors)
        filed = await cp.file_complaint(actors, order_id, cp.complaint_body("service_attitude"))
        complaint_id = filed["complaint_id"]
        waiting = await cp.complaint(actors, complaint_id, filed["version"])
        queue = flows.answer(await actors.get(
            Service.AFTERSALES, Role.SELLER, f"/v1/shops/{actors.shop_id}/complaint-queue"
        ), 200)  # fmt: skip
        assert [c["complaint_id"] for c in queue["items"]] == [complaint_id]

        accept_due_by = datetime.fromisoformat(waiting["accept_due_by"])
        await system.advance(accept_due_by - await system.now() + timedelta(minutes=1))
        escalated = await cp.complaint_when(
            actors, complaint_id, lambda c: c["status"] == "PLATFORM_INTERVENED",
            "escalated at the accept deadline",
        )  # fmt: skip
        assert escalated["escalation_reason"] == "not_accepted_in_time"
        desk = flows.answer(
            await actors.get(Service.AFTERSALES, Role.PLATFORM, "/v1/escalated-complaints"), 200
        )
        assert complaint_id in [c["complaint_id"] for c in desk["items"]]

        ruling = {"outcome": "upheld", "responsibility": "seller", "note": "店铺未受理投诉",
                  "compensation": flows.cny(1_000)}  # fmt: skip
        ruled = await cp.complaint_command(actors, Role.PLATFORM, complaint_id, "ruling", ruling)
        assert ruled["status"] == "CLOSED"
        shown = await cp.complaint(actors, complaint_id, ruled["version"])
        assert shown["ruling"]["outcome"] == "upheld"
        assert shown["responsibility"] == "seller"
        figures = await cp.complaint_figures(actors)
        assert (figures["complaints"], figures["escalated_share"]) == (1, 1.0)
        assert figures["responsibility"] == {"seller": 1}


async def test_the_complaint_figures_equal_a_hand_count(system: System) -> None:
    async with Actors.of(system) as actors:
        orders = [await flows.paid_order(actors) for _ in range(4)]
        satisfied = await cp.file_complaint(actors, orders[0], cp.complaint_body("goods"))
        unsatisfied = await cp.file_complaint(actors, orders[1], cp.complaint_body("shipping"))
        waiting = await cp.file_complaint(
            actors, orders[2], cp.complaint_body("other"), Role.PLATFORM
        )
        steps = {satisfied["complaint_id"]: ("seller", True),
                 unsatisfied["complaint_id"]: ("carrier", False)}  # fmt: skip
        for complaint_id, (responsible, happy) in steps.items():
            for action, body in (
                ("acceptance", {}),
                ("analysis", {"responsibility": responsible, "finding": "查明"}),
                ("remedy", {"kind": "apology", "note": "抱歉"}),
                ("reply", {"reply": "已处理"}),
            ):
                await cp.complaint_command(actors, Role.SELLER, complaint_id, action, body)
            last = await cp.complaint_command(
                actors, Role.BUYER, complaint_id, "follow-up", {"satisfied": happy}
            )
        await cp.complaint(actors, unsatisfied["complaint_id"], last["version"])

        listed = flows.answer(await actors.get(
            Service.AFTERSALES, Role.SELLER, "/v1/complaints", {"shop_id": actors.shop_id}
        ), 200)["items"]  # fmt: skip
        assert {c["complaint_id"] for c in listed} == {
            satisfied["complaint_id"],
            unsatisfied["complaint_id"],
            waiting["complaint_id"],
        }
        count = len(listed)
        resolved = sum(c["ended_at"] is not None and c["escalated_at"] is None for c in listed)
        escalated = sum(c["escalated_at"] is not None for c in listed)
        split: dict[str, int] = {}
        for c in listed:
            if c["responsibility"]:
                split[c["responsibility"]] = split.get(c["responsibility"], 0) + 1
        assert (count, resolved, escalated, split) == (3, 1, 1, {"seller": 1, "carrier": 1})
        assert await cp.complaint_figures(actors) == {
            "shop_id": actors.shop_id, "paid_orders": len(orders), "complaints": count,
            "complaint_rate": round(count / len(orders), 4),
            "resolved_within_deadline_share": round(resolved / count, 4),
            "escalated_share": round(escalated / count, 4), "responsibility": split,
        }  # fmt: skip
        # The order service counts the same complaints from the aftersales topic, per period.
        path = f"/v1/stats/shops/{actors.shop_id}"
        counted = await flows.until(
            lambda: actors.get(Service.ORDER, Role.SELLER, path, {"period": "all"}),
            lambda f: (f["complaints"]["filed"], f["complaints"]["escalated"]) == (3, 1),
            "order figures count the complaints",
        )
        assert counted["complaints"] == {
            "filed": count, "rate": count / len(orders), "resolved_within_deadline": resolved,
            "resolved_within_deadline_share": resolved / count, "escalated": escalated,
            "escalated_share": escalated / count,
            "responsibility": {"seller": 1, "buyer": 0, "carrier": 1, "platform": 0},
        }  # fmt: skip
