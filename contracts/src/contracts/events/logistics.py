"""Events of the logistics service: shipment, tracking, exceptions, delivery, ship-by SLA."""

from __future__ import annotations

from enum import StrEnum

from pydantic import ConfigDict, Field

from contracts.events.base import LogisticsEvent
from contracts.sealing import Sealed, sealed_personal_data
from contracts.upcasting import JsonObject, Sealer, Upcaster, seal_fields, sealing_upcaster
from contracts.values import (
    PII_MARK,
    ContractModel,
    Identifier,
    Line,
    Money,
    Receiver,
    SkuQuantity,
    Text,
    UtcDatetime,
    Waybill,
    personal_data,
)


class CheckpointStatus(StrEnum):
    """Where a parcel is, as carriers report it."""

    ACCEPTED = "accepted"
    IN_TRANSIT = "in_transit"
    ARRIVED_AT_HUB = "arrived_at_hub"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERY_ATTEMPTED = "delivery_attempted"
    SIGNED = "signed"
    RETURNED_TO_SENDER = "returned_to_sender"
    PROBLEM = "problem"


class ExceptionKind(StrEnum):
    """What went wrong with a parcel."""

    DELAYED = "delayed"
    LOST = "lost"
    DAMAGED = "damaged"
    ADDRESS_PROBLEM = "address_problem"


class ExceptionResolution(StrEnum):
    """How a logistics exception was settled with the carrier."""

    TRACED = "traced"
    CLAIMED = "claimed"
    RESHIPPED = "reshipped"
    DELIVERED = "delivered"


class ShipDeadline(StrEnum):
    """The two ship-by deadlines: the target (default 24 h) and the hard limit (default 48 h)."""

    TARGET = "target"
    LIMIT = "limit"


class ShipmentCancellationReason(StrEnum):
    """Why a shipment that had not left was called off."""

    ORDER_CANCELLED = "order_cancelled"
    ORDER_CLOSED = "order_closed"


class Checkpoint(ContractModel):
    """One scan of the parcel reported by the carrier."""

    occurred_at: UtcDatetime = Field(description="When the carrier scanned the parcel.")
    status: CheckpointStatus = Field(description="What the scan means.")
    location: Line | None = Field(default=None, max_length=128, description="Where, if known.")
    description: Text = Field(description="The carrier's own wording.")


class ShipmentRequestedV1(LogisticsEvent):
    """A paid order is due to ship: the warehouse's work item with its ship-by deadlines."""

    # Version 1, with the receiver in clear: read from old stores and sealed by the upcaster.
    model_config = ConfigDict(title="ShipmentRequested")

    event_type = "logistics.shipment_requested"

    shipment_id: Identifier = Field(description="The shipment for this order.")
    items: tuple[SkuQuantity, ...] = Field(min_length=1, description="What must be packed.")
    receiver: Receiver = personal_data("Who and where the parcel goes to.")
    ship_by: UtcDatetime = Field(description="Target: ship before this (default paid + 24 h).")
    ship_limit: UtcDatetime = Field(description="Limit: never later than this (default 48 h).")


class ShipmentRequested(LogisticsEvent):
    """A paid order is due to ship: the warehouse's work item with its ship-by deadlines."""

    event_type = "logistics.shipment_requested"
    event_version = 2

    shipment_id: Identifier = Field(description="The shipment for this order.")
    items: tuple[SkuQuantity, ...] = Field(min_length=1, description="What must be packed.")
    receiver: Sealed = sealed_personal_data("Who and where the parcel goes to", Receiver)
    ship_by: UtcDatetime = Field(description="Target: ship before this (default paid + 24 h).")
    ship_limit: UtcDatetime = Field(description="Limit: never later than this (default 48 h).")


class ShipmentReceiverChangedV1(LogisticsEvent):
    """The shipment follows an address change made before dispatch."""

    # Version 1, with the receiver in clear: read from old stores and sealed by the upcaster.
    model_config = ConfigDict(title="ShipmentReceiverChanged")

    event_type = "logistics.shipment_receiver_changed"

    shipment_id: Identifier = Field(description="The shipment for this order.")
    receiver: Receiver = personal_data("The new receiver.")


class ShipmentReceiverChanged(LogisticsEvent):
    """The shipment follows an address change made before dispatch."""

    event_type = "logistics.shipment_receiver_changed"
    event_version = 2

    shipment_id: Identifier = Field(description="The shipment for this order.")
    receiver: Sealed = sealed_personal_data("The new receiver", Receiver)


class Shipped(LogisticsEvent):
    """The parcel passed the three checks and was handed to the carrier."""

    event_type = "logistics.shipped"
    platform_message = "seller shipped"

    shipment_id: Identifier = Field(description="The shipment for this order.")
    waybill: Waybill = Field(description="Carrier and tracking number.")
    items: tuple[SkuQuantity, ...] = Field(min_length=1, description="What was packed.")
    shipped_at: UtcDatetime = Field(description="When the carrier took the parcel.")
    ship_by: UtcDatetime = Field(description="The target it was measured against.")


class TrackingUpdated(LogisticsEvent):
    """The carrier reported a new checkpoint (checkpoints may arrive out of order)."""

    event_type = "logistics.tracking_updated"

    shipment_id: Identifier = Field(description="The shipment for this order.")
    waybill: Waybill = Field(description="The waybill the checkpoint belongs to.")
    checkpoint: Checkpoint = Field(description="The new checkpoint.")


class ExceptionRaised(LogisticsEvent):
    """A delivery problem was opened with the carrier."""

    event_type = "logistics.exception_raised"

    shipment_id: Identifier = Field(description="The shipment for this order.")
    exception_id: Identifier = Field(description="This exception.")
    kind: ExceptionKind = Field(description="What went wrong.")
    description: Text = Field(description="What was observed.")


class ExceptionResolved(LogisticsEvent):
    """A delivery problem was settled: traced, claimed, reshipped, or the parcel arrived."""

    event_type = "logistics.exception_resolved"

    shipment_id: Identifier = Field(description="The shipment for this order.")
    exception_id: Identifier = Field(description="The exception resolved.")
    kind: ExceptionKind = Field(description="What had gone wrong.")
    resolution: ExceptionResolution = Field(description="How it was settled.")
    new_waybill: Waybill | None = Field(default=None, description="Set when reshipped.")
    claim_amount: Money | None = Field(default=None, description="Set when claimed.")
    note: Text | None = Field(default=None, description="Details of the resolution.")


class Signer(ContractModel):
    """Who signed for a parcel, as the carrier reports it: the value a sealed `signed_by` holds."""

    name: Line = Field(min_length=1, max_length=64, description="The name the carrier reported.")


class DeliveredV1(LogisticsEvent):
    """The parcel was signed for."""

    # Version 1, with the signer in clear: read from old stores and sealed by the upcaster.
    model_config = ConfigDict(title="Delivered")

    event_type = "logistics.delivered"

    shipment_id: Identifier = Field(description="The shipment for this order.")
    waybill: Waybill = Field(description="The waybill that was delivered.")
    delivered_at: UtcDatetime = Field(description="When the parcel was signed for.")
    signed_by: Line | None = Field(
        default=None,
        max_length=64,
        description="Who signed, as the carrier reports it.",
        json_schema_extra={PII_MARK: True},
    )


class Delivered(LogisticsEvent):
    """The parcel was signed for."""

    event_type = "logistics.delivered"
    event_version = 2

    shipment_id: Identifier = Field(description="The shipment for this order.")
    waybill: Waybill = Field(description="The waybill that was delivered.")
    delivered_at: UtcDatetime = Field(description="When the parcel was signed for.")
    signed_by: Sealed | None = sealed_personal_data(
        "Who signed, as the carrier reports it", Signer, optional=True
    )


class ShipDeadlineMissed(LogisticsEvent):
    """A shipment had not left by its ship-by target or limit (raised once per deadline)."""

    event_type = "logistics.ship_deadline_missed"

    shipment_id: Identifier = Field(description="The shipment for this order.")
    deadline: ShipDeadline = Field(description="Which deadline was crossed.")
    due_at: UtcDatetime = Field(description="The deadline itself.")


class ShipmentCancelled(LogisticsEvent):
    """A shipment that had not left was called off; nothing will ship."""

    event_type = "logistics.shipment_cancelled"

    shipment_id: Identifier = Field(description="The shipment for this order.")
    reason: ShipmentCancellationReason = Field(description="Why it was called off.")


EVENTS: tuple[type[LogisticsEvent], ...] = (
    ShipmentRequested,
    ShipmentReceiverChanged,
    Shipped,
    TrackingUpdated,
    ExceptionRaised,
    ExceptionResolved,
    Delivered,
    ShipDeadlineMissed,
    ShipmentCancelled,
)

LEGACY_EVENTS: tuple[type[LogisticsEvent], ...] = (
    ShipmentRequestedV1,
    ShipmentReceiverChangedV1,
    DeliveredV1,
)
"""Older versions still read from stores and topics (upcast to the current version)."""


def _seal_signer(data: JsonObject, sealer: Sealer) -> JsonObject:
    # v1 carried the signer as a bare string: it is sealed as the `Signer` it names.
    signed_by = data.get("signed_by")
    if signed_by is None:
        return data
    return {**data, "signed_by": sealer(data, Signer(name=signed_by))}


UPCASTERS: tuple[Upcaster, ...] = (
    sealing_upcaster("logistics.shipment_requested", from_version=1)(
        seal_fields(receiver=Receiver)
    ),
    sealing_upcaster("logistics.shipment_receiver_changed", from_version=1)(
        seal_fields(receiver=Receiver)
    ),
    sealing_upcaster("logistics.delivered", from_version=1)(_seal_signer),
)
"""v1 → v2: the clear receiver or signer is sealed for the buyer (the reader's `Sealer` does it)."""
