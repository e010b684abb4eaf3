"""What each upstream event tells the aftersales service about an order (agreement 7)."""

from __future__ import annotations

from datetime import UTC, datetime

from aftersales_service.application.state_tables import fact_changes
from contracts.events.order import (
    BalancePaid,
    DepositPaid,
    DuplicatePaymentDetected,
    OrderClosed,
    OrderCloseReason,
    PaymentMethod,
)
from contracts.values import Money

AT = datetime(2031, 3, 1, tzinfo=UTC)


def cny(amount: int) -> Money:
    return Money(amount=amount, currency="CNY")


def test_a_presale_order_counts_the_deposit_then_deposit_plus_balance() -> None:
    deposit = DepositPaid(
        order_id="o", shop_id="s", payment_id="p1", method=PaymentMethod.CARD, amount=cny(2_000),
        paid_at=AT, balance=cny(8_000), balance_starts_at=AT, balance_due_by=AT,
    )  # fmt: skip
    balance = BalancePaid(
        order_id="o", shop_id="s", payment_id="p2", method=PaymentMethod.CARD, amount=cny(8_000),
        paid_at=AT, total_paid=cny(10_000),
    )  # fmt: skip
    assert fact_changes(deposit)["paid"] == 2_000
    assert fact_changes(balance)["paid"] == 10_000


def test_a_duplicate_payments_surplus_is_never_part_of_what_was_paid() -> None:
    duplicate = DuplicatePaymentDetected(
        order_id="o", shop_id="s", payment_id="p2", original_payment_id="p1",
        method=PaymentMethod.ALIPAY, amount=cny(10_000), paid_at=AT, surplus=cny(10_000),
    )  # fmt: skip
    assert fact_changes(duplicate) == {}


def test_a_closed_presale_order_keeps_its_forfeited_deposit() -> None:
    closed = OrderClosed(
        order_id="o", shop_id="s", reason=OrderCloseReason.BALANCE_TIMEOUT,
        deposit_forfeited=cny(2_000),
    )  # fmt: skip
    assert fact_changes(closed) == {
        "closed": True, "close_reason": "balance_timeout", "deposit_forfeited": 2_000,
    }  # fmt: skip
