"""The dashboard's complaint figures from the aftersales topic: filed in the period against the
orders paid, resolved within deadline, escalated, responsibility split (as the order service
counts them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from contracts.events.base import EventPayload
from tests.integration.dashboard.harness import Dashboard, event
from tests.integration.dashboard.story import HOUR, MONDAY

pytestmark = pytest.mark.integration


def complaint(kind: str, order: str, shop: str, cp: str, **changes: Any) -> EventPayload:
    return event(f"aftersales.complaint_{kind}", order, shop, complaint_id=cp, **changes)


async def test_the_complaint_figures_count_what_became_of_each_complaint(
    dashboard: Dashboard,
) -> None:
    shop = "shop-complained"
    filed_at = MONDAY + 9 * HOUR
    story: list[tuple[EventPayload, datetime]] = []
    for n in range(4):
        order = f"o-{shop}-{n}"
        story.append((event("order.placed", order, shop), MONDAY))
        story.append((event("order.paid", order, shop, paid_at=MONDAY + HOUR), MONDAY + HOUR))
    closed, escalated, waiting = (f"o-{shop}-{n}" for n in range(3))
    for order, cp in ((closed, "cp-a"), (escalated, "cp-b"), (waiting, "cp-c")):
        story.append((complaint("filed", order, shop, cp, filed_at=filed_at), filed_at))
    later = filed_at + 2 * HOUR
    story += [
        (complaint("analysed", closed, shop, "cp-a", responsibility="carrier"), later),
        (complaint("closed", closed, shop, "cp-a", closed_at=later), later),
        (complaint("analysed", escalated, shop, "cp-b", responsibility="buyer"), later),
        (complaint("escalated", escalated, shop, "cp-b", escalated_at=later), later),
        (complaint("ruled", escalated, shop, "cp-b", responsibility="seller", ruled_at=later),
         later),
    ]  # fmt: skip
    for payload, when in story:
        await dashboard.publish(payload, at=when)
    await dashboard.has_applied(len(story))

    figures = await dashboard.figures(shop_id=shop, period="all")
    assert figures["complaints"] == {
        "filed": 3, "rate": 3 / 4, "resolved_within_deadline": 1,
        "resolved_within_deadline_share": 1 / 3, "escalated": 1, "escalated_share": 1 / 3,
        "responsibility": {"seller": 1, "buyer": 0, "carrier": 1, "platform": 0},
    }  # fmt: skip
    # A redelivered filing changes nothing.
    await dashboard.publish(story[-6][0], at=filed_at)
    await dashboard.has_applied(len(story) + 1)
    again = await dashboard.figures(shop_id=shop, period="all")
    assert again["complaints"]["filed"] == 3
