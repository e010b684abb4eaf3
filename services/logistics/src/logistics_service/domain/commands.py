"""What can be asked of an order's shipment: imperative, immutable, carrying their own time.

Commands from policies and deadlines (request, change receiver, cancel, deadline missed) carry
the upstream facts; commands from people (dispatch, exceptions, delivery) and from the carrier
feed (checkpoints) carry what they report. Time always comes in with the command.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts.events.logistics import (
    Checkpoint,
    ExceptionKind,
    ExceptionResolution,
    ShipDeadline,
    ShipmentCancellationReason,
)
from contracts.sealing import ErasedValue, Sealed
from contracts.values import Money, Receiver, SkuQuantity, Waybill
from logistics_service.domain.policy import ShippingWindow


@dataclass(frozen=True, slots=True)
class RequestShipment:
    """The order was paid in full: the warehouse must ship these items to this receiver."""

    order_id: str
    shop_id: str
    items: tuple[SkuQuantity, ...]
    receiver: Sealed
    paid_at: datetime
    window: ShippingWindow


@dataclass(frozen=True, slots=True)
class ChangeReceiver:
    """The buyer changed the address before dispatch; the label must follow."""

    receiver: Sealed


@dataclass(frozen=True, slots=True)
class Dispatch:
    """The seller hands the parcel to the carrier after the three checks."""

    waybill: Waybill
    items: tuple[SkuQuantity, ...]
    shipped_at: datetime
    receiver: Receiver | ErasedValue | None
    """The shipment's current receiver as the application opened it for the receiver check
    (the domain holds no keys): `ErasedValue` once the buyer was erased."""


@dataclass(frozen=True, slots=True)
class CancelShipment:
    """The order was cancelled or closed: call the shipment off if it has not left."""

    order_id: str
    shop_id: str
    reason: ShipmentCancellationReason
    cancelled_at: datetime
    """When the order service recorded the cancellation or close (its event's time): a ship-by
    deadline due by then was missed, whether or not its timer fired before this arrived."""


@dataclass(frozen=True, slots=True)
class RecordCheckpoint:
    """The carrier reported a scan of a parcel of this shipment."""

    waybill: Waybill
    checkpoint: Checkpoint


@dataclass(frozen=True, slots=True)
class OpenException:
    """A delivery problem is opened with the carrier."""

    exception_id: str
    kind: ExceptionKind
    description: str


@dataclass(frozen=True, slots=True)
class ResolveException:
    """A delivery problem was settled: traced, claimed (amount), reshipped (new waybill),
    delivered."""

    exception_id: str
    resolution: ExceptionResolution
    new_waybill: Waybill | None = None
    claim_amount: Money | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RecordDelivery:
    """The parcel was signed for; `waybill`, when given, must be the current one. The signer
    comes sealed for the buyer (a `Signer`), or None when unknown or the buyer was erased."""

    delivered_at: datetime
    signed_by: Sealed | None = None
    waybill: Waybill | None = None


@dataclass(frozen=True, slots=True)
class MarkDeadlineMissed:
    """The deadline worker found a ship-by deadline crossed at `now`."""

    deadline: ShipDeadline
    now: datetime


ShipmentCommand = (
    RequestShipment
    | ChangeReceiver
    | Dispatch
    | CancelShipment
    | RecordCheckpoint
    | OpenException
    | ResolveException
    | RecordDelivery
    | MarkDeadlineMissed
)
