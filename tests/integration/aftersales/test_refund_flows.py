"""Each kind of case taken to its end through the API alone, on the real infrastructure."""

from __future__ import annotations

import pytest

from tests.integration.aftersales.harness import (
    REFUND_ONLY,
    RETURN_ONE_TEA,
    RETURNS,
    Aftersales,
    cny,
)

pytestmark = pytest.mark.integration


async def test_a_refund_only_case_is_refunded_when_the_seller_approves(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    created = await aftersales.open_case(order_id, REFUND_ONLY)
    assert created["refund_status"] == "WAIT_SELLER_AGREE"
    case_id = created["case_id"]

    approved = await aftersales.command(
        f"/v1/refund-cases/{case_id}/approval", {}, aftersales.seller,
        if_match=created["version"],
    )  # fmt: skip
    assert approved.status_code == 200, approved.text
    assert approved.json()["refund_status"] == "SUCCESS"
    assert approved.json()["events"] == ["aftersales.refund_approved", "aftersales.refunded"]

    case = await aftersales.case(case_id, aftersales.buyer, min_version=approved.json()["version"])
    assert case["status"] == "refunded"
    assert case["refunded"] == cny(10_000)
    assert case["refund_trigger"] == "seller_approved"
    assert case["next_deadline_at"] is None


async def test_a_return_is_refunded_once_the_seller_confirms_the_goods_came_back(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order(delivered_too=True)
    created = await aftersales.open_case(order_id, RETURN_ONE_TEA)
    case_id = created["case_id"]
    address = RETURNS.model_dump(mode="json")

    approved = await aftersales.command(
        f"/v1/refund-cases/{case_id}/approval", {"return_address": address}, aftersales.seller
    )
    assert approved.json()["refund_status"] == "WAIT_BUYER_RETURN_GOODS", approved.text
    waiting = await aftersales.case(case_id, aftersales.buyer, approved.json()["version"])
    assert waiting["return_address"] == address
    assert waiting["goods_status"] == "received"
    assert waiting["next_deadline_kind"] == "return_shipment"

    waybill = {"carrier": "YTO", "tracking_number": "YT9876543210"}
    shipped_back = await aftersales.command(
        f"/v1/refund-cases/{case_id}/return-shipment", {"waybill": waybill}, aftersales.buyer
    )
    assert shipped_back.json()["refund_status"] == "WAIT_SELLER_CONFIRM_GOODS", shipped_back.text

    received = await aftersales.command(
        f"/v1/refund-cases/{case_id}/return-receipt", {"note": "tin dented"}, aftersales.seller
    )
    assert received.json()["refund_status"] == "SUCCESS", received.text
    case = await aftersales.case(case_id, aftersales.seller, received.json()["version"])
    assert case["refunded"] == cny(4_000)
    assert case["refund_trigger"] == "return_received"
    assert case["reference_goods_status"] == "BUYER_RETURNED_GOODS"
    assert case["return_waybill"] == waybill


async def test_a_partial_refund_leaves_the_rest_refundable_and_no_more(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order(delivered_too=True)
    partial = {"kind": "partial_refund", "reason": "quality_issue", "amount": cny(2_000)}
    created = await aftersales.open_case(order_id, partial)
    approved = await aftersales.command(
        f"/v1/refund-cases/{created['case_id']}/approval", {}, aftersales.seller
    )
    assert approved.json()["status"] == "refunded", approved.text

    too_much = await aftersales.command(
        f"/v1/orders/{order_id}/refund-cases",
        {**partial, "amount": cny(8_001)}, aftersales.buyer,
    )  # fmt: skip
    assert too_much.status_code == 409
    problem = too_much.json()
    assert problem["type"].endswith("/refund-amount-exceeds-refundable")
    assert problem["refundable"] == 8_000
    rest = await aftersales.open_case(order_id, {**partial, "amount": cny(8_000)})
    assert rest["status"] == "waiting_seller"


async def test_a_dispute_ends_with_a_partial_ruling_against_the_seller(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order(shipped_too=True)
    created = await aftersales.open_case(order_id, {**REFUND_ONLY, "reason": "not_received"})
    case_id = created["case_id"]
    path = f"/v1/refund-cases/{case_id}"
    rejected = await aftersales.command(
        f"{path}/rejection", {"reason": "goods_already_shipped"}, aftersales.seller
    )
    assert rejected.json()["refund_status"] == "SELLER_REFUSE_BUYER", rejected.text

    escalated = await aftersales.command(
        f"{path}/escalation", {"reason": "the parcel never came"}, aftersales.buyer
    )
    assert escalated.json()["status"] == "disputed", escalated.text
    for headers, text in ((aftersales.buyer, "tracking stuck for 9 days"),
                          (aftersales.seller, "carrier scan at the hub")):  # fmt: skip
        added = await aftersales.command(
            f"{path}/evidence", {"description": text, "attachments": ["https://img/1.jpg"]},
            headers,
        )  # fmt: skip
        assert added.status_code == 200, added.text

    await aftersales.case(case_id, min_version=added.json()["version"])
    queue = await aftersales.client.get("/v1/disputes", headers=aftersales.platform)
    assert case_id in [c["case_id"] for c in queue.json()["items"]]
    refused = await aftersales.command(
        f"{path}/ruling", {"outcome": "full_refund", "responsible_party": "seller", "note": "x"},
        aftersales.seller,
    )  # fmt: skip
    assert refused.status_code == 403

    ruled = await aftersales.command(
        f"{path}/ruling",
        {"outcome": "partial_refund", "refund_amount": cny(6_000),
         "responsible_party": "seller", "note": "lost in part by the seller's carrier"},
        aftersales.platform,
    )  # fmt: skip
    assert ruled.json()["status"] == "refunded", ruled.text
    case = await aftersales.case(case_id, min_version=ruled.json()["version"])
    assert case["refunded"] == cny(6_000)
    assert case["intervention"] == "ruled"
    assert [e["submitted_by"] for e in case["dispute"]["evidence"]] == ["buyer", "seller"]
    assert case["dispute"]["ruling"]["outcome"] == "partial_refund"

    stats = (await aftersales.client.get("/v1/stats/shops/shop-tea",
                                         headers=aftersales.seller)).json()  # fmt: skip
    assert stats["cases"] == 1
    assert stats["dispute_rate"] == 1.0
    assert stats["ruled_against_seller_share"] == 1.0
    assert stats["refund_amount_rate"] == 0.6
    queue_after = await aftersales.client.get("/v1/disputes", headers=aftersales.platform)
    assert case_id not in [c["case_id"] for c in queue_after.json()["items"]]


async def test_an_amended_request_goes_back_to_the_seller_and_can_be_approved(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    case_id = (await aftersales.open_case(order_id, REFUND_ONLY))["case_id"]
    path = f"/v1/refund-cases/{case_id}"
    await aftersales.command(f"{path}/rejection", {"reason": "amount_not_justified"},
                             aftersales.seller)  # fmt: skip
    amended = await aftersales.command(
        f"{path}/amendment", {**REFUND_ONLY, "amount": cny(5_000)}, aftersales.buyer
    )
    assert amended.json()["refund_status"] == "WAIT_SELLER_AGREE", amended.text
    approved = await aftersales.command(f"{path}/approval", {}, aftersales.seller)
    case = await aftersales.case(case_id, min_version=approved.json()["version"])
    assert case["refunded"] == cny(5_000)
    withdrawn = await aftersales.command(f"{path}/withdrawal", {}, aftersales.buyer)
    assert withdrawn.status_code == 409
    assert withdrawn.json()["type"].endswith("/refund-case-ended")


async def test_refused_returned_goods_can_be_disputed_and_ruled_without_refund(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order(delivered_too=True)
    case_id = (await aftersales.open_case(order_id, RETURN_ONE_TEA))["case_id"]
    path = f"/v1/refund-cases/{case_id}"
    address = RETURNS.model_dump(mode="json")
    await aftersales.command(f"{path}/approval", {"return_address": address}, aftersales.seller)
    await aftersales.command(
        f"{path}/return-shipment",
        {"waybill": {"carrier": "EMS", "tracking_number": "EM123456789CN"}}, aftersales.buyer,
    )  # fmt: skip
    refused = await aftersales.command(
        f"{path}/return-rejection", {"reason": "not_the_goods_shipped", "note": "a brick"},
        aftersales.seller,
    )  # fmt: skip
    assert refused.json()["status"] == "return_rejected", refused.text
    escalated = await aftersales.command(
        f"{path}/escalation", {"reason": "the buyer sent a brick"}, aftersales.seller
    )
    assert escalated.json()["status"] == "disputed", escalated.text
    ruled = await aftersales.command(
        f"{path}/ruling",
        {"outcome": "no_refund", "responsible_party": "buyer", "note": "weight mismatch"},
        aftersales.platform,
    )  # fmt: skip
    assert ruled.json()["status"] == "closed", ruled.text
    case = await aftersales.case(case_id, min_version=ruled.json()["version"])
    assert case["close_reason"] == "ruled_no_refund"
    assert case["dispute"]["opened_by"] == "seller"
    assert case["refunded"] is None
