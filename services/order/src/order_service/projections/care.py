"""The order's rows of the customer-care read models: its rating in the shop's rating list
(`order_rating`) and its entries in the shop's queue (`shop_queue`: a medium or bad rating to
follow up, an unpaid order or balance the buyer was reminded of). Pure functions of the order's
whole stream, like `order_view`, so they are idempotent and a rebuild gives the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from contracts.events.order import (
    BalancePaid,
    BalanceReminderDue,
    DepositPaid,
    OrderCancelled,
    OrderClosed,
    OrderPaid,
    OrderRated,
    PaymentReminderDue,
    RatingAnswered,
    RatingAppended,
    RatingFollowUpOpened,
)
from order_service.projections.figures import TimedEvent

RATING_FOLLOW_UP = "rating_follow_up"
PAYMENT_REMINDED = "payment_reminded"
BALANCE_REMINDED = "balance_reminded"
QUEUE_KINDS = (RATING_FOLLOW_UP, PAYMENT_REMINDED, BALANCE_REMINDED)


def rating_columns(
    events: Sequence[TimedEvent], buyer_id: str, version: int
) -> dict[str, Any] | None:
    """The `order_rating` values of the order (None until it is rated)."""
    values: dict[str, Any] | None = None
    for occurred_at, event in events:
        match event:
            case OrderRated():
                values = {
                    "shop_id": event.shop_id,
                    "buyer_id": buyer_id,
                    "rated_at": occurred_at,
                    "description_score": event.description_score,
                    "service_score": event.service_score,
                    "shipping_speed_score": event.shipping_speed_score,
                    "comment": event.comment,
                    "answer_due_by": event.answer_due_by,
                    "append_due_by": event.append_due_by,
                    "follow_up_due_at": None,
                    "answer": None,
                    "answered_at": None,
                    "appended_comment": None,
                    "appended_at": None,
                    "version": version,
                }
            case RatingFollowUpOpened() if values is not None:
                values["follow_up_due_at"] = event.due_by
            case RatingAnswered() if values is not None:
                values.update(answer=event.answer, answered_at=occurred_at)
            case RatingAppended() if values is not None:
                values.update(appended_comment=event.comment, appended_at=occurred_at)
            case _:
                pass
    return values


def queue_entries(events: Sequence[TimedEvent], version: int) -> list[dict[str, Any]]:
    """The order's `shop_queue` entries, in the order they opened: a follow-up closes when the
    rating is answered, a reminder when the payment it asked for is made or the order ends.
    Entries never disappear from this list, so an order without any has no rows to remove."""
    entries: dict[str, dict[str, Any]] = {}

    def open_entry(kind: str, at: datetime, event: Any, due_at: datetime, **detail: Any) -> None:
        entries[kind] = {
            "kind": kind,
            "shop_id": event.shop_id,
            "opened_at": at,
            "due_at": due_at,
            "closed_at": None,
            "detail": detail,
            "version": version,
        }

    def close(at: datetime, *kinds: str) -> None:
        for kind in kinds:
            if kind in entries and entries[kind]["closed_at"] is None:
                entries[kind]["closed_at"] = at

    for at, event in events:
        match event:
            case RatingFollowUpOpened():
                open_entry(
                    RATING_FOLLOW_UP, at, event, event.due_by, lowest_score=event.lowest_score
                )
            case RatingAnswered():
                close(at, RATING_FOLLOW_UP)
            case PaymentReminderDue():
                amount = event.amount.model_dump(mode="json")
                open_entry(PAYMENT_REMINDED, at, event, event.payment_due_by,
                           stage=event.stage.value, amount=amount)  # fmt: skip
            case BalanceReminderDue():
                balance = event.balance.model_dump(mode="json")
                open_entry(BALANCE_REMINDED, at, event, event.balance_due_by,
                           stage="balance", amount=balance)  # fmt: skip
            case OrderPaid() | DepositPaid():
                close(at, PAYMENT_REMINDED)
            case BalancePaid():
                close(at, BALANCE_REMINDED)
            case OrderCancelled() | OrderClosed():
                close(at, PAYMENT_REMINDED, BALANCE_REMINDED)
            case _:
                pass
    return list(entries.values())
