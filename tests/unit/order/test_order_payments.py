"""Payments: full, deposit and balance, failures, duplicates, and the refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from contracts.events.order import (
    BalancePaid,
    CancellationReason,
    DepositPaid,
    DuplicatePaymentDetected,
    OrderPaid,
    PaymentFailed,
    PaymentMethod,
    PaymentStage,
)
from contracts.values import Money
from order_service.domain import errors
from order_service.domain.commands import CancelOrder, RecordPaymentFailure

from .order_scenarios import (
    ORDER_ID,
    PAYABLE,
    PAYMENT_WINDOW,
    SHOP_ID,
    T0,
    history,
    pay,
    place_order,
    presale_order,
    spec,
)

IDS = {"order_id": ORDER_ID, "shop_id": SHOP_ID}
PLACED = history(place_order())
PRESALE = history(presale_order())
BALANCE_OPENS = T0 + timedelta(days=10)


def cny(amount: int) -> Money:
    return Money(amount=amount, currency="CNY")


def test_paying_the_payable_in_full_pays_the_order() -> None:
    spec().given(*PLACED).when(pay()).then(
        OrderPaid(
            **IDS,
            payment_id="pay-1",
            method=PaymentMethod.ALIPAY,
            amount=cny(PAYABLE),
            paid_at=T0 + timedelta(minutes=5),
        )
    )


def test_a_second_successful_payment_is_a_duplicate_whose_surplus_goes_back() -> None:
    second = pay(payment_id="pay-2", paid_at=T0 + timedelta(minutes=6))
    spec().given(*history(place_order(), pay())).when(second).then(
        DuplicatePaymentDetected(
            **IDS,
            payment_id="pay-2",
            original_payment_id="pay-1",
            method=PaymentMethod.ALIPAY,
            amount=cny(PAYABLE),
            paid_at=T0 + timedelta(minutes=6),
            surplus=cny(PAYABLE),
        )
    )


def test_the_same_payment_notified_twice_is_recorded_once() -> None:
    spec().given(*history(place_order(), pay())).when(pay()).then()


def test_a_duplicate_arriving_after_cancellation_is_still_detected() -> None:
    given = history(place_order(), pay(), CancelOrder(reason=CancellationReason.OTHER))
    events = spec().given(*given).when(pay(payment_id="pay-2")).decided()
    assert isinstance(events[0], DuplicatePaymentDetected)


def test_a_failed_attempt_is_recorded_and_the_order_stays_payable() -> None:
    failure = RecordPaymentFailure(
        payment_id="pay-0",
        stage=PaymentStage.FULL,
        method=PaymentMethod.CARD,
        amount=PAYABLE,
        currency="CNY",
        reason="card declined",
        failure_code="51",
    )
    spec().given(*PLACED).when(failure).then(
        PaymentFailed(
            **IDS,
            payment_id="pay-0",
            stage=PaymentStage.FULL,
            method=PaymentMethod.CARD,
            amount=cny(PAYABLE),
            failure_code="51",
            reason="card declined",
        )
    )
    paid = spec().given(*PLACED, *spec().given(*PLACED).when(failure).decided()).when(pay())
    assert isinstance(paid.decided()[0], OrderPaid)


def test_a_presale_deposit_opens_the_balance_window() -> None:
    deposit = pay(stage=PaymentStage.DEPOSIT, amount=5000)
    spec().given(*PRESALE).when(deposit).then(
        DepositPaid(
            **IDS,
            payment_id="pay-1",
            method=PaymentMethod.ALIPAY,
            amount=cny(5000),
            paid_at=T0 + timedelta(minutes=5),
            balance=cny(PAYABLE - 5000),
            balance_starts_at=BALANCE_OPENS,
            balance_due_by=T0 + timedelta(days=12),
        )
    )


def test_the_balance_inside_its_window_pays_the_presale_order() -> None:
    deposit = pay(stage=PaymentStage.DEPOSIT, amount=5000)
    balance = pay("pay-2", PaymentStage.BALANCE, PAYABLE - 5000, BALANCE_OPENS + timedelta(hours=1))
    spec().given(*history(presale_order(), deposit)).when(balance).then(
        BalancePaid(
            **IDS,
            payment_id="pay-2",
            method=PaymentMethod.ALIPAY,
            amount=cny(PAYABLE - 5000),
            paid_at=BALANCE_OPENS + timedelta(hours=1),
            total_paid=cny(PAYABLE),
        )
    )


def test_a_second_deposit_is_a_duplicate() -> None:
    deposit = pay(stage=PaymentStage.DEPOSIT, amount=5000)
    again = replace(deposit, payment_id="pay-9")
    events = spec().given(*history(presale_order(), deposit)).when(again).decided()
    assert isinstance(events[0], DuplicatePaymentDetected)
    assert events[0].surplus == cny(5000)


DEPOSITED = history(presale_order(), pay(stage=PaymentStage.DEPOSIT, amount=5000))


def test_payment_refusals() -> None:
    balance = PAYABLE - 5000
    cases = [
        (PLACED, pay(amount=PAYABLE - 1), errors.PaymentAmountMismatch),
        (PLACED, pay(stage=PaymentStage.DEPOSIT), errors.PaymentStageMismatch),
        (PLACED, replace(pay(), currency="USD"), errors.InvalidAmount),
        (PLACED, pay(amount=-5), errors.InvalidAmount),
        (PRESALE, pay(), errors.PaymentStageMismatch),
        (PRESALE, pay(stage=PaymentStage.DEPOSIT, amount=4000), errors.PaymentAmountMismatch),
        (
            DEPOSITED,
            pay("pay-2", PaymentStage.BALANCE, balance, BALANCE_OPENS - timedelta(minutes=1)),
            errors.BalanceWindowNotOpen,
        ),
        (
            DEPOSITED,
            pay("pay-2", PaymentStage.BALANCE, balance, T0 + timedelta(days=12, seconds=1)),
            errors.BalanceWindowClosed,
        ),
        (
            DEPOSITED,
            pay("pay-2", PaymentStage.BALANCE, balance - 1, BALANCE_OPENS),
            errors.PaymentAmountMismatch,
        ),
        (
            history(place_order(), CancelOrder(reason=CancellationReason.OTHER)),
            pay(),
            errors.OrderNotPayable,
        ),
        ((), pay(), errors.OrderNotFound),
        (
            PLACED,
            pay(paid_at=T0 + PAYMENT_WINDOW + timedelta(seconds=1)),
            errors.PaymentWindowClosed,
        ),
        (
            PRESALE,
            pay(stage=PaymentStage.DEPOSIT, amount=5000, paid_at=T0 + PAYMENT_WINDOW * 2),
            errors.PaymentWindowClosed,
        ),
    ]
    for given, command, error in cases:
        spec().given(*given).when(command).then_raises(error)


def test_payment_failure_refusals() -> None:
    failure = RecordPaymentFailure(
        payment_id="pay-0",
        stage=PaymentStage.FULL,
        method=PaymentMethod.WECHAT,
        amount=PAYABLE,
        currency="CNY",
        reason="insufficient funds",
    )
    spec().given(*history(place_order(), pay())).when(failure).then_raises(errors.OrderNotPayable)
    spec().given(*PRESALE).when(failure).then_raises(errors.PaymentStageMismatch)
    spec().given(*PLACED).when(replace(failure, reason="r" * 2001)).then_raises(errors.TextTooLong)
    spec().given(*PLACED).when(replace(failure, currency="EUR")).then_raises(errors.InvalidAmount)
