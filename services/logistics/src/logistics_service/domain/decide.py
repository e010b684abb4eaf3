"""The shipment rules: `decide(command, state)` returns the events a command causes, or refuses.

Commands driven by other services' events (request, cancel, deadline missed) are idempotent and
decide nothing when they no longer apply; commands from people refuse with a domain error.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import (
    CheckpointStatus,
    Delivered,
    ExceptionKind,
    ExceptionRaised,
    ExceptionResolution,
    ExceptionResolved,
    ShipDeadlineMissed,
    ShipmentCancelled,
    ShipmentReceiverChanged,
    ShipmentRequested,
    Shipped,
    TrackingUpdated,
)
from eventing.decider import Decider
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
    DeliveryBeforeDispatch,
    ExceptionAfterDelivery,
    ExceptionAlreadyOpen,
    ExceptionAlreadyResolved,
    ExceptionIdTaken,
    ExceptionNotFound,
    InvalidResolution,
    NothingToShip,
    OrderAlreadyCancelled,
    ParcelNotDelivered,
    ReceiverChangeAfterDispatch,
    ShipmentAlreadyDelivered,
    ShipmentAlreadyDispatched,
    ShipmentNotDispatched,
    ShipmentNotRequested,
    WaybillAlreadyUsed,
    WaybillNotOnShipment,
)
from logistics_service.domain.state import Shipment, ShipmentStatus, evolve

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
            return _record_checkpoint(command, state)
        case OpenException():
            return _open_exception(command, state)
        case ResolveException():
            return _resolve_exception(command, state)
        case RecordDelivery():
            return _record_delivery(command, state)
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
    order_id, shop_id, shipment_id = _awaiting_or_gone(state)
    if state.dispatched:
        raise ReceiverChangeAfterDispatch(
            "the parcel already left; the receiver can no longer change", order_id=order_id
        )
    if command.receiver == state.receiver:
        return []
    return [
        ShipmentReceiverChanged(
            order_id=order_id, shop_id=shop_id, shipment_id=shipment_id, receiver=command.receiver
        )
    ]


def _dispatch(command: Dispatch, state: Shipment) -> list[LogisticsEvent]:
    order_id, shop_id, shipment_id = _awaiting_or_gone(state)
    if state.dispatched:
        raise ShipmentAlreadyDispatched(
            f"order {order_id} already shipped", waybill=_waybill_json(state)
        )
    check_receiver(state.receiver)
    check_contents(state.items, command.items)
    check_waybill(command.waybill)
    assert state.ship_by is not None  # set together with the status by ShipmentRequested
    return [
        Shipped(
            order_id=order_id,
            shop_id=shop_id,
            shipment_id=shipment_id,
            waybill=command.waybill,
            items=state.items,
            shipped_at=command.shipped_at,
            ship_by=state.ship_by,
        )
    ]


def _cancel(command: CancelShipment, state: Shipment) -> list[LogisticsEvent]:
    # Once the parcel left, a cancellation is aftersales' business (the cancel-vs-ship race);
    # a cancellation that comes before the payment is recorded so a later dispatch is refused.
    if state.dispatched or state.status is ShipmentStatus.CANCELLED:
        return []
    return [
        ShipmentCancelled(
            order_id=command.order_id,
            shop_id=command.shop_id,
            shipment_id=shipment_id_for(command.order_id),
            reason=command.reason,
        )
    ]


def _record_checkpoint(command: RecordCheckpoint, state: Shipment) -> list[LogisticsEvent]:
    order_id, shop_id, shipment_id = _dispatched(state)
    if command.waybill not in state.waybills:
        raise WaybillNotOnShipment(
            f"{command.waybill.carrier} {command.waybill.tracking_number} is not a waybill of"
            f" order {order_id}",
            waybill=command.waybill.model_dump(),
        )
    if state.has_checkpoint(command.waybill, command.checkpoint):
        return []
    events: list[LogisticsEvent] = [
        TrackingUpdated(
            order_id=order_id,
            shop_id=shop_id,
            shipment_id=shipment_id,
            waybill=command.waybill,
            checkpoint=command.checkpoint,
        )
    ]
    signed_now = (
        command.checkpoint.status is CheckpointStatus.SIGNED
        and command.waybill == state.waybill
        and state.status is ShipmentStatus.SHIPPED
    )
    if signed_now:
        events.extend(_delivery(state, command.checkpoint.occurred_at, signed_by=None))
    return events


def _open_exception(command: OpenException, state: Shipment) -> list[LogisticsEvent]:
    order_id, shop_id, shipment_id = _dispatched(state)
    existing = state.exception(command.exception_id)
    if existing is not None:
        if (existing.kind, existing.description) == (command.kind, command.description):
            return []
        raise ExceptionIdTaken(
            f"exception {command.exception_id} was opened for something else",
            exception_id=command.exception_id,
        )
    if state.status is ShipmentStatus.DELIVERED and command.kind is not ExceptionKind.DAMAGED:
        raise ExceptionAfterDelivery(
            f"the parcel was delivered; a {command.kind.value} exception no longer applies",
            kind=command.kind.value,
        )
    already_open = next((e for e in state.open_exceptions if e.kind is command.kind), None)
    if already_open is not None:
        raise ExceptionAlreadyOpen(
            f"a {command.kind.value} exception is already open",
            exception_id=already_open.exception_id,
        )
    return [
        ExceptionRaised(
            order_id=order_id,
            shop_id=shop_id,
            shipment_id=shipment_id,
            exception_id=command.exception_id,
            kind=command.kind,
            description=command.description,
        )
    ]


def _resolve_exception(command: ResolveException, state: Shipment) -> list[LogisticsEvent]:
    order_id, shop_id, shipment_id = _dispatched(state)
    exception = state.exception(command.exception_id)
    if exception is None:
        raise ExceptionNotFound(
            f"no exception {command.exception_id} on order {order_id}",
            exception_id=command.exception_id,
        )
    if not exception.is_open:
        raise ExceptionAlreadyResolved(
            f"exception {command.exception_id} was already resolved",
            resolution=exception.resolution.value if exception.resolution else None,
        )
    _check_resolution(command, state)
    return [
        ExceptionResolved(
            order_id=order_id,
            shop_id=shop_id,
            shipment_id=shipment_id,
            exception_id=exception.exception_id,
            kind=exception.kind,
            resolution=command.resolution,
            new_waybill=command.new_waybill,
            claim_amount=command.claim_amount,
            note=command.note,
        )
    ]


def _check_resolution(command: ResolveException, state: Shipment) -> None:
    """Each resolution carries exactly what it needs: a claim its amount, a reshipment its
    new, valid, never used waybill; delivered needs the delivery recorded."""
    resolution = command.resolution
    needs_amount = resolution is ExceptionResolution.CLAIMED
    needs_waybill = resolution is ExceptionResolution.RESHIPPED
    if needs_amount != (command.claim_amount is not None) or (
        command.claim_amount is not None and command.claim_amount.amount <= 0
    ):
        raise InvalidResolution(
            "a claim needs a positive claim_amount; other resolutions carry none",
            resolution=resolution.value,
        )
    if needs_waybill != (command.new_waybill is not None):
        raise InvalidResolution(
            "a reshipment needs the new_waybill; other resolutions carry none",
            resolution=resolution.value,
        )
    if command.new_waybill is not None:
        check_waybill(command.new_waybill)
        if command.new_waybill in state.waybills:
            raise WaybillAlreadyUsed(
                "a reshipped parcel needs a new waybill", waybill=command.new_waybill.model_dump()
            )
    if resolution is ExceptionResolution.DELIVERED and state.status is not ShipmentStatus.DELIVERED:
        raise ParcelNotDelivered(
            "record the delivery first; it resolves open exceptions as delivered"
        )


def _record_delivery(command: RecordDelivery, state: Shipment) -> list[LogisticsEvent]:
    order_id, _, _ = _dispatched(state)
    if state.status is ShipmentStatus.DELIVERED:
        raise ShipmentAlreadyDelivered(
            f"order {order_id} was already delivered",
            delivered_at=state.delivered_at.isoformat() if state.delivered_at else None,
        )
    if command.waybill is not None and command.waybill != state.waybill:
        raise WaybillNotOnShipment(
            "only the parcel under the current waybill can be delivered",
            waybill=command.waybill.model_dump(),
            current_waybill=_waybill_json(state),
        )
    assert state.shipped_at is not None  # set together with the status by Shipped
    if command.delivered_at < state.shipped_at:
        raise DeliveryBeforeDispatch(
            "the parcel cannot be signed for before it was shipped",
            shipped_at=state.shipped_at.isoformat(),
        )
    return _delivery(state, command.delivered_at, command.signed_by)


def _delivery(
    state: Shipment, delivered_at: datetime, signed_by: str | None
) -> list[LogisticsEvent]:
    """Delivered, and every open exception closed as delivered (the parcel arrived after all)."""
    order_id, shop_id, shipment_id = _ids(state)
    assert state.waybill is not None  # a dispatched shipment has a waybill
    closed: list[LogisticsEvent] = [
        ExceptionResolved(
            order_id=order_id,
            shop_id=shop_id,
            shipment_id=shipment_id,
            exception_id=exception.exception_id,
            kind=exception.kind,
            resolution=ExceptionResolution.DELIVERED,
        )
        for exception in state.open_exceptions
    ]
    delivered = Delivered(
        order_id=order_id,
        shop_id=shop_id,
        shipment_id=shipment_id,
        waybill=state.waybill,
        delivered_at=delivered_at,
        signed_by=signed_by,
    )
    return [delivered, *closed]


def _mark_deadline_missed(command: MarkDeadlineMissed, state: Shipment) -> list[LogisticsEvent]:
    order_id, shop_id, shipment_id = _ids(state)
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


def _ids(state: Shipment) -> tuple[str, str, str]:
    """Order, shop and shipment id of a shipment that exists; refuses one not requested yet."""
    if state.order_id is None or state.shop_id is None or state.shipment_id is None:
        raise ShipmentNotRequested(
            "the shipment has not been requested yet: the order's payment has not reached"
            " logistics; retry later"
        )
    return state.order_id, state.shop_id, state.shipment_id


def _awaiting_or_gone(state: Shipment) -> tuple[str, str, str]:
    """Ids of a requested shipment that was not cancelled (it may have left already)."""
    ids = _ids(state)
    if state.status is ShipmentStatus.CANCELLED:
        raise _cancelled(state)
    return ids


def _dispatched(state: Shipment) -> tuple[str, str, str]:
    """Ids of a shipment whose parcel left (tracking, exceptions and delivery need one)."""
    ids = _awaiting_or_gone(state)
    if not state.dispatched:
        raise ShipmentNotDispatched(
            f"order {ids[0]} has not been dispatched yet; retry once it is",
            order_id=ids[0],
        )
    return ids


def _cancelled(state: Shipment) -> OrderAlreadyCancelled:
    reason = state.cancellation.value if state.cancellation else None
    return OrderAlreadyCancelled(
        f"order {state.order_id} was cancelled or closed before dispatch; nothing ships",
        reason=reason,
    )


def _waybill_json(state: Shipment) -> dict[str, str] | None:
    return None if state.waybill is None else state.waybill.model_dump()


shipment_decider: Decider[ShipmentCommand, LogisticsEvent, Shipment] = Decider(
    decide=decide, evolve=evolve, initial_state=Shipment()
)
