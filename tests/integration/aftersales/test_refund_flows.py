"""Each kind of case taken to its end through the API alone, on the real infrastructure."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Aftersales, cny, paid_order

pytestmark = pytest.mark.integration


async def open_case(service: Aftersales, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Ask for a refund, retrying while the payment is still on its way (retryable 409)."""
    from eventing.testing import eventually

    async def attempt() -> Any:
        return await service.command(f"/v1/orders/{order_id}/refund-cases", body, service.buyer)

    response = await eventually(
        attempt, lambda r: r.status_code != 409, message="payment known to aftersales"
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert response.headers["Location"] == f"/v1/refund-cases/{created['case_id']}"
    return created


async def test_a_refund_only_case_is_refunded_when_the_seller_approves(
    aftersales: Aftersales,
) -> None:
    order_id = await paid_order(aftersales)
    created = await open_case(
        aftersales, order_id,
        {"kind": "refund_only", "reason": "changed_mind", "amount": cny(10_000)},
    )  # fmt: skip
    assert created["refund_status"] == "WAIT_SELLER_AGREE"
    case_id = created["case_id"]

    approved = await aftersales.command(
        f"/v1/refund-cases/{case_id}/approval", {}, aftersales.seller,
        **{"If-Match": f'"{created["version"]}"'},
    )  # fmt: skip
    assert approved.status_code == 200, approved.text
    assert approved.json()["refund_status"] == "SUCCESS"
    assert approved.json()["events"] == ["aftersales.refund_approved", "aftersales.refunded"]

    case = await aftersales.case(case_id, aftersales.buyer, min_version=approved.json()["version"])
    assert case["status"] == "refunded"
    assert case["refunded"] == cny(10_000)
    assert case["refund_trigger"] == "seller_approved"
