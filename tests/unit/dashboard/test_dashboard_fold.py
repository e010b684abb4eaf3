"""The figures fold: given an event and the row as last written, the columns it sets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.values import Money
from dashboard_service.projections import fold
from eventing.testing.service import example_event as contracts_example

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
EARLIER = AT - timedelta(hours=5)


def example_event(event_type: str, **changes: Any) -> Any:
    """The contracts' example of `event_type` (typed loosely: each test knows its type)."""
    return contracts_example(event_type, **changes)


def cny(amount: int) -> Money:
    return Money(amount=amount, currency="CNY")


def test_a_placed_order_keeps_its_payable_and_when_it_was_placed() -> None:
    placed = example_event("order.placed", payable=cny(12_000))
    assert fold.order_columns(None, placed, AT) == {
        "currency": "CNY", "payable": 12_000, "placed_at": AT,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("event_type", "first_paid", "fully_paid"),
    [("order.paid", True, True), ("order.deposit_paid", True, False),
     ("order.balance_paid", False, True)],
)  # fmt: skip
def test_payments_set_the_first_payment_and_the_payment_that_made_shipment_due(
    event_type: str, first_paid: bool, fully_paid: bool
) -> None:
    payment = example_event(event_type)
    paid_at = payment.paid_at
    columns = fold.order_columns({"first_paid_at": None}, payment, AT)
    assert ("first_paid_at" in columns) is first_paid
    assert columns.get("fully_paid_at") == (paid_at if fully_paid else None)
    if first_paid:
        assert columns["first_paid_at"] == paid_at


def test_the_first_payment_is_kept_when_the_balance_or_a_later_payment_follows() -> None:
    row = {"first_paid_at": EARLIER}
    later = example_event("order.paid", paid_at=AT)
    assert fold.order_columns(row, later, AT)["first_paid_at"] == EARLIER


@pytest.mark.parametrize(
    ("event_type", "stage"),
    [("order.paid", "full"), ("order.deposit_paid", "deposit"),
     ("order.balance_paid", "balance")],
)  # fmt: skip
def test_each_payment_is_money_taken_at_its_own_time(event_type: str, stage: str) -> None:
    payment = example_event(event_type, amount=cny(5_000))
    assert fold.payment_row(payment) == {
        "shop_id": payment.shop_id, "stage": stage, "currency": "CNY", "amount": 5_000,
        "paid_at": payment.paid_at,
    }  # fmt: skip


def test_a_duplicate_payment_is_not_money_taken() -> None:
    assert fold.payment_row(example_event("order.duplicate_payment_detected")) is None


def test_a_close_keeps_its_reason_and_the_deposit_forfeited() -> None:
    closed = example_event("order.closed", reason="balance_timeout", deposit_forfeited=cny(2_000))
    assert fold.order_columns(None, closed, AT) == {
        "closed_at": AT, "close_reason": "balance_timeout", "deposit_forfeited": 2_000,
    }  # fmt: skip


def test_a_rating_keeps_its_three_scores() -> None:
    columns = fold.order_columns(None, example_event("order.rated"), AT)
    assert columns == {"rated_at": AT, "description_score": 5, "service_score": 2,
                       "shipping_speed_score": 5}  # fmt: skip


def test_a_bad_ratings_follow_up_keeps_its_due_time_and_its_answer_when_it_came() -> None:
    opened = example_event("order.rating_follow_up_opened")
    assert fold.order_columns(None, opened, AT) == {"rating_follow_up_due_at": opened.due_by}
    answered = example_event("order.rating_answered")
    assert fold.order_columns(None, answered, AT) == {"rating_answered_at": AT}


def test_a_requested_shipment_awaits_dispatch_from_its_request() -> None:
    requested = example_event("logistics.shipment_requested")
    assert fold.shipment_columns(None, requested, AT) == {
        "status": "awaiting_dispatch", "requested_at": AT,
        "ship_by": requested.ship_by,
    }  # fmt: skip


def test_a_shipment_counts_as_shipped_at_the_parcels_own_time() -> None:
    shipped = example_event("logistics.shipped")
    columns = fold.shipment_columns({"exceptions_raised": 0}, shipped, AT)
    assert columns == {"status": "shipped", "shipped_at": shipped.shipped_at}


def test_exceptions_are_counted_per_shipment() -> None:
    raised = example_event("logistics.exception_raised")
    assert fold.shipment_columns({"exceptions_raised": 1}, raised, AT) == {"exceptions_raised": 2}


@pytest.mark.parametrize(("deadline", "column"), [("target", "target_missed_at"),
                                                  ("limit", "limit_missed_at")])  # fmt: skip
def test_a_missed_deadline_is_counted_once_when_first_missed(deadline: str, column: str) -> None:
    missed = example_event("logistics.ship_deadline_missed", deadline=deadline)
    assert fold.shipment_columns(None, missed, AT) == {column: AT}
    assert fold.shipment_columns({column: EARLIER}, missed, AT) == {column: EARLIER}


def test_a_cancelled_shipment_remembers_when() -> None:
    cancelled = example_event("logistics.shipment_cancelled")
    assert fold.shipment_columns(None, cancelled, AT) == {"status": "cancelled", "cancelled_at": AT}


def _case(**values: Any) -> dict[str, Any]:
    return {"intercept": False, "timed_out_at": None, "disputed_at": None, **values}


@pytest.mark.parametrize(("reason", "intercept"), [("damaged", False),
                                                   ("cancelled_after_shipment", True)])  # fmt: skip
def test_the_recovery_case_of_the_cancel_vs_ship_race_is_told_apart(
    reason: str, intercept: bool
) -> None:
    opened = fold.opened_case(example_event("aftersales.refund_requested", reason=reason), AT)
    assert opened["intercept"] is intercept
    assert opened["opened_at"] == AT


def test_an_automatic_approval_is_the_sellers_time_out_except_for_the_recovery_case() -> None:
    approved = example_event("aftersales.refund_approved", automatic=True)
    assert fold.case_columns(_case(), approved, AT) == {"timed_out_at": AT}
    assert fold.case_columns(_case(intercept=True), approved, AT) == {}
    manual = example_event("aftersales.refund_approved", automatic=False)
    assert fold.case_columns(_case(), manual, AT) == {}


@pytest.mark.parametrize(
    ("trigger", "timed_out"),
    [("answer_timeout", True), ("return_confirm_timeout", True), ("seller_approved", False),
     ("return_received", False), ("ruling", False)],
)  # fmt: skip
def test_a_refund_is_counted_when_paid_and_its_time_out_triggers_are_the_sellers(
    trigger: str, timed_out: bool
) -> None:
    refunded = example_event("aftersales.refunded", trigger=trigger, amount=cny(3_000))
    columns = fold.case_columns(_case(), refunded, AT)
    assert columns["refunded_amount"] == 3_000
    assert columns["refunded_at"] == AT
    assert ("timed_out_at" in columns) is timed_out


def test_a_dispute_counts_once_and_the_latest_ruling_decides_who_was_responsible() -> None:
    disputed = example_event("aftersales.disputed")
    assert fold.case_columns(_case(), disputed, AT) == {"disputed_at": AT}
    assert fold.case_columns(_case(disputed_at=EARLIER), disputed, AT) == {"disputed_at": EARLIER}
    ruled = example_event("aftersales.dispute_resolved", responsible_party="seller")
    assert fold.case_columns(_case(), ruled, AT) == {"ruled_at": AT, "responsible_party": "seller"}


def test_an_order_ends_once_and_the_first_close_is_the_one_counted() -> None:
    row = {"closed_at": EARLIER}
    assert fold.order_columns(row, example_event("order.closed", reason="fully_refunded"), AT) == {}


def test_the_earlier_of_two_first_payments_counts_whichever_arrived_first() -> None:
    deposit = example_event("order.deposit_paid", paid_at=EARLIER)
    assert fold.order_columns({"first_paid_at": AT}, deposit, AT)["first_paid_at"] == EARLIER
