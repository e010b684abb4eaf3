"""The shipment of one order as its events leave it, and `evolve`, which folds one event in.

States map onto the platform's trade states: awaiting dispatch = WAIT_SELLER_SEND_GOODS,
shipped and delivered = WAIT_BUYER_CONFIRM_GOODS, cancelled = TRADE_CLOSED(_BY_TAOBAO).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import (
    Checkpoint,
    CheckpointStatus,
    Delivered,
    ExceptionKind,
    ExceptionRaised,
    ExceptionResolution,
    ExceptionResolved,
    ShipDeadline,
    ShipDeadlineMissed,
    ShipmentCancellationReason,
    ShipmentCancelled,
    ShipmentReceiverChanged,
    ShipmentRequested,
    Shipped,
    TrackingUpdated,
)
from contracts.sealing import Sealed
from contracts.values import SkuQuantity, Waybill


class ShipmentStatus(StrEnum):
    """Where the shipment stands."""

    NOT_REQUESTED = "not_requested"
    AWAITING_DISPATCH = "awaiting_dispatch"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


CheckpointKey = tuple[str, str, datetime, CheckpointStatus]


@dataclass(frozen=True, slots=True)
class TrackedCheckpoint:
    """A carrier scan and the waybill it was reported for."""

    waybill: Waybill
    checkpoint: Checkpoint

    @property
    def key(self) -> CheckpointKey:
        """What makes a scan the same scan when the carrier sends it again."""
        return checkpoint_key(self.waybill, self.checkpoint)

    @property
    def sort_key(self) -> tuple[datetime, str, str, str]:
        """The carrier's own timestamp first; the rest only makes equal timestamps stable."""
        return (
            self.checkpoint.occurred_at,
            self.waybill.carrier,
            self.waybill.tracking_number,
            self.checkpoint.status.value,
        )


def checkpoint_key(waybill: Waybill, checkpoint: Checkpoint) -> CheckpointKey:
    return (waybill.carrier, waybill.tracking_number, checkpoint.occurred_at, checkpoint.status)


@dataclass(frozen=True, slots=True)
class LogisticsException:
    """A delivery problem opened with the carrier; open while `resolution` is None."""

    exception_id: str
    kind: ExceptionKind
    description: str
    resolution: ExceptionResolution | None = None

    @property
    def is_open(self) -> bool:
        return self.resolution is None


@dataclass(frozen=True, slots=True)
class Shipment:
    """Everything the rules need to know about the order's shipment."""

    status: ShipmentStatus = ShipmentStatus.NOT_REQUESTED
    order_id: str | None = None
    shop_id: str | None = None
    shipment_id: str | None = None
    items: tuple[SkuQuantity, ...] = ()
    receiver: Sealed | None = None
    """Sealed for the buyer as the order service sent it: logistics never stores it opened."""
    ship_by: datetime | None = None
    ship_limit: datetime | None = None
    waybill: Waybill | None = None
    waybills: tuple[Waybill, ...] = ()
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    tracking: tuple[TrackedCheckpoint, ...] = ()
    exceptions: tuple[LogisticsException, ...] = ()
    missed_deadlines: frozenset[ShipDeadline] = frozenset()
    cancellation: ShipmentCancellationReason | None = None

    @property
    def dispatched(self) -> bool:
        return self.status in (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)

    @property
    def tracking_status(self) -> CheckpointStatus | None:
        """The status of the latest scan by the carrier's clock, not by arrival."""
        return self.tracking[-1].checkpoint.status if self.tracking else None

    @property
    def open_exceptions(self) -> tuple[LogisticsException, ...]:
        return tuple(exception for exception in self.exceptions if exception.is_open)

    def exception(self, exception_id: str) -> LogisticsException | None:
        return next((e for e in self.exceptions if e.exception_id == exception_id), None)

    def has_checkpoint(self, waybill: Waybill, checkpoint: Checkpoint) -> bool:
        key = checkpoint_key(waybill, checkpoint)
        return any(tracked.key == key for tracked in self.tracking)

    def deadline_due_at(self, deadline: ShipDeadline) -> datetime | None:
        return self.ship_by if deadline is ShipDeadline.TARGET else self.ship_limit


def same_receiver(current: Sealed | None, other: Sealed) -> bool:
    """Whether two sealed receivers hold the same value (same data key, same digest).

    The digest is keyed by the buyer's data key, so this needs no key and reveals nothing.
    """
    return current is not None and current.key_id == other.key_id and current.digest == other.digest


def evolve(state: Shipment, event: LogisticsEvent) -> Shipment:
    """The shipment after `event` (events are facts: nothing here refuses anything)."""
    match event:
        case ShipmentRequested():
            return replace(
                state,
                status=ShipmentStatus.AWAITING_DISPATCH,
                order_id=event.order_id,
                shop_id=event.shop_id,
                shipment_id=event.shipment_id,
                items=event.items,
                receiver=event.receiver,
                ship_by=event.ship_by,
                ship_limit=event.ship_limit,
            )
        case ShipmentReceiverChanged():
            return replace(state, receiver=event.receiver)
        case Shipped():
            return replace(
                state,
                status=ShipmentStatus.SHIPPED,
                waybill=event.waybill,
                waybills=(*state.waybills, event.waybill),
                shipped_at=event.shipped_at,
            )
        case TrackingUpdated():
            return _with_checkpoint(state, TrackedCheckpoint(event.waybill, event.checkpoint))
        case ExceptionRaised():
            opened = LogisticsException(event.exception_id, event.kind, event.description)
            return replace(state, exceptions=(*state.exceptions, opened))
        case ExceptionResolved():
            return _resolved(state, event)
        case Delivered():
            return replace(state, status=ShipmentStatus.DELIVERED, delivered_at=event.delivered_at)
        case ShipDeadlineMissed():
            return replace(state, missed_deadlines=state.missed_deadlines | {event.deadline})
        case ShipmentCancelled():
            return replace(
                state,
                status=ShipmentStatus.CANCELLED,
                order_id=event.order_id,
                shop_id=event.shop_id,
                shipment_id=event.shipment_id,
                cancellation=event.reason,
            )
    return state


def _with_checkpoint(state: Shipment, tracked: TrackedCheckpoint) -> Shipment:
    if any(existing.key == tracked.key for existing in state.tracking):
        return state
    tracking = tuple(sorted((*state.tracking, tracked), key=lambda each: each.sort_key))
    return replace(state, tracking=tracking)


def _resolved(state: Shipment, event: ExceptionResolved) -> Shipment:
    exceptions = tuple(
        replace(exception, resolution=event.resolution)
        if exception.exception_id == event.exception_id
        else exception
        for exception in state.exceptions
    )
    if event.new_waybill is None:
        return replace(state, exceptions=exceptions)
    # A reshipped parcel is a new parcel on its way: the shipment is in transit again under
    # the new waybill, even if the first parcel had been signed for (e.g. it arrived damaged).
    return replace(
        state,
        exceptions=exceptions,
        status=ShipmentStatus.SHIPPED,
        waybill=event.new_waybill,
        waybills=(*state.waybills, event.new_waybill),
        delivered_at=None,
    )
