"""Payments: full, presale deposit and balance, failed attempts and duplicates."""

from __future__ import annotations

from contracts.events.base import OrderEvent
from contracts.events.order import (
    BalancePaid,
    DepositPaid,
    DuplicatePaymentDetected,
    OrderPaid,
    PaymentFailed,
    PaymentStage,
)
from contracts.values import Money
from order_service.domain.commands import RecordPayment, RecordPaymentFailure
from order_service.domain.errors import (
    BalanceWindowClosed,
    BalanceWindowNotOpen,
    InvalidAmount,
    OrderNotPayable,
    PaymentAmountMismatch,
    PaymentStageMismatch,
    PaymentWindowClosed,
    TextTooLong,
)
from order_service.domain.state import OrderState, OrderStatus

EXPECTED_STAGE = {
    OrderStatus.AWAITING_PAYMENT: PaymentStage.FULL,
    OrderStatus.AWAITING_DEPOSIT: PaymentStage.DEPOSIT,
    OrderStatus.AWAITING_BALANCE: PaymentStage.BALANCE,
}


def record_payment(command: RecordPayment, state: OrderState) -> list[OrderEvent]:
    """Take the payment the order waits for; a second one for a paid stage is a duplicate."""
    if command.payment_id in state.payment_ids:
        return []  # the provider re-sent a notification we already recorded
    _check_money(command.amount, command.currency, state)
    original = _kept_payment(state, command.stage)
    if original is not None:
        return [_duplicate(command, state, original)]
    expected_stage = _expected_stage(state, command.stage)
    _check_in_time(command, state, expected_stage)
    due = _amount_due(state, expected_stage)
    if command.amount != due:
        raise PaymentAmountMismatch(
            f"the {expected_stage} payment is {due} {state.currency}, not {command.amount}",
            due=due,
        )
    ids = {"order_id": state.order_id, "shop_id": state.shop_id}
    money = Money(amount=command.amount, currency=state.currency)
    paid = {"payment_id": command.payment_id, "method": command.method, "amount": money}
    if expected_stage is PaymentStage.FULL:
        return [OrderPaid(**ids, **paid, paid_at=command.paid_at)]
    presale = state.presale
    assert presale is not None  # a deposit or balance stage exists only for presale orders
    if expected_stage is PaymentStage.DEPOSIT:
        return [
            DepositPaid(
                **ids,
                **paid,
                paid_at=command.paid_at,
                balance=presale.balance,
                balance_starts_at=presale.balance_starts_at,
                balance_due_by=presale.balance_due_by,
            )
        ]
    if command.paid_at < presale.balance_starts_at:
        raise BalanceWindowNotOpen(
            f"the balance can be paid from {presale.balance_starts_at.isoformat()}",
            balance_starts_at=presale.balance_starts_at.isoformat(),
        )
    if command.paid_at > presale.balance_due_by:
        raise BalanceWindowClosed(f"the balance was due by {presale.balance_due_by.isoformat()}")
    total = Money(amount=state.paid + command.amount, currency=state.currency)
    return [BalancePaid(**ids, **paid, paid_at=command.paid_at, total_paid=total)]


def record_payment_failure(command: RecordPaymentFailure, state: OrderState) -> list[OrderEvent]:
    """Keep the declined attempt on record; the order stays payable."""
    _check_money(command.amount, command.currency, state)
    if len(command.reason) > 2000:
        raise TextTooLong("the failure reason is longer than 2000 characters")
    stage = _expected_stage(state, command.stage)
    return [
        PaymentFailed(
            order_id=state.order_id,
            shop_id=state.shop_id,
            payment_id=command.payment_id,
            stage=stage,
            method=command.method,
            amount=Money(amount=command.amount, currency=state.currency),
            failure_code=command.failure_code,
            reason=command.reason,
        )
    ]


def _check_money(amount: int, currency: str, state: OrderState) -> None:
    if amount < 0:
        raise InvalidAmount("a payment amount cannot be negative")
    if currency != state.currency:
        raise InvalidAmount(f"the order is paid in {state.currency}, not {currency}")


def _kept_payment(state: OrderState, stage: PaymentStage) -> str | None:
    """The payment already kept for `stage`, if that stage was paid."""
    kept = {
        PaymentStage.FULL: state.full_payment_id,
        PaymentStage.DEPOSIT: state.deposit_payment_id,
        PaymentStage.BALANCE: state.balance_payment_id,
    }
    return kept[stage]


def _check_in_time(command: RecordPayment, state: OrderState, stage: PaymentStage) -> None:
    """Placed by its business time: a payment made after the payment deadline comes too late,
    whether or not the order has closed yet (the closing deadline may not have fired)."""
    if stage is PaymentStage.BALANCE or state.payment_due_by is None:
        return  # the balance has its own window, checked with the presale terms
    if command.paid_at > state.payment_due_by:
        raise PaymentWindowClosed(
            f"paid at {command.paid_at.isoformat()}, after the payment deadline "
            f"{state.payment_due_by.isoformat()}",
            payment_due_by=state.payment_due_by.isoformat(),
        )


def _expected_stage(state: OrderState, stage: PaymentStage) -> PaymentStage:
    expected = EXPECTED_STAGE.get(state.status)
    if expected is None:
        raise OrderNotPayable(f"the order is {state.status} and takes no payment")
    if stage is not expected:
        raise PaymentStageMismatch(
            f"the order waits for its {expected} payment, not a {stage} payment",
            expected_stage=expected.value,
        )
    return expected


def _amount_due(state: OrderState, stage: PaymentStage) -> int:
    if stage is PaymentStage.FULL or state.presale is None:
        return state.payable
    if stage is PaymentStage.DEPOSIT:
        return state.presale.deposit.amount
    return state.presale.balance.amount


def _duplicate(
    command: RecordPayment, state: OrderState, original_payment_id: str
) -> DuplicatePaymentDetected:
    money = Money(amount=command.amount, currency=state.currency)
    return DuplicatePaymentDetected(
        order_id=state.order_id,
        shop_id=state.shop_id,
        payment_id=command.payment_id,
        original_payment_id=original_payment_id,
        method=command.method,
        amount=money,
        paid_at=command.paid_at,
        surplus=money,
    )
