"""After placement: address, cancellation, reminders to pay, deadlines, shipment, refunds and
receipt."""

from __future__ import annotations

from datetime import timedelta

from contracts.events.base import OrderEvent
from contracts.events.order import (
    AddressChanged,
    AutoConfirmExtended,
    BalanceReminderDue,
    OrderCancelled,
    OrderClosed,
    OrderCloseReason,
    OrderCompleted,
    OrderRefundRecorded,
    OrderShipped,
    PaymentReminderDue,
    PaymentStage,
    PersonalDataErased,
    ReceiptConfirmed,
    ShippedAfterClose,
    StockReleased,
)
from contracts.values import Money, SkuQuantity
from order_service.domain.commands import (
    CancelOrder,
    ChangeAddress,
    CloseForMissedBalance,
    CloseUnpaidOrder,
    ConfirmReceipt,
    ErasePersonalData,
    ExtendAutoConfirm,
    RecordRefund,
    RecordShipment,
    RemindToPay,
)
from order_service.domain.errors import (
    AddressUnchanged,
    AutoConfirmAlreadyExtended,
    AutoConfirmNotDue,
    AutoConfirmWindowOver,
    BalanceDeadlineNotReached,
    BalanceReminderAlreadySent,
    BalanceWindowClosed,
    ErasureBlocked,
    InvalidAmount,
    InvalidExtension,
    InvalidPolicyDuration,
    OrderAlreadyCompleted,
    OrderAlreadyShipped,
    OrderNotAwaitingBalance,
    OrderNotAwaitingPayment,
    OrderNotOpen,
    OrderNotPaid,
    OrderNotShipped,
    PaymentReminderAlreadySent,
    PaymentWindowClosed,
    PaymentWindowStillOpen,
    RefundExceedsRefundable,
    TextTooLong,
)
from order_service.domain.placement import validated_receiver
from order_service.domain.state import BEFORE_SHIPMENT, ENDED, UNPAID, OrderState, OrderStatus


def _ids(state: OrderState) -> dict[str, str]:
    return {"order_id": state.order_id, "shop_id": state.shop_id}


def _money(state: OrderState, amount: int) -> Money:
    return Money(amount=amount, currency=state.currency)


def _require_before_shipment(state: OrderState, action: str) -> None:
    if state.status in BEFORE_SHIPMENT:
        return
    if state.status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED):
        raise OrderAlreadyShipped(f"the order has shipped; {action} needs an after-sales case")
    raise OrderNotOpen(f"the order is {state.status}; {action} is no longer possible")


def _release(state: OrderState, reason: OrderCloseReason) -> list[OrderEvent]:
    """Give the reservation back, once: an order whose stock went out releases nothing."""
    if not state.reserved:
        return []
    return [StockReleased(**_ids(state), items=state.reserved, reason=reason)]


def change_address(command: ChangeAddress, state: OrderState) -> list[OrderEvent]:
    _require_before_shipment(state, "changing the address")
    receiver = validated_receiver(command.receiver)
    if command.sealer.holds(state.receiver, receiver):
        raise AddressUnchanged("the new receiver is the one the order already has")
    return [AddressChanged(**_ids(state), receiver=command.sealer.seal(receiver))]


def erase_personal_data(command: ErasePersonalData, state: OrderState) -> list[OrderEvent]:
    """Record that the receivers' keys are gone; refused while a parcel may still leave
    (the courier needs the address): cancel the order or wait until it ships."""
    if state.status in BEFORE_SHIPMENT:
        raise ErasureBlocked(
            f"order {state.order_id} is {state.status.value}: its parcel still needs the "
            "receiver; erase after it ships, closes or is cancelled"
        )
    return [
        PersonalDataErased(
            **_ids(state), buyer_id=state.buyer_id, key_ids=command.key_ids, erased_at=command.at
        )
    ]


def cancel(command: CancelOrder, state: OrderState) -> list[OrderEvent]:
    _require_before_shipment(state, "cancelling")
    if command.note is not None and len(command.note) > 2000:
        raise TextTooLong("the cancellation note is longer than 2000 characters")
    cancelled = OrderCancelled(
        **_ids(state),
        reason=command.reason,
        note=command.note,
        refund_due=_money(state, state.paid - state.refunded),
    )
    return [cancelled, *_release(state, OrderCloseReason.CANCELLED)]


def close_unpaid(command: CloseUnpaidOrder, state: OrderState) -> list[OrderEvent]:
    if state.status not in UNPAID:
        raise OrderNotAwaitingPayment(f"the order is {state.status}; nothing to close for")
    assert state.payment_due_by is not None  # set by order.placed
    if command.at < state.payment_due_by:
        raise PaymentWindowStillOpen(
            f"the order may be paid until {state.payment_due_by.isoformat()}"
        )
    closed = OrderClosed(**_ids(state), reason=OrderCloseReason.UNPAID_TIMEOUT)
    return [*_release(state, OrderCloseReason.UNPAID_TIMEOUT), closed]


def remind_to_pay(command: RemindToPay, state: OrderState) -> list[OrderEvent]:
    """Remind the buyer once of the payment `command.stage` awaits, before its deadline; a
    reminder whose payment was made (or whose order ended) is refused, so it is never sent."""
    if command.stage is PaymentStage.BALANCE:
        return _remind_balance(command, state)
    awaited = OrderStatus.AWAITING_DEPOSIT if state.presale else OrderStatus.AWAITING_PAYMENT
    stage = PaymentStage.DEPOSIT if state.presale else PaymentStage.FULL
    if state.status is not awaited or command.stage is not stage:
        raise OrderNotAwaitingPayment(
            f"the order is {state.status}; no {command.stage.value} payment to remind of"
        )
    if state.payment_reminded:
        raise PaymentReminderAlreadySent("the buyer was already reminded to pay")
    assert state.payment_due_by is not None  # set by order.placed
    if command.at >= state.payment_due_by:
        raise PaymentWindowClosed("the payment deadline has passed; there is nothing to remind of")
    amount = state.presale.deposit if state.presale else _money(state, state.payable)
    return [
        PaymentReminderDue(
            **_ids(state), stage=stage, amount=amount, payment_due_by=state.payment_due_by
        )
    ]


def _remind_balance(command: RemindToPay, state: OrderState) -> list[OrderEvent]:
    if state.status is not OrderStatus.AWAITING_BALANCE or state.presale is None:
        raise OrderNotAwaitingBalance(f"the order is {state.status}; no balance to remind of")
    if state.balance_reminded:
        raise BalanceReminderAlreadySent("the buyer was already reminded of the balance")
    presale = state.presale
    if command.at >= presale.balance_due_by:
        raise BalanceWindowClosed("the balance deadline has passed; there is nothing to remind of")
    return [
        BalanceReminderDue(
            **_ids(state), balance=presale.balance, balance_due_by=presale.balance_due_by
        )
    ]


def close_for_missed_balance(command: CloseForMissedBalance, state: OrderState) -> list[OrderEvent]:
    if state.status is not OrderStatus.AWAITING_BALANCE or state.presale is None:
        raise OrderNotAwaitingBalance(f"the order is {state.status}; no balance is due")
    if command.at < state.presale.balance_due_by:
        raise BalanceDeadlineNotReached(
            f"the balance may be paid until {state.presale.balance_due_by.isoformat()}"
        )
    forfeited = _money(state, state.paid) if command.forfeit_deposit else None
    closed = OrderClosed(
        **_ids(state), reason=OrderCloseReason.BALANCE_TIMEOUT, deposit_forfeited=forfeited
    )
    return [*_release(state, OrderCloseReason.BALANCE_TIMEOUT), closed]


def record_shipment(command: RecordShipment, state: OrderState) -> list[OrderEvent]:
    """Logistics shipped. A cancelled or closed order that was paid records once that its units
    left (it learnt of the shipment only after it ended); after-sales settles the money."""
    if state.status in (OrderStatus.CANCELLED, OrderStatus.CLOSED):
        return _shipped_after_close(command, state)
    if state.status in ENDED or state.status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED):
        return []
    if state.status is not OrderStatus.AWAITING_SHIPMENT:
        raise OrderNotPaid(f"the order is {state.status}; it cannot have shipped")
    if command.receipt_window <= timedelta(0):
        raise InvalidPolicyDuration("the receipt window must be positive")
    return [
        OrderShipped(
            **_ids(state),
            waybill=command.waybill,
            shipped_at=command.shipped_at,
            auto_confirm_at=command.shipped_at + command.receipt_window,
        )
    ]


def _shipped_after_close(command: RecordShipment, state: OrderState) -> list[OrderEvent]:
    if state.paid == 0 or state.waybill is not None:
        return []  # never paid (nothing was sent out), or the shipment is recorded already
    items = command.items or _units(state)
    return [
        ShippedAfterClose(
            **_ids(state), waybill=command.waybill, shipped_at=command.shipped_at, items=items
        )
    ]


def _units(state: OrderState) -> tuple[SkuQuantity, ...]:
    units: dict[str, int] = {}
    for line in state.items:
        units[line.sku] = units.get(line.sku, 0) + line.quantity
    return tuple(SkuQuantity(sku=sku, quantity=units[sku]) for sku in sorted(units))


def record_refund(command: RecordRefund, state: OrderState) -> list[OrderEvent]:
    """A refund paid out of a case, once per case; a fully refunded order closes."""
    if command.case_id in state.refunded_cases or command.amount == 0:
        return []
    if command.amount < 0 or command.currency != state.currency:
        raise InvalidAmount(f"a refund is a positive amount in {state.currency}")
    if command.amount > state.refundable:
        raise RefundExceedsRefundable(
            f"{command.amount} exceeds the {state.refundable} {state.currency} left to refund"
        )
    refunded_total = state.refunded + command.amount
    refundable = state.refundable - command.amount
    recorded = OrderRefundRecorded(
        **_ids(state),
        case_id=command.case_id,
        amount=_money(state, command.amount),
        refunded_total=_money(state, refunded_total),
        refundable=_money(state, refundable),
    )
    if refundable > 0 or state.status is OrderStatus.CLOSED:
        return [recorded]
    release = _release(state, OrderCloseReason.FULLY_REFUNDED)
    return [recorded, *release, OrderClosed(**_ids(state), reason=OrderCloseReason.FULLY_REFUNDED)]


def confirm_receipt(command: ConfirmReceipt, state: OrderState) -> list[OrderEvent]:
    if state.status is OrderStatus.COMPLETED:
        raise OrderAlreadyCompleted("receipt was already confirmed")
    if state.status is not OrderStatus.SHIPPED:
        raise OrderNotShipped(f"the order is {state.status}; there is nothing to receive")
    assert state.auto_confirm_at is not None  # set by order.shipped
    if command.automatic and command.at < state.auto_confirm_at:
        raise AutoConfirmNotDue(
            f"receipt is confirmed automatically at {state.auto_confirm_at.isoformat()}"
        )
    settled = _money(state, state.paid - state.refunded)
    return [
        ReceiptConfirmed(**_ids(state), automatic=command.automatic),
        OrderCompleted(**_ids(state), settled_amount=settled),
    ]


def extend_auto_confirm(command: ExtendAutoConfirm, state: OrderState) -> list[OrderEvent]:
    if command.days not in command.allowed_days:
        allowed = ", ".join(str(days) for days in command.allowed_days)
        raise InvalidExtension(f"this shop allows extensions of {allowed} days, not {command.days}")
    if state.status is not OrderStatus.SHIPPED:
        raise OrderNotShipped(f"the order is {state.status}; no receipt window runs")
    if state.auto_confirm_extended:
        raise AutoConfirmAlreadyExtended("the receipt window was already extended once")
    assert state.auto_confirm_at is not None  # set by order.shipped
    if command.at >= state.auto_confirm_at:
        raise AutoConfirmWindowOver("the receipt window has already run out")
    return [
        AutoConfirmExtended(
            **_ids(state),
            extension_days=command.days,  # a shop's policy allows only days the event records
            previous_auto_confirm_at=state.auto_confirm_at,
            auto_confirm_at=state.auto_confirm_at + timedelta(days=command.days),
        )
    ]
