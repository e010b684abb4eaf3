"""One shop's week, as the three topics tell it: five orders covering every figure, with the
figures the dashboard must show for it (all time)."""

from __future__ import annotations

from datetime import datetime, timedelta

from contracts.events.base import EventPayload
from tests.integration.dashboard.harness import Dashboard, at, cny, event

MONDAY = at("2026-11-09T02:00:00+00:00")  # 10:00 in Shanghai
HOUR = timedelta(hours=1)


async def publish_week(dashboard: Dashboard, shop: str) -> int:
    """Publish the week of `shop`; the number of events published."""
    story = week(shop)
    for payload, when in story:
        await dashboard.publish(payload, at=when)
    return len(story)


def week(shop: str) -> list[tuple[EventPayload, datetime]]:
    """The week's events of `shop`, each with when it happened, in each order's order."""
    o1, o2, o3, o4, o5 = (f"o-{shop}-{n}" for n in range(1, 6))
    return [
        # 1: paid in full, shipped 2 h after payment, one exception, refunded in part, rated.
        (event("order.placed", o1, shop, payable=cny(10_000)), MONDAY),
        (event("order.paid", o1, shop, amount=cny(10_000), paid_at=MONDAY + HOUR), MONDAY + HOUR),
        (event("order.duplicate_payment_detected", o1, shop), MONDAY + 2 * HOUR),
        (event("logistics.shipment_requested", o1, shop), MONDAY + HOUR),
        (event("logistics.shipped", o1, shop, shipped_at=MONDAY + 3 * HOUR), MONDAY + 3 * HOUR),
        (event("logistics.exception_raised", o1, shop), MONDAY + 5 * HOUR),
        (event("aftersales.refund_requested", o1, shop, case_id=f"c1-{shop}"), MONDAY + 6 * HOUR),
        (event("aftersales.refunded", o1, shop, case_id=f"c1-{shop}", amount=cny(3_000),
               trigger="seller_approved"), MONDAY + 7 * HOUR),
        (event("order.rated", o1, shop, description_score=5, service_score=4,
               shipping_speed_score=5), MONDAY + 8 * HOUR),
        # 2: presale; shipped 30 h after the balance, target missed; the seller let the case
        # time out, the buyer disputed, the platform held the seller responsible.
        (event("order.placed", o2, shop, payable=cny(20_000)), MONDAY),
        (event("order.deposit_paid", o2, shop, amount=cny(2_000), paid_at=MONDAY + HOUR),
         MONDAY + HOUR),
        (event("order.balance_paid", o2, shop, amount=cny(18_000), total_paid=cny(20_000),
               paid_at=MONDAY + 24 * HOUR), MONDAY + 24 * HOUR),
        (event("logistics.shipment_requested", o2, shop), MONDAY + 24 * HOUR),
        (event("logistics.ship_deadline_missed", o2, shop, deadline="target"), MONDAY + 48 * HOUR),
        (event("logistics.shipped", o2, shop, shipped_at=MONDAY + 54 * HOUR), MONDAY + 54 * HOUR),
        (event("aftersales.refund_requested", o2, shop, case_id=f"c2-{shop}"), MONDAY + 60 * HOUR),
        (event("aftersales.refund_approved", o2, shop, case_id=f"c2-{shop}", automatic=True,
               return_by=None, return_address=None), MONDAY + 90 * HOUR),
        (event("aftersales.disputed", o2, shop, case_id=f"c2-{shop}"), MONDAY + 91 * HOUR),
        (event("aftersales.dispute_resolved", o2, shop, case_id=f"c2-{shop}",
               responsible_party="seller"), MONDAY + 92 * HOUR),
        # 3: cancelled before payment (its shipment never requested).
        (event("order.placed", o3, shop, payable=cny(4_000)), MONDAY + 2 * HOUR),
        (event("order.cancelled", o3, shop, refund_due=cny(0)), MONDAY + 3 * HOUR),
        (event("logistics.shipment_cancelled", o3, shop), MONDAY + 3 * HOUR),
        # 4: closed unpaid.
        (event("order.placed", o4, shop, payable=cny(6_000)), MONDAY + 2 * HOUR),
        (event("order.closed", o4, shop, reason="unpaid_timeout"), MONDAY + 74 * HOUR),
        # 5: paid, cancelled before dispatch: the shipment is cancelled; the race's recovery
        # case is the system's and not counted.
        (event("order.placed", o5, shop, payable=cny(5_000)), MONDAY + 4 * HOUR),
        (event("order.paid", o5, shop, amount=cny(5_000), paid_at=MONDAY + 4 * HOUR),
         MONDAY + 4 * HOUR),
        (event("logistics.shipment_requested", o5, shop), MONDAY + 4 * HOUR),
        (event("order.cancelled", o5, shop, refund_due=cny(5_000)), MONDAY + 5 * HOUR),
        (event("logistics.shipment_cancelled", o5, shop), MONDAY + 5 * HOUR),
        (event("aftersales.refund_requested", o5, shop, case_id=f"c5-{shop}",
               reason="cancelled_after_shipment", amount=cny(0)), MONDAY + 6 * HOUR),
    ]  # fmt: skip


WEEK_ORDERS = {
    "placed": 5,
    "paid": 3,
    "gmv": {"CNY": 35_000},
    "payment_conversion": 0.6,
    "average_order_value": {"CNY": 11_667},
    "cancelled": 2,
    "auto_closed_unpaid": 1,
    "presale_deposits": {"count": 1, "amount": {"CNY": 2_000}},
    "presale_balances": {"count": 1, "amount": {"CNY": 18_000}},
    "deposits_forfeited": {"count": 0, "amount": {}},
}
WEEK_SHIPPING = {
    "requested": 3,
    "shipped": 2,
    "within_24h_share": 0.5,
    "within_48h_share": 1.0,
    "target_missed": 1,
    "limit_missed": 0,
    "with_exceptions": 1,
    "exception_rate": 0.5,
    "cancelled": 1,
}
WEEK_AFTERSALES = {
    "paid_orders": 3,
    "cases": 2,
    "refund_rate": 2 / 3,
    "refunded": {"CNY": 3_000},
    "refund_amount_rate": 3_000 / 35_000,
    "timeouts": 1,
    "disputes": 1,
    "dispute_rate": 0.5,
    "rulings": 1,
    "ruled_against_seller_share": 1.0,
}
