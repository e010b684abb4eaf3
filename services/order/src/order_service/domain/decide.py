"""The order's decider: which events a command leads to, given the order's state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from contracts.events.base import OrderEvent
from eventing.decider import Decider
from order_service.domain import lifecycle, payments, ratings
from order_service.domain.commands import (
    AnswerRating,
    AppendToRating,
    CancelOrder,
    ChangeAddress,
    CloseForMissedBalance,
    CloseUnpaidOrder,
    ConfirmReceipt,
    ErasePersonalData,
    ExtendAutoConfirm,
    OrderCommand,
    PlaceOrder,
    RateOrder,
    RecordPayment,
    RecordPaymentFailure,
    RecordRefund,
    RecordShipment,
    RemindToPay,
)
from order_service.domain.errors import OrderAlreadyExists, OrderNotFound
from order_service.domain.placement import place
from order_service.domain.state import INITIAL_STATE, OrderState, OrderStatus, evolve

_RULES: dict[type[Any], Callable[[Any, OrderState], list[OrderEvent]]] = {
    RecordPayment: payments.record_payment,
    RecordPaymentFailure: payments.record_payment_failure,
    ChangeAddress: lifecycle.change_address,
    CancelOrder: lifecycle.cancel,
    CloseUnpaidOrder: lifecycle.close_unpaid,
    RemindToPay: lifecycle.remind_to_pay,
    CloseForMissedBalance: lifecycle.close_for_missed_balance,
    RecordShipment: lifecycle.record_shipment,
    RecordRefund: lifecycle.record_refund,
    ConfirmReceipt: lifecycle.confirm_receipt,
    ExtendAutoConfirm: lifecycle.extend_auto_confirm,
    RateOrder: ratings.rate,
    AnswerRating: ratings.answer_rating,
    AppendToRating: ratings.append_to_rating,
    ErasePersonalData: lifecycle.erase_personal_data,
}


def decide(command: OrderCommand, state: OrderState) -> Sequence[OrderEvent]:
    """The events `command` leads to; raises a `DomainError` when the rules refuse it."""
    if isinstance(command, PlaceOrder):
        if state.status is not OrderStatus.NEW:
            raise OrderAlreadyExists(f"order {command.order_id} already exists")
        return place(command)
    if not state.exists:
        raise OrderNotFound("no such order")
    return _RULES[type(command)](command, state)


order_decider: Decider[OrderCommand, OrderEvent, OrderState] = Decider(
    decide=decide, evolve=evolve, initial_state=INITIAL_STATE
)
