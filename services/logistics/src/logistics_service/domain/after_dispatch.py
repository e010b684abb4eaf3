"""The rules once the parcel left: tracking checkpoints, delivery problems and the delivery."""

from __future__ import annotations

from datetime import datetime

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import (
    CheckpointStatus,
    Delivered,
    ExceptionKind,
    ExceptionRaised,
    ExceptionResolution,
    ExceptionResolved,
    TrackingUpdated,
)
from contracts.sealing import Sealed
from logistics_service.domain.checks import check_waybill
from logistics_service.domain.commands import (
    OpenException,
    RecordCheckpoint,
    RecordDelivery,
    ResolveException,
)
from logistics_service.domain.errors import (
    DeliveryBeforeDispatch,
    ExceptionAfterDelivery,
    ExceptionAlreadyOpen,
    ExceptionAlreadyResolved,
    ExceptionIdTaken,
    ExceptionNotFound,
    InvalidResolution,
    ParcelNotDelivered,
    ShipmentAlreadyDelivered,
    WaybillAlreadyUsed,
    WaybillNotOnShipment,
)
from logistics_service.domain.guards import dispatched_ids, existing_ids, waybill_json
from logistics_service.domain.state import Shipment, ShipmentStatus


def record_checkpoint(command: RecordCheckpoint, state: Shipment) -> list[LogisticsEvent]:
    order_id, shop_id, shipment_id = dispatched_ids(state)
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
        events.extend(delivery_events(state, command.checkpoint.occurred_at, signed_by=None))
    return events


def open_exception(command: OpenException, state: Shipment) -> list[LogisticsEvent]:
    order_id, shop_id, shipment_id = dispatched_ids(state)
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


def resolve_exception(command: ResolveException, state: Shipment) -> list[LogisticsEvent]:
    order_id, shop_id, shipment_id = dispatched_ids(state)
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


def record_delivery(command: RecordDelivery, state: Shipment) -> list[LogisticsEvent]:
    order_id, _, _ = dispatched_ids(state)
    if state.status is ShipmentStatus.DELIVERED:
        raise ShipmentAlreadyDelivered(
            f"order {order_id} was already delivered",
            delivered_at=state.delivered_at.isoformat() if state.delivered_at else None,
        )
    if command.waybill is not None and command.waybill != state.waybill:
        raise WaybillNotOnShipment(
            "only the parcel under the current waybill can be delivered",
            waybill=command.waybill.model_dump(),
            current_waybill=waybill_json(state),
        )
    assert state.shipped_at is not None  # set together with the status by Shipped
    if command.delivered_at < state.shipped_at:
        raise DeliveryBeforeDispatch(
            "the parcel cannot be signed for before it was shipped",
            shipped_at=state.shipped_at.isoformat(),
        )
    return delivery_events(state, command.delivered_at, command.signed_by)


def delivery_events(
    state: Shipment, delivered_at: datetime, signed_by: Sealed | None
) -> list[LogisticsEvent]:
    """Delivered, and every open exception closed as delivered (the parcel arrived after all)."""
    order_id, shop_id, shipment_id = existing_ids(state)
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
