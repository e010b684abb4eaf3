"""The complaint block of the shop and platform figures: complaints filed through the shop's
orders (from the aftersales topic) against its paid orders, resolved within deadline,
escalated, responsibility split; the same rows rebuilt from the topics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from contracts.events.base import EventPayload
from eventing.testing.service import example_event
from order_service.projections import PROJECTIONS
from order_service.projections.tables import order_complaints
from tests.integration.order.harness import SHOP, Orders, payable

pytestmark = pytest.mark.integration

FIGURES = f"/v1/stats/shops/{SHOP}"


def step(event_type: str, order_id: str, complaint_id: str, **changes: Any) -> EventPayload:
    """An aftersales complaint event of `order_id` at the shop, now."""
    return example_event(
        event_type, order_id=order_id, shop_id=SHOP, complaint_id=complaint_id, **changes
    )


def filed(order_id: str, complaint_id: str) -> EventPayload:
    now = datetime.now(UTC)
    return step("aftersales.complaint_filed", order_id, complaint_id, filed_at=now,
                accept_due_by=now)  # fmt: skip


async def test_the_complaint_figures_count_filed_resolved_escalated_and_responsibility(
    service: Orders,
) -> None:
    await service.stocked(tea=20, cup=10)
    orders = [(await service.place())["order_id"] for _ in range(4)]
    for order_id in orders:
        assert (await service.pay(order_id, payable())).status_code == 200
    now = datetime.now(UTC)
    satisfied, escalated, waiting = orders[0], orders[1], orders[2]
    await service.publish(
        filed(satisfied, "cp-1"),
        step("aftersales.complaint_analysed", satisfied, "cp-1", responsibility="carrier"),
        step("aftersales.complaint_closed", satisfied, "cp-1", closed_at=now),
    )
    await service.publish(
        filed(escalated, "cp-2"),
        step("aftersales.complaint_analysed", escalated, "cp-2", responsibility="buyer"),
        step("aftersales.complaint_escalated", escalated, "cp-2", escalated_at=now),
        step("aftersales.complaint_ruled", escalated, "cp-2", responsibility="seller",
             ruled_at=now),
    )  # fmt: skip
    await service.publish(filed(waiting, "cp-3"))

    body = await service.read_when(
        f"{FIGURES}?period=all", service.seller,
        lambda f: f["complaints"]["filed"] == 3 and f["orders"]["paid"] == 4
        and f["complaints"]["escalated"] == 1, "complaints counted",
    )  # fmt: skip
    assert body["complaints"] == {
        "filed": 3, "rate": 3 / 4, "resolved_within_deadline": 1,
        "resolved_within_deadline_share": 1 / 3, "escalated": 1, "escalated_share": 1 / 3,
        "responsibility": {"seller": 1, "buyer": 0, "carrier": 1, "platform": 0},
    }  # fmt: skip
    platform = await service.client.get(
        "/v1/stats/platform", params={"period": "all"}, headers=service.platform
    )
    assert platform.status_code == 200, platform.text
    assert platform.json()["complaints"]["filed"] >= 3

    async def rows() -> list[dict[str, Any]]:
        async with service.engine.connect() as connection:
            found = await connection.execute(
                select(order_complaints).order_by(order_complaints.c.complaint_id)
            )
            return [dict(r._mapping) for r in found]

    live = await rows()
    assert [r["complaint_id"] for r in live] == ["cp-1", "cp-2", "cp-3"]
    (projection,) = PROJECTIONS
    assert order_complaints.name in projection.tables.tables


async def test_a_shop_with_no_complaints_shows_zero_and_no_rate(service: Orders) -> None:
    answer = await service.client.get(FIGURES, params={"period": "all"}, headers=service.seller)
    assert answer.status_code == 200, answer.text
    assert answer.json()["complaints"] == {
        "filed": 0, "rate": None, "resolved_within_deadline": 0,
        "resolved_within_deadline_share": None, "escalated": 0, "escalated_share": None,
        "responsibility": {"seller": 0, "buyer": 0, "carrier": 0, "platform": 0},
    }  # fmt: skip
