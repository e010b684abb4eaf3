"""Bodies and views of the order's customer care: the seller's answer to a rating, the buyer's
follow-up comment, the shop's rating list and its queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from contracts.events.order import MAX_RATING_REPLY_LENGTH
from contracts.values import Text
from order_service.api.models import Body

_REPLY = f"1 to {MAX_RATING_REPLY_LENGTH} characters (422 `invalid-rating-reply` otherwise)."


class RatingAnswerBody(Body):
    answer: Text = Field(
        description=f"The seller's answer, shown with the rating: {_REPLY}",
        examples=["抱歉让您久等了,已为您补发。"],
    )


class RatingFollowUpBody(Body):
    comment: Text = Field(
        description=f"The buyer's follow-up comment: {_REPLY}",
        examples=["补发已收到,客服很耐心。"],
    )


class FollowUpFilter(StrEnum):
    """Which ratings a shop's list shows."""

    ALL = "all"
    NEEDED = "needed"  # medium or bad ratings (they opened a follow-up)
    OPEN = "open"  # medium or bad, not answered yet
    OVERDUE = "overdue"  # medium or bad, not answered, past the follow-up's due time


class QueueStatus(StrEnum):
    """Which entries of the shop's queue a list shows."""

    OPEN = "open"
    OVERDUE = "overdue"  # open and past due
    CLOSED = "closed"


class QueueKind(StrEnum):
    """What a queue entry asks of the shop."""

    RATING_FOLLOW_UP = "rating_follow_up"  # answer a medium or bad rating
    PAYMENT_REMINDED = "payment_reminded"  # the buyer was reminded to pay (or the deposit)
    BALANCE_REMINDED = "balance_reminded"  # the buyer was reminded of the presale balance


class RatingEntry(BaseModel):
    """One rating in the shop's list, with its answer and follow-up."""

    order_id: str
    buyer_id: str
    rated_at: datetime
    description_score: int = Field(description="Item as described, 1-5.")
    service_score: int = Field(description="Seller's service, 1-5.")
    shipping_speed_score: int = Field(description="Shipping speed, 1-5.")
    comment: str | None
    needs_follow_up: bool = Field(description="A medium or bad rating (a follow-up opened).")
    follow_up_due_at: datetime | None = Field(description="When its follow-up turns overdue.")
    follow_up_overdue: bool = Field(description="Needs a follow-up, unanswered, past due.")
    answer: str | None = Field(description="The seller's answer.")
    answered_at: datetime | None
    answer_due_by: datetime | None = Field(description="Until when it may be answered.")
    appended_comment: str | None = Field(description="The buyer's follow-up comment.")
    appended_at: datetime | None
    append_due_by: datetime | None = Field(description="Until when the buyer may add one.")
    version: int = Field(description="The order's version this row shows.")


class QueueEntry(BaseModel):
    """One task in the shop's queue."""

    order_id: str
    kind: QueueKind
    opened_at: datetime
    due_at: datetime = Field(description="Overdue after this (for a reminder: when it closes).")
    closed_at: datetime | None = Field(description="When it was dealt with (answered, paid...).")
    overdue: bool = Field(description="Open and past due.")
    detail: dict[str, Any] = Field(
        description="rating_follow_up: `lowest_score`; reminders: `stage` and `amount`."
    )
    version: int = Field(description="The order's version this entry shows.")
