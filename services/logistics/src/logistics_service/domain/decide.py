"""The shipment rules: `decide(command, state)` returns the events a command causes, or refuses.

This module holds the rules up to the dispatch and the ship-by deadlines; what follows the
dispatch (tracking, delivery problems, delivery) is in `after_dispatch`.

Commands driven by other services' events (request, cancel, deadline missed) are idempotent and
decide nothing when they no longer apply; commands from people refuse with a domain error.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import (
    ShipDeadline,
    ShipDeadlineMissed,
    ShipmentCancelled,
    ShipmentReceiverChanged,
    ShipmentRequested,
    Shipped,
)
from eventing.decider import Decider
from logistics_service.domain.after_dispatch import (
    open_exception,
    record_checkpoint,
    record_delivery,
    resolve_exception,
)
from logistics_service.domain.checks import (
    check_contents,
    check_receiver,
    check_waybill,
    merge_quantities,
)
from logistics_service.domain.commands import (
    CancelShipment,
    ChangeReceiver,
    Dispatch,
    MarkDeadlineMissed,
    OpenException,
    RecordCheckpoint,
    RecordDelivery,
    RequestShipment,
    ResolveException,
    ShipmentCommand,
)
from logistics_service.domain.errors import (
    DeadlineNotReached,
    NothingToShip,
    ReceiverChangeAfterDispatch,
    ShipmentAlreadyDispatched,
)
from logistics_service.domain.guards import awaiting_or_gone, existing_ids, waybill_json
from logistics_service.domain.state import Shipment, ShipmentStatus, evolve, same_receiver

_SHIPMENT_IDS = uuid.UUID("6f1c2a52-52a4-4d0e-9d64-1c1f0f5b7a31")


def shipment_id_for(order_id: str) -> str:
    """The order's shipment id: derived from the order id, so every replay agrees on it."""
    return str(uuid.uuid5(_SHIPMENT_IDS, order_id))


def decide(command: ShipmentCommand, state: Shipment) -> list[LogisticsEvent]:
    """The events `command` causes on `state`; raises a `DomainError` when it is refused."""
    match command:
        case RequestShipment():
            return _request(command, state)
        case ChangeReceiver():
            return _change_receiver(command, state)
        case Dispatch():
            return _dispatch(command, state)
        case CancelShipment():
            return _cancel(command, state)
        case RecordCheckpoint():
            return record_checkpoint(command, state)
        case OpenException():
            return open_exception(command, state)
        case ResolveException():
            return resolve_exception(command, state)
        case RecordDelivery():
            return record_delivery(command, state)
        case MarkDeadlineMissed():
            return _mark_deadline_missed(command, state)


def _request(command: RequestShipment, state: Shipment) -> list[LogisticsEvent]:
    # Already requested, already gone, or the cancellation overtook the payment: nothing to do.
    if state.status is not ShipmentStatus.NOT_REQUESTED:
        return []
    items = merge_quantities(command.items)
    if not items:
        raise NothingToShip("a shipment needs at least one item", order_id=command.order_id)
    return [
        ShipmentRequested(
            order_id=command.order_id,
            shop_id=command.shop_id,
            shipment_id=shipment_id_for(command.order_id),
            items=items,
            receiver=command.receiver,
            ship_by=command.window.ship_by(command.paid_at),
            ship_limit=command.window.ship_limit(command.paid_at),
        )
    ]


def _change_receiver(command: ChangeReceiver, state: Shipment) -> list[LogisticsEvent]:
    order_id, shop_id, shipment_id = awaiting_or_gone(state)
    if state.dispatched:
        raise ReceiverChangeAfterDispatch(
            "the parcel already left; the receiver can no longer change", order_id=order_id
        )
    if same_receiver(state.receiver, command.receiver):
        return []
    return [
        ShipmentReceiverChanged(
            order_id=order_id, shop_id=shop_id, shipment_id=shipment_id, receiver=command.receiver
        )
    ]


def _dispatch(command: Dispatch, state: Shipment) -> list[LogisticsEvent]:
    order_id, shop_id, shipment_id = awaiting_or_gone(state)
    if state.dispatched:
        raise ShipmentAlreadyDispatched(
            f"order {order_id} already shipped", waybill=waybill_json(state)
        )
    check_receiver(command.receiver)
    check_contents(state.items, command.items)
    check_waybill(command.waybill)
    assert state.ship_by is not None  # set together with the status by ShipmentRequested
    return [
        *_passed_deadlines(state, command.shipped_at),
        Shipped(
            order_id=order_id,
            shop_id=shop_id,
            shipment_id=shipment_id,
            waybill=command.waybill,
            items=state.items,
            shipped_at=command.shipped_at,
            ship_by=state.ship_by,
        ),
    ]


def _cancel(command: CancelShipment, state: Shipment) -> list[LogisticsEvent]:
    # Once the parcel left, a cancellation is aftersales' business (the cancel-vs-ship race);
    # a cancellation that comes before the payment is recorded so a later dispatch is refused.
    if state.dispatched or state.status is ShipmentStatus.CANCELLED:
        return []
    return [
        *_passed_deadlines(state, command.cancelled_at),
        ShipmentCancelled(
            order_id=command.order_id,
            shop_id=command.shop_id,
            shipment_id=shipment_id_for(command.order_id),
            reason=command.reason,
        ),
    ]


def _passed_deadlines(state: Shipment, at: datetime) -> list[LogisticsEvent]:
    """The ship-by deadlines due by `at` and not reported yet, while the shipment awaits
    dispatch: a dispatch or cancellation at `at` deletes their timers, so it reports them
    itself. Each deadline is judged by its due time against the fact's own time, never by
    whether its timer or the fact was processed first, so one clock move that passes a
    deadline and ends the order counts the deadline once in every run (issue 23)."""
    if state.status is not ShipmentStatus.AWAITING_DISPATCH:
        return []  # never requested: no deadline runs
    order_id, shop_id, shipment_id = existing_ids(state)
    passed: list[LogisticsEvent] = []
    for deadline in ShipDeadline:
        due_at = state.deadline_due_at(deadline)
        if due_at is not None and due_at <= at and deadline not in state.missed_deadlines:
            passed.append(
                ShipDeadlineMissed(
                    order_id=order_id,
                    shop_id=shop_id,
                    shipment_id=shipment_id,
                    deadline=deadline,
                    due_at=due_at,
                )
            )
    return passed


def _mark_deadline_missed(command: MarkDeadlineMissed, state: Shipment) -> list[LogisticsEvent]:
    order_id, shop_id, shipment_id = existing_ids(state)
    # Shipped or cancelled in time, or already reported: a deadline is missed at most once.
    if state.status is not ShipmentStatus.AWAITING_DISPATCH:
        return []
    if command.deadline in state.missed_deadlines:
        return []
    due_at = state.deadline_due_at(command.deadline)
    assert due_at is not None  # both deadlines are set by ShipmentRequested
    if command.now < due_at:
        raise DeadlineNotReached(
            f"the ship-by {command.deadline.value} is due at {due_at.isoformat()}",
            due_at=due_at.isoformat(),
        )
    return [
        ShipDeadlineMissed(
            order_id=order_id,
            shop_id=shop_id,
            shipment_id=shipment_id,
            deadline=command.deadline,
            due_at=due_at,
        )
    ]


shipment_decider: Decider[ShipmentCommand, LogisticsEvent, Shipment] = Decider(
    decide=decide, evolve=evolve, initial_state=Shipment()
)
