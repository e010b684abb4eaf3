"""What the order knows, folded from its events; `evolve` is the only way it changes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from contracts.events.base import OrderEvent
from contracts.events.order import (
    AddressChanged,
    AutoConfirmExtended,
    BalancePaid,
    BalanceReminderDue,
    DepositPaid,
    DuplicatePaymentDetected,
    GoodsKind,
    OrderCancelled,
    OrderClosed,
    OrderCloseReason,
    OrderCompleted,
    OrderPaid,
    OrderPlaced,
    OrderRated,
    OrderRefundRecorded,
    OrderShipped,
    PaymentFailed,
    PaymentReminderDue,
    PresaleTerms,
    RatingAnswered,
    RatingAppended,
    RatingFollowUpOpened,
    ReceiptConfirmed,
    ShippedAfterClose,
    StockRejected,
    StockReleased,
    StockReserved,
)
from contracts.sealing import Sealed
from contracts.values import LineItem, SkuQuantity, Waybill


class OrderStatus(StrEnum):
    """Where the order is in its life (the platform status is derived from it)."""

    NEW = "new"  # nothing recorded yet
    REJECTED = "rejected"  # refused at placement for lack of stock: the order never existed
    AWAITING_PAYMENT = "awaiting_payment"
    AWAITING_DEPOSIT = "awaiting_deposit"
    AWAITING_BALANCE = "awaiting_balance"
    AWAITING_SHIPMENT = "awaiting_shipment"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    CLOSED = "closed"


BEFORE_SHIPMENT = frozenset(
    {
        OrderStatus.AWAITING_PAYMENT,
        OrderStatus.AWAITING_DEPOSIT,
        OrderStatus.AWAITING_BALANCE,
        OrderStatus.AWAITING_SHIPMENT,
    }
)
UNPAID = frozenset({OrderStatus.AWAITING_PAYMENT, OrderStatus.AWAITING_DEPOSIT})
ENDED = frozenset({OrderStatus.CANCELLED, OrderStatus.CLOSED, OrderStatus.REJECTED})


@dataclass(frozen=True, slots=True)
class OrderState:
    """The order's facts that its rules need. Money is in minor units of `currency`."""

    status: OrderStatus = OrderStatus.NEW
    order_id: str = ""
    shop_id: str = ""
    buyer_id: str = ""
    goods_kind: GoodsKind = GoodsKind.PHYSICAL
    currency: str = ""
    items: tuple[LineItem, ...] = ()
    receiver: Sealed | None = None
    payable: int = 0
    payment_due_by: datetime | None = None
    presale: PresaleTerms | None = None
    paid: int = 0
    full_payment_id: str | None = None
    deposit_payment_id: str | None = None
    balance_payment_id: str | None = None
    payment_ids: frozenset[str] = frozenset()
    failed_payments: int = 0
    surplus: int = 0
    reserved: tuple[SkuQuantity, ...] = ()
    payment_reminded: bool = False
    balance_reminded: bool = False
    cancellation_refund_due: int = 0
    refunded: int = 0
    refunded_cases: frozenset[str] = frozenset()
    waybill: Waybill | None = None
    shipped_at: datetime | None = None
    auto_confirm_at: datetime | None = None
    auto_confirm_extended: bool = False
    receipt_confirmed: bool = False
    completed: bool = False
    rated: bool = False
    rating_answer_due_by: datetime | None = None  # None on a rating from before answers existed
    rating_append_due_by: datetime | None = None
    rating_follow_up_open: bool = False
    rating_answered: bool = False
    rating_appended: bool = False
    close_reason: OrderCloseReason | None = None

    @property
    def exists(self) -> bool:
        return self.status not in (OrderStatus.NEW, OrderStatus.REJECTED)

    @property
    def refundable(self) -> int:
        """Paid, minus what a cancellation already owes back, minus refunds paid out."""
        return self.paid - self.cancellation_refund_due - self.refunded


INITIAL_STATE = OrderState()


def evolve(state: OrderState, event: OrderEvent) -> OrderState:
    """The state after one event; events are facts, so nothing here can refuse."""
    match event:
        case OrderPlaced():
            return _placed(state, event)
        case StockReserved():
            return replace(state, reserved=event.items)
        case StockRejected():
            return replace(
                state,
                status=OrderStatus.REJECTED,
                order_id=event.order_id,
                shop_id=event.shop_id,
                buyer_id=event.buyer_id,
            )
        case StockReleased():
            return replace(state, reserved=())
        case PaymentFailed():
            return replace(state, failed_payments=state.failed_payments + 1)
        case OrderPaid():
            return replace(
                state,
                status=OrderStatus.AWAITING_SHIPMENT,
                paid=event.amount.amount,
                full_payment_id=event.payment_id,
                payment_ids=state.payment_ids | {event.payment_id},
            )
        case DepositPaid():
            return replace(
                state,
                status=OrderStatus.AWAITING_BALANCE,
                paid=event.amount.amount,
                deposit_payment_id=event.payment_id,
                payment_ids=state.payment_ids | {event.payment_id},
            )
        case BalancePaid():
            return replace(
                state,
                status=OrderStatus.AWAITING_SHIPMENT,
                paid=event.total_paid.amount,
                balance_payment_id=event.payment_id,
                payment_ids=state.payment_ids | {event.payment_id},
            )
        case DuplicatePaymentDetected():
            return replace(
                state,
                surplus=state.surplus + event.surplus.amount,
                payment_ids=state.payment_ids | {event.payment_id},
            )
        case _:
            return _after_payment(state, event)


def _placed(state: OrderState, event: OrderPlaced) -> OrderState:
    return replace(
        state,
        status=OrderStatus.AWAITING_DEPOSIT if event.presale else OrderStatus.AWAITING_PAYMENT,
        order_id=event.order_id,
        shop_id=event.shop_id,
        buyer_id=event.buyer_id,
        goods_kind=event.goods_kind,
        currency=event.payable.currency,
        items=event.items,
        receiver=event.receiver,
        payable=event.payable.amount,
        payment_due_by=event.payment_due_by,
        presale=event.presale,
    )


def _after_payment(state: OrderState, event: OrderEvent) -> OrderState:
    match event:
        case PaymentReminderDue():
            return replace(state, payment_reminded=True)
        case BalanceReminderDue():
            return replace(state, balance_reminded=True)
        case AddressChanged():
            return replace(state, receiver=event.receiver)
        case OrderCancelled():
            return replace(
                state,
                status=OrderStatus.CANCELLED,
                cancellation_refund_due=event.refund_due.amount,
            )
        case OrderShipped():
            # The reservation turns into a sale: nothing is left to release.
            return replace(
                state,
                status=OrderStatus.SHIPPED,
                reserved=(),
                waybill=event.waybill,
                shipped_at=event.shipped_at,
                auto_confirm_at=event.auto_confirm_at,
            )
        case ShippedAfterClose():
            return replace(state, waybill=event.waybill, shipped_at=event.shipped_at)
        case OrderRefundRecorded():
            return replace(
                state,
                refunded=event.refunded_total.amount,
                refunded_cases=state.refunded_cases | {event.case_id},
            )
        case OrderClosed():
            return replace(state, status=OrderStatus.CLOSED, close_reason=event.reason)
        case ReceiptConfirmed():
            return replace(state, receipt_confirmed=True)
        case OrderCompleted():
            return replace(state, status=OrderStatus.COMPLETED, completed=True)
        case AutoConfirmExtended():
            return replace(state, auto_confirm_at=event.auto_confirm_at, auto_confirm_extended=True)
        case _:
            return _rating(state, event)


def _rating(state: OrderState, event: OrderEvent) -> OrderState:
    match event:
        case OrderRated():
            return replace(
                state,
                rated=True,
                rating_answer_due_by=event.answer_due_by,
                rating_append_due_by=event.append_due_by,
            )
        case RatingFollowUpOpened():
            return replace(state, rating_follow_up_open=True)
        case RatingAnswered():
            return replace(state, rating_answered=True, rating_follow_up_open=False)
        case RatingAppended():
            return replace(state, rating_appended=True)
        case _:
            # order.stock_low and order.personal_data_erased change nothing the rules look at.
            return state
