"""The aftersales API's edge (issue 14): strict bodies, bounded policy durations (the same bounds
as order and logistics), and the same answer to another shop's seller whether a case exists or
not. Each refusal is a 4xx problem+json and leaves the cases as they were."""

from __future__ import annotations

from typing import Any

import pytest

from eventing.http.auth import Role
from eventing.testing.service import assert_problem
from tests.integration.aftersales.harness import (
    REFUND_ONLY,
    RETURN_ONE_TEA,
    SHOP,
    Aftersales,
)

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("change", "location"),
    [
        pytest.param({"amount": {"amount": True, "currency": "CNY"}}, "body.amount.amount",
                     id="amount true"),
        pytest.param({"amount": {"amount": "4000", "currency": "CNY"}}, "body.amount.amount",
                     id="amount as a string"),
        pytest.param({"amount": {"amount": 2**63, "currency": "CNY"}}, "body.amount.amount",
                     id="amount 2^63"),
        pytest.param({"items": [{"sku": "TEA-001", "quantity": "1"}]}, "body.items.0.quantity",
                     id="quantity as a string"),
        pytest.param({"items": [{"sku": "TEA-001", "quantity": True}]}, "body.items.0.quantity",
                     id="quantity true"),
        pytest.param({"description": 5}, "body.description", id="number for a string"),
        pytest.param({"description": "dented\u0000"}, "body.description", id="NUL"),
        pytest.param({"kind": 1}, "body.kind", id="number for an enum"),
    ],
)  # fmt: skip
async def test_a_refund_request_with_a_wrong_json_type_is_refused_naming_the_field(
    aftersales: Aftersales, change: dict[str, Any], location: str
) -> None:
    order_id = await aftersales.paid_order()
    path = f"/v1/orders/{order_id}/refund-cases"
    answer = await aftersales.command(path, {**RETURN_ONE_TEA, **change}, aftersales.buyer)
    assert_problem(answer, 422, "validation-error", location)
    assert await aftersales.recorded(order_id) == []
    assert await aftersales.cases_of(order_id) == []


async def test_evidence_is_bounded(aftersales: Aftersales) -> None:
    order_id = await aftersales.paid_order()
    case = await aftersales.open_case(order_id, REFUND_ONLY)
    path = f"/v1/refund-cases/{case['case_id']}/evidence"
    for body, location in (
        ({"description": "photos", "attachments": ["https://e.x/1"] * 21}, "body.attachments"),
        ({"description": "photos", "attachments": [7]}, "body.attachments.0"),
        ({"description": "x" * 2001}, "body.description"),
    ):
        answer = await aftersales.command(path, body, aftersales.buyer)
        assert_problem(answer, 422, "validation-error", location)
    assert [kind for kind, _ in await aftersales.recorded(order_id)] == [
        "aftersales.refund_requested"
    ]


async def test_another_shops_seller_gets_the_answer_of_a_case_that_does_not_exist(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    case = await aftersales.open_case(order_id, REFUND_ONLY)
    stranger = aftersales.auth(Role.SELLER, "clerk-9", "shop-other")
    answers = [
        await aftersales.command(f"/v1/refund-cases/{case_id}/approval", {}, stranger)
        for case_id in (case["case_id"], "rc-that-never-was")
    ]
    for answer in answers:
        assert_problem(answer, 404, "refund-case-not-found")
    assert answers[0].json()["title"] == answers[1].json()["title"]
    seen = await aftersales.case(case["case_id"], min_version=case["version"])
    assert seen["status"] == case["status"]
    assert [kind for kind, _ in await aftersales.recorded(order_id)] == [
        "aftersales.refund_requested"
    ]


async def test_a_policy_duration_beyond_its_bounds_is_refused_as_in_every_service(
    aftersales: Aftersales,
) -> None:
    path = f"/v1/shops/{SHOP}/policy"
    defaults = (await aftersales.client.get(path, headers=aftersales.seller)).json()
    for window in ("P99999999D", "P91D", "PT30S"):
        body = {**defaults["policy"], "answer_before_shipment": window}
        answer = await aftersales.command(path, body, aftersales.seller, method="PUT")
        assert_problem(answer, 422, "validation-error", "body.answer_before_shipment")
    after = (await aftersales.client.get(path, headers=aftersales.seller)).json()
    assert (after["version"], after["policy"]) == (0, defaults["policy"])


@pytest.mark.parametrize(
    "sent", ["c" * 65, "%2E", "a%25b", "a%07b"], ids=["65 characters", "a dot", "%", "BEL"]
)
async def test_an_id_in_a_path_is_held_to_the_identifier_rule_of_bodies(
    aftersales: Aftersales, sent: str
) -> None:
    order_id = await aftersales.paid_order()
    case = await aftersales.open_case(order_id, REFUND_ONLY)
    read = await aftersales.client.get(f"/v1/refund-cases/{sent}", headers=aftersales.buyer)
    assert_problem(read, 422, "validation-error", "path.case_id")
    withdraw = await aftersales.command(f"/v1/refund-cases/{sent}/withdrawal", {}, aftersales.buyer)
    assert_problem(withdraw, 422, "validation-error", "path.case_id")
    opened = await aftersales.command(
        f"/v1/orders/{sent}/refund-cases", REFUND_ONLY, aftersales.buyer
    )
    assert_problem(opened, 422, "validation-error", "path.order_id")
    stats = await aftersales.client.get(f"/v1/stats/shops/{sent}", headers=aftersales.platform)
    assert_problem(stats, 422, "validation-error", "path.shop_id")
    seen = await aftersales.case(case["case_id"], min_version=case["version"])
    assert seen["status"] == case["status"]
    assert [kind for kind, _ in await aftersales.recorded(order_id)] == [
        "aftersales.refund_requested"
    ]
