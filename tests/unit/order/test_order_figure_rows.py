"""An order's `order_figures` row: each fact at its business time (payments by `paid_at`, the
rest by when they occurred), duplicates not counted as money taken, the close that ended it;
and the rounding of the averages taken from them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from contracts.events.base import OrderEvent
from contracts.events.order import CancellationReason, PaymentStage
from order_service.api.figures import average_order_value, average_score, share
from order_service.domain.commands import (
    AnswerRating,
    CancelOrder,
    CloseForMissedBalance,
    CloseUnpaidOrder,
    ConfirmReceipt,
)
from order_service.projections.figure_queries import Tally
from order_service.projections.figures import figure_columns

from .order_scenarios import (
    PAYABLE,
    RATED_AT,
    SHOP_ID,
    T0,
    history,
    pay,
    place_order,
    presale_order,
    rate,
    ship,
)

RECORDED_LATE = timedelta(hours=3)
"""Every event here is recorded (occurred_at) this long after T0 + its position in minutes."""


def timed(events: Sequence[OrderEvent]) -> list[tuple[datetime, OrderEvent]]:
    return [(T0 + RECORDED_LATE + timedelta(minutes=i), e) for i, e in enumerate(events)]


def test_a_paid_order_counts_its_payment_at_paid_at_not_when_it_was_recorded() -> None:
    events = history(place_order(), pay(paid_at=T0 + timedelta(minutes=5)))
    row = figure_columns(timed(events), version=len(events))
    assert row["shop_id"] == SHOP_ID
    assert (row["currency"], row["payable"], row["presale"]) == ("CNY", PAYABLE, False)
    assert row["placed_at"] == T0 + RECORDED_LATE
    assert row["paid_at"] == T0 + timedelta(minutes=5)
    assert row["first_paid_at"] == T0 + timedelta(minutes=5)
    assert row["paid_amount"] == PAYABLE
    assert row["version"] == len(events)


def test_a_duplicate_payment_takes_no_money_in_the_figures() -> None:
    duplicate = pay("pay-2", paid_at=T0 + timedelta(days=2))
    events = history(place_order(), pay(), duplicate)
    assert events[-1].event_type == "order.duplicate_payment_detected"
    row = figure_columns(timed(events), version=len(events))
    assert row["paid_amount"] == PAYABLE
    assert row["paid_at"] == T0 + timedelta(minutes=5)


def test_a_presale_order_is_first_paid_by_its_deposit_and_counts_the_balance_apart() -> None:
    deposit = pay(stage=PaymentStage.DEPOSIT, amount=5000, paid_at=T0 + timedelta(hours=1))
    balance_at = T0 + timedelta(days=10, hours=1)
    balance = pay("pay-2", PaymentStage.BALANCE, PAYABLE - 5000, balance_at)
    events = history(presale_order(), deposit, balance)
    row = figure_columns(timed(events), version=len(events))
    assert row["presale"] is True
    assert row["first_paid_at"] == T0 + timedelta(hours=1)
    assert (row["deposit_amount"], row["deposit_paid_at"]) == (5000, T0 + timedelta(hours=1))
    assert (row["balance_amount"], row["balance_paid_at"]) == (PAYABLE - 5000, balance_at)
    assert row["paid_amount"] is None


def test_a_missed_balance_closes_the_order_keeping_the_deposit() -> None:
    deposit = pay(stage=PaymentStage.DEPOSIT, amount=5000)
    closing = CloseForMissedBalance(at=T0 + timedelta(days=12), forfeit_deposit=True)
    events = history(presale_order(), deposit, closing)
    row = figure_columns(timed(events), version=len(events))
    assert row["close_reason"] == "balance_timeout"
    assert row["deposit_forfeited"] == 5000
    assert row["closed_at"] == timed(events)[-1][0]


def test_an_unpaid_order_closed_by_the_system_has_no_payment() -> None:
    events = history(place_order(), CloseUnpaidOrder(at=T0 + timedelta(hours=72)))
    row = figure_columns(timed(events), version=len(events))
    assert row["close_reason"] == "unpaid_timeout"
    assert row["first_paid_at"] is None
    assert row["deposit_forfeited"] is None


def test_a_cancelled_order_records_when_it_was_cancelled() -> None:
    events = history(place_order(), pay(), CancelOrder(CancellationReason.BUYER_CHANGED_MIND))
    row = figure_columns(timed(events), version=len(events))
    cancelled_at = next(at for at, e in timed(events) if e.event_type == "order.cancelled")
    assert row["cancelled_at"] == cancelled_at


def test_a_rated_order_carries_its_three_scores_and_when_it_was_rated() -> None:
    events = history(
        place_order(),
        pay(),
        ship(),
        ConfirmReceipt(at=T0 + timedelta(days=1)),
        rate(5, 4, 3),
    )
    row = figure_columns(timed(events), version=len(events))
    assert row["rated_at"] == timed(events)[-1][0]
    scores = (row["description_score"], row["service_score"], row["shipping_speed_score"])
    assert scores == (5, 4, 3)


def test_averages_round_half_up_and_shares_have_no_value_without_a_whole() -> None:
    assert average_score(14, 3) == 4.67
    assert average_score(4665, 1000) == 4.67  # 4.665 exactly: half up, not to even
    assert average_score(0, 0) is None
    first_paid = Tally(count=3, amount={"CNY": 3, "USD": 10}, counts={"CNY": 2, "USD": 1})
    assert average_order_value(first_paid) == {"CNY": 2, "USD": 10}  # 1.5 fen is 2
    assert share(1, 3) == 1 / 3
    assert share(0, 0) is None


def test_a_bad_rating_carries_when_its_follow_up_is_due_and_when_it_was_answered() -> None:
    events = history(
        place_order(),
        pay(),
        ship(),
        ConfirmReceipt(at=T0 + timedelta(days=1)),
        rate(1, 4, 3),
        AnswerRating(answer="Sorry", shop_id=SHOP_ID, at=RATED_AT + timedelta(hours=1)),
    )
    row = figure_columns(timed(events), version=len(events))
    assert row["rating_follow_up_due_at"] == RATED_AT + timedelta(hours=24)
    assert row["rating_answered_at"] == timed(events)[-1][0]
    good = history(place_order(), pay(), ship(), ConfirmReceipt(at=T0 + timedelta(days=1)), rate())
    assert figure_columns(timed(good), version=len(good))["rating_follow_up_due_at"] is None
