"""The rating of a completed order and the customer care around it: the seller's one answer,
the follow-up task a medium or bad rating opens, and the buyer's one follow-up comment."""

from __future__ import annotations

from datetime import datetime

from contracts.events.base import OrderEvent
from contracts.events.order import (
    MAX_RATING_REPLY_LENGTH,
    OrderRated,
    RatingAnswered,
    RatingAppended,
    RatingFollowUpOpened,
)
from order_service.domain.commands import AnswerRating, AppendToRating, RateOrder
from order_service.domain.errors import (
    InvalidRatingReply,
    InvalidRatingScore,
    NotTheShopsSeller,
    OrderAlreadyRated,
    OrderNotCompleted,
    OrderNotRated,
    RatingAlreadyAnswered,
    RatingAlreadyAppended,
    RatingAnswerWindowOver,
    RatingAppendWindowOver,
    TextTooLong,
)
from order_service.domain.policy import HIGHEST_SCORE, LOWEST_SCORE
from order_service.domain.state import OrderState


def _ids(state: OrderState) -> dict[str, str]:
    return {"order_id": state.order_id, "shop_id": state.shop_id}


def rate(command: RateOrder, state: OrderState) -> list[OrderEvent]:
    scores = (command.description_score, command.service_score, command.shipping_speed_score)
    if any(score not in range(LOWEST_SCORE, HIGHEST_SCORE + 1) for score in scores):
        raise InvalidRatingScore(f"scores must be 1 to 5, not {scores}")
    if command.comment is not None and len(command.comment) > 2000:
        raise TextTooLong("the comment is longer than 2000 characters")
    if not state.completed:
        raise OrderNotCompleted(f"the order is {state.status}; rate it after receipt")
    if state.rated:
        raise OrderAlreadyRated("the order was already rated")
    policy = command.policy
    rated: list[OrderEvent] = [
        OrderRated(
            **_ids(state),
            description_score=command.description_score,
            service_score=command.service_score,
            shipping_speed_score=command.shipping_speed_score,
            comment=command.comment,
            answer_due_by=command.at + policy.answer_window,
            append_due_by=command.at + policy.append_window,
        )
    ]
    if policy.needs_follow_up(scores):
        due_by = command.at + policy.follow_up_due
        rated.append(RatingFollowUpOpened(**_ids(state), lowest_score=min(scores), due_by=due_by))
    return rated


def answer_rating(command: AnswerRating, state: OrderState) -> list[OrderEvent]:
    """The seller's one answer, within the window; it closes an open follow-up task."""
    answer = _reply(command.answer, "answer")
    if command.shop_id != state.shop_id:
        raise NotTheShopsSeller(f"the order belongs to shop {state.shop_id}")
    _require_rated(state)
    if state.rating_answered:
        raise RatingAlreadyAnswered("the rating was already answered; an answer is given once")
    _require_open(state.rating_answer_due_by, command.at, RatingAnswerWindowOver, "answered")
    return [RatingAnswered(**_ids(state), answer=answer)]


def append_to_rating(command: AppendToRating, state: OrderState) -> list[OrderEvent]:
    """The buyer's one follow-up comment, within the window."""
    comment = _reply(command.comment, "follow-up comment")
    _require_rated(state)
    if state.rating_appended:
        raise RatingAlreadyAppended("a rating takes one follow-up comment")
    _require_open(state.rating_append_due_by, command.at, RatingAppendWindowOver, "followed up")
    return [RatingAppended(**_ids(state), comment=comment)]


def _reply(text: str, what: str) -> str:
    if not text.strip() or len(text) > MAX_RATING_REPLY_LENGTH:
        raise InvalidRatingReply(
            f"the {what} must have 1 to {MAX_RATING_REPLY_LENGTH} characters, not {len(text)}"
        )
    return text


def _require_rated(state: OrderState) -> None:
    if not state.rated:
        raise OrderNotRated(f"the order is {state.status} and has no rating yet")


def _require_open(
    due_by: datetime | None,
    at: datetime,
    refusal: type[RatingAnswerWindowOver | RatingAppendWindowOver],
    what: str,
) -> None:
    # A rating recorded before answers existed carries no window: it stays open.
    if due_by is not None and at >= due_by:
        raise refusal(f"the rating could be {what} until {due_by.isoformat()}")
