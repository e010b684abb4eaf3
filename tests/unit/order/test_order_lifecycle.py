"""After payment: address, cancellation, deadlines, shipment, refunds, receipt, rating."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from contracts.events.base import OrderEvent
from contracts.events.order import (
    AddressChanged,
    AutoConfirmExtended,
    BalanceReminderDue,
    CancellationReason,
    OrderCancelled,
    OrderClosed,
    OrderCloseReason,
    OrderCompleted,
    OrderRated,
    OrderRefundRecorded,
    OrderShipped,
    PaymentStage,
    ReceiptConfirmed,
    ShippedAfterClose,
    StockReleased,
)
from contracts.values import Money, SkuQuantity
from eventing.decider import DomainError
from order_service.domain import errors
from order_service.domain.commands import (
    CancelOrder,
    ChangeAddress,
    CloseForMissedBalance,
    CloseUnpaidOrder,
    ConfirmReceipt,
    ExtendAutoConfirm,
    OrderCommand,
    RecordRefund,
    RemindToPay,
)
from order_service.domain.placement import validated_receiver
from order_service.domain.state import OrderStatus

from .order_scenarios import (
    ORDER_ID,
    PAYABLE,
    PAYMENT_WINDOW,
    RATED_AT,
    RECEIPT_WINDOW,
    RECEIVER,
    SEALER,
    SHOP_ID,
    T0,
    WAYBILL,
    history,
    pay,
    place_order,
    presale_order,
    rate,
    ship,
    spec,
)

IDS = {"order_id": ORDER_ID, "shop_id": SHOP_ID}
RESERVED = (SkuQuantity(sku="CUP-01", quantity=1), SkuQuantity(sku="TEA-250", quantity=2))
CANCEL = CancelOrder(reason=CancellationReason.BUYER_CHANGED_MIND, note="ordered twice")
SHIPPED_AT = T0 + timedelta(hours=20)
AUTO_CONFIRM_AT = SHIPPED_AT + RECEIPT_WINDOW
SHOP_EXTENSIONS = (3, 5, 7, 10)  # what a shop allows by default

PLACED = history(place_order())
PAID = history(place_order(), pay())
SHIPPED = history(place_order(), pay(), ship())
COMPLETED = history(place_order(), pay(), ship(), ConfirmReceipt(at=SHIPPED_AT + timedelta(days=2)))
DEPOSITED = history(presale_order(), pay(stage=PaymentStage.DEPOSIT, amount=5000))
BALANCE_DUE = T0 + timedelta(days=12)


def cny(amount: int) -> Money:
    return Money(amount=amount, currency="CNY")


def test_the_address_can_change_until_shipment() -> None:
    moved = replace(RECEIVER, city="上海市", province="上海市", street="南京东路 1 号")
    spec().given(*PAID).when(ChangeAddress(receiver=moved, sealer=SEALER)).then(
        AddressChanged(**IDS, receiver=SEALER.seal(validated_receiver(moved)))
    )


def test_cancelling_an_unpaid_order_releases_its_stock_and_owes_nothing() -> None:
    spec().given(*PLACED).when(CANCEL).then(
        OrderCancelled(**IDS, reason=CANCEL.reason, note="ordered twice", refund_due=cny(0)),
        StockReleased(**IDS, items=RESERVED, reason=OrderCloseReason.CANCELLED),
    )


def test_cancelling_a_paid_order_owes_back_everything_paid() -> None:
    cancelled = spec().given(*PAID).when(CANCEL).decided()[0]
    assert isinstance(cancelled, OrderCancelled)
    assert cancelled.refund_due == cny(PAYABLE)


def test_cancelling_after_a_partial_refund_owes_back_only_what_is_still_held() -> None:
    refunded = history(
        place_order(), pay(), RecordRefund(case_id="c1", amount=1500, currency="CNY")
    )
    decided = (
        spec()
        .given(*refunded)
        .when(CANCEL)
        .then(
            OrderCancelled(
                **IDS, reason=CANCEL.reason, note="ordered twice", refund_due=cny(PAYABLE - 1500)
            ),
            StockReleased(**IDS, items=RESERVED, reason=OrderCloseReason.CANCELLED),
        )
    )
    cancelled = spec().given(*refunded, *decided)
    assert cancelled.state.refundable == 0
    cancelled.when(RecordRefund(case_id="c2", amount=1, currency="CNY")).then_raises(
        errors.RefundExceedsRefundable
    )


def test_an_unpaid_order_closes_when_its_payment_window_runs_out() -> None:
    spec().given(*PLACED).when(CloseUnpaidOrder(at=T0 + PAYMENT_WINDOW)).then(
        StockReleased(**IDS, items=RESERVED, reason=OrderCloseReason.UNPAID_TIMEOUT),
        OrderClosed(**IDS, reason=OrderCloseReason.UNPAID_TIMEOUT),
    )


def test_the_buyer_is_reminded_of_the_presale_balance_once() -> None:
    at = BALANCE_DUE - timedelta(hours=24)
    spec().given(*DEPOSITED).when(RemindToPay(at=at, stage=PaymentStage.BALANCE)).then(
        BalanceReminderDue(**IDS, balance=cny(PAYABLE - 5000), balance_due_by=BALANCE_DUE)
    )


def test_a_missed_balance_closes_the_order_and_may_keep_the_deposit() -> None:
    spec().given(*DEPOSITED).when(CloseForMissedBalance(at=BALANCE_DUE, forfeit_deposit=True)).then(
        StockReleased(**IDS, items=RESERVED, reason=OrderCloseReason.BALANCE_TIMEOUT),
        OrderClosed(**IDS, reason=OrderCloseReason.BALANCE_TIMEOUT, deposit_forfeited=cny(5000)),
    )
    closed = (
        spec().given(*DEPOSITED).when(CloseForMissedBalance(at=BALANCE_DUE, forfeit_deposit=False))
    )
    assert closed.decided()[-1] == OrderClosed(**IDS, reason=OrderCloseReason.BALANCE_TIMEOUT)


def test_a_shipment_starts_the_receipt_window() -> None:
    spec().given(*PAID).when(ship()).then(
        OrderShipped(**IDS, waybill=WAYBILL, shipped_at=SHIPPED_AT, auto_confirm_at=AUTO_CONFIRM_AT)
    )


def test_a_shipment_of_a_cancelled_order_records_that_its_units_left_once() -> None:
    cancelled = history(place_order(), pay(), CANCEL)
    left = (
        spec()
        .given(*cancelled)
        .when(ship())
        .then(ShippedAfterClose(**IDS, waybill=WAYBILL, shipped_at=SHIPPED_AT, items=RESERVED))
    )
    after = spec().given(*cancelled, *left)
    assert after.state.status is OrderStatus.CANCELLED
    after.when(ship()).then()


def test_a_shipment_learnt_after_a_full_refund_closed_the_order_keeps_it_closed() -> None:
    refunded = history(
        place_order(), pay(), RecordRefund(case_id="c1", amount=PAYABLE, currency="CNY")
    )
    assert spec().given(*refunded).state.status is OrderStatus.CLOSED
    parcel = (SkuQuantity(sku="TEA-250", quantity=2),)
    spec().given(*refunded).when(replace(ship(), items=parcel)).then(
        ShippedAfterClose(**IDS, waybill=WAYBILL, shipped_at=SHIPPED_AT, items=parcel)
    )


def test_a_shipment_of_an_order_closed_unpaid_records_nothing() -> None:
    closed = history(place_order(), CloseUnpaidOrder(at=T0 + PAYMENT_WINDOW))
    spec().given(*closed).when(ship()).then()


def test_a_shipment_heard_twice_is_recorded_once() -> None:
    spec().given(*SHIPPED).when(ship()).then()


def test_a_partial_refund_leaves_the_order_open() -> None:
    spec().given(*SHIPPED).when(RecordRefund(case_id="c-1", amount=3500, currency="CNY")).then(
        OrderRefundRecorded(
            **IDS,
            case_id="c-1",
            amount=cny(3500),
            refunded_total=cny(3500),
            refundable=cny(PAYABLE - 3500),
        )
    )


def test_the_refund_that_empties_the_order_closes_it() -> None:
    given = history(place_order(), pay(), ship(), RecordRefund("c-1", 3500, "CNY"))
    spec().given(*given).when(RecordRefund("c-2", PAYABLE - 3500, "CNY")).then(
        OrderRefundRecorded(
            **IDS,
            case_id="c-2",
            amount=cny(PAYABLE - 3500),
            refunded_total=cny(PAYABLE),
            refundable=cny(0),
        ),
        OrderClosed(**IDS, reason=OrderCloseReason.FULLY_REFUNDED),
    )


def test_a_full_refund_before_shipment_also_releases_the_stock() -> None:
    events = spec().given(*PAID).when(RecordRefund("c-1", PAYABLE, "CNY")).decided()
    assert events[1] == StockReleased(**IDS, items=RESERVED, reason=OrderCloseReason.FULLY_REFUNDED)


def test_a_refund_case_is_recorded_once_and_a_zero_refund_not_at_all() -> None:
    given = history(place_order(), pay(), ship(), RecordRefund("c-1", 3500, "CNY"))
    spec().given(*given).when(RecordRefund("c-1", 3500, "CNY")).then()
    spec().given(*SHIPPED).when(RecordRefund("c-9", 0, "CNY")).then()


def test_the_buyer_confirms_receipt_and_the_trade_completes() -> None:
    at = SHIPPED_AT + timedelta(days=2)
    spec().given(*SHIPPED).when(ConfirmReceipt(at=at)).then(
        ReceiptConfirmed(**IDS, automatic=False),
        OrderCompleted(**IDS, settled_amount=cny(PAYABLE)),
    )


def test_receipt_is_confirmed_automatically_when_the_window_runs_out() -> None:
    given = history(place_order(), pay(), ship(), RecordRefund("c-1", 1000, "CNY"))
    spec().given(*given).when(ConfirmReceipt(at=AUTO_CONFIRM_AT, automatic=True)).then(
        ReceiptConfirmed(**IDS, automatic=True),
        OrderCompleted(**IDS, settled_amount=cny(PAYABLE - 1000)),
    )


def test_the_buyer_may_extend_the_receipt_window_once() -> None:
    spec().given(*SHIPPED).when(
        ExtendAutoConfirm(days=5, at=SHIPPED_AT, allowed_days=SHOP_EXTENSIONS)
    ).then(
        AutoConfirmExtended(
            **IDS,
            extension_days=5,
            previous_auto_confirm_at=AUTO_CONFIRM_AT,
            auto_confirm_at=AUTO_CONFIRM_AT + timedelta(days=5),
        )
    )


def test_an_extension_is_refused_unless_the_shop_allows_its_day_count() -> None:
    only_a_week = ExtendAutoConfirm(days=3, at=SHIPPED_AT, allowed_days=(7,))
    spec().given(*SHIPPED).when(only_a_week).then_raises(
        errors.InvalidExtension, match="allows extensions of 7 days, not 3"
    )
    week = replace(only_a_week, days=7)
    extended = spec().given(*SHIPPED).when(week).decided()
    assert [event.event_type for event in extended] == ["order.auto_confirm_extended"]


def test_a_completed_order_is_rated_once() -> None:
    rating = rate(5, 4, 3, comment="good tea")
    spec().given(*COMPLETED).when(rating).then(
        OrderRated(
            **IDS,
            description_score=5,
            service_score=4,
            shipping_speed_score=3,
            comment="good tea",
            answer_due_by=RATED_AT + timedelta(days=30),
            append_due_by=RATED_AT + timedelta(days=90),
        )
    )


def test_lifecycle_refusals() -> None:
    cancelled = history(place_order(), CANCEL)
    closed = history(place_order(), CloseUnpaidOrder(at=T0 + PAYMENT_WINDOW))
    extended = history(
        place_order(),
        pay(),
        ship(),
        ExtendAutoConfirm(days=3, at=SHIPPED_AT, allowed_days=SHOP_EXTENSIONS),
    )
    rated = history(*[], place_order(), pay(), ship(), ConfirmReceipt(at=SHIPPED_AT), rate(5, 5, 5))
    address = ChangeAddress(receiver=replace(RECEIVER, city="上海市"), sealer=SEALER)
    cases: list[tuple[tuple[OrderEvent, ...], OrderCommand, type[DomainError]]] = [
        (SHIPPED, address, errors.OrderAlreadyShipped),
        (cancelled, address, errors.OrderNotOpen),
        (PLACED, ChangeAddress(receiver=RECEIVER, sealer=SEALER), errors.AddressUnchanged),
        (
            PLACED,
            ChangeAddress(receiver=replace(RECEIVER, phone="123"), sealer=SEALER),
            errors.InvalidPhone,
        ),
        (SHIPPED, CANCEL, errors.OrderAlreadyShipped),
        (COMPLETED, CANCEL, errors.OrderAlreadyShipped),
        (cancelled, CANCEL, errors.OrderNotOpen),
        (PLACED, replace(CANCEL, note="n" * 2001), errors.TextTooLong),
        (
            PLACED,
            CloseUnpaidOrder(at=T0 + PAYMENT_WINDOW - timedelta(seconds=1)),
            errors.PaymentWindowStillOpen,
        ),
        (PAID, CloseUnpaidOrder(at=T0 + PAYMENT_WINDOW), errors.OrderNotAwaitingPayment),
        (closed, CloseUnpaidOrder(at=T0 + PAYMENT_WINDOW), errors.OrderNotAwaitingPayment),
        (PAID, RemindToPay(at=T0, stage=PaymentStage.BALANCE), errors.OrderNotAwaitingBalance),
        (
            history(
                *[],
                presale_order(),
                pay(stage=PaymentStage.DEPOSIT, amount=5000),
                RemindToPay(at=T0, stage=PaymentStage.BALANCE),
            ),
            RemindToPay(at=T0, stage=PaymentStage.BALANCE),
            errors.BalanceReminderAlreadySent,
        ),
        (
            DEPOSITED,
            RemindToPay(at=BALANCE_DUE, stage=PaymentStage.BALANCE),
            errors.BalanceWindowClosed,
        ),
        (
            DEPOSITED,
            CloseForMissedBalance(at=BALANCE_DUE - timedelta(seconds=1), forfeit_deposit=True),
            errors.BalanceDeadlineNotReached,
        ),
        (
            PAID,
            CloseForMissedBalance(at=BALANCE_DUE, forfeit_deposit=True),
            errors.OrderNotAwaitingBalance,
        ),
        (PLACED, ship(), errors.OrderNotPaid),
        (PAID, replace(ship(), receipt_window=timedelta(0)), errors.InvalidPolicyDuration),
        (SHIPPED, RecordRefund("c-1", PAYABLE + 1, "CNY"), errors.RefundExceedsRefundable),
        (
            history(place_order(), pay(), CANCEL),
            RecordRefund("c-1", 1, "CNY"),
            errors.RefundExceedsRefundable,
        ),
        (SHIPPED, RecordRefund("c-1", 100, "USD"), errors.InvalidAmount),
        (PAID, ConfirmReceipt(at=SHIPPED_AT), errors.OrderNotShipped),
        (COMPLETED, ConfirmReceipt(at=SHIPPED_AT), errors.OrderAlreadyCompleted),
        (
            SHIPPED,
            ConfirmReceipt(at=AUTO_CONFIRM_AT - timedelta(seconds=1), automatic=True),
            errors.AutoConfirmNotDue,
        ),
        (
            SHIPPED,
            ExtendAutoConfirm(days=4, at=SHIPPED_AT, allowed_days=SHOP_EXTENSIONS),
            errors.InvalidExtension,
        ),
        (
            PAID,
            ExtendAutoConfirm(days=3, at=SHIPPED_AT, allowed_days=SHOP_EXTENSIONS),
            errors.OrderNotShipped,
        ),
        (
            extended,
            ExtendAutoConfirm(days=3, at=SHIPPED_AT, allowed_days=SHOP_EXTENSIONS),
            errors.AutoConfirmAlreadyExtended,
        ),
        (
            SHIPPED,
            ExtendAutoConfirm(days=3, at=AUTO_CONFIRM_AT, allowed_days=SHOP_EXTENSIONS),
            errors.AutoConfirmWindowOver,
        ),
        (SHIPPED, rate(5, 5, 5), errors.OrderNotCompleted),
        (rated, rate(5, 5, 5), errors.OrderAlreadyRated),
        (COMPLETED, rate(0, 5, 5), errors.InvalidRatingScore),
        (COMPLETED, rate(5, 6, 5), errors.InvalidRatingScore),
        (COMPLETED, rate(5, 5, 5, comment="c" * 2001), errors.TextTooLong),
        ((), CANCEL, errors.OrderNotFound),
        (history(place_order(stock={})), CANCEL, errors.OrderNotFound),
    ]
    for given, command, error in cases:
        spec().given(*given).when(command).then_raises(error)
