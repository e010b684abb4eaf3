"""The order's row of `order_figures`: when each fact the shop figures count happened, by
business time (a payment's `paid_at`, otherwise the event's `occurred_at`), never by when the
event arrived. Recomputed from the order's whole stream, like `order_view`, so it is idempotent
and a rebuild gives the same row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from contracts.events.base import OrderEvent
from contracts.events.order import (
    BalancePaid,
    DepositPaid,
    OrderCancelled,
    OrderClosed,
    OrderPaid,
    OrderPlaced,
    OrderRated,
    RatingAnswered,
    RatingFollowUpOpened,
)

TimedEvent = tuple[datetime, OrderEvent]
"""An event of the order with its `occurred_at`, in stream order."""


def figure_columns(events: Sequence[TimedEvent], version: int) -> dict[str, Any]:
    """The `order_figures` values of an order from its events (the first is `order.placed`).
    `order.duplicate_payment_detected` is no payment here: its surplus is owed back."""
    placed_at, placed = events[0]
    assert isinstance(placed, OrderPlaced)
    values: dict[str, Any] = {
        "shop_id": placed.shop_id,
        "currency": placed.payable.currency,
        "payable": placed.payable.amount,
        "presale": placed.presale is not None,
        "placed_at": placed_at,
        "first_paid_at": None,
        "paid_amount": None,
        "paid_at": None,
        "deposit_amount": None,
        "deposit_paid_at": None,
        "balance_amount": None,
        "balance_paid_at": None,
        "cancelled_at": None,
        "closed_at": None,
        "close_reason": None,
        "deposit_forfeited": None,
        "rated_at": None,
        "description_score": None,
        "service_score": None,
        "shipping_speed_score": None,
        "rating_follow_up_due_at": None,
        "rating_answered_at": None,
        "version": version,
    }
    for occurred_at, event in events[1:]:
        if isinstance(event, OrderClosed) and values["closed_at"] is not None:
            continue  # an order ends once; the close that ended it is the one counted
        values.update(_facts(occurred_at, event))
    payments = (values["paid_at"], values["deposit_paid_at"])
    values["first_paid_at"] = min((at for at in payments if at is not None), default=None)
    return values


def _facts(occurred_at: datetime, event: OrderEvent) -> dict[str, Any]:
    match event:
        case OrderPaid():
            return {"paid_amount": event.amount.amount, "paid_at": event.paid_at}
        case DepositPaid():
            return {"deposit_amount": event.amount.amount, "deposit_paid_at": event.paid_at}
        case BalancePaid():
            return {"balance_amount": event.amount.amount, "balance_paid_at": event.paid_at}
        case OrderCancelled():
            return {"cancelled_at": occurred_at}
        case OrderClosed():
            forfeited = event.deposit_forfeited
            return {
                "closed_at": occurred_at,
                "close_reason": event.reason.value,
                "deposit_forfeited": None if forfeited is None else forfeited.amount,
            }
        case OrderRated():
            return {
                "rated_at": occurred_at,
                "description_score": event.description_score,
                "service_score": event.service_score,
                "shipping_speed_score": event.shipping_speed_score,
            }
        case RatingFollowUpOpened():
            return {"rating_follow_up_due_at": event.due_by}
        case RatingAnswered():
            return {"rating_answered_at": occurred_at}
        case _:
            return {}
