"""Events of the logistics service: shipment, tracking, exceptions, delivery, ship-by SLA."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from contracts.events.base import LogisticsEvent
from contracts.upcasting import Upcaster
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


class ShipmentRequested(LogisticsEvent):
    """A paid order is due to ship: the warehouse's work item with its ship-by deadlines."""

    event_type = "logistics.shipment_requested"

    shipment_id: Identifier = Field(description="The shipment for this order.")
    items: tuple[SkuQuantity, ...] = Field(min_length=1, description="What must be packed.")
    receiver: Receiver = personal_data("Who and where the parcel goes to.")
    ship_by: UtcDatetime = Field(description="Target: ship before this (default paid + 24 h).")
    ship_limit: UtcDatetime = Field(description="Limit: never later than this (default 48 h).")


class ShipmentReceiverChanged(LogisticsEvent):
    """The shipment follows an address change made before dispatch."""

    event_type = "logistics.shipment_receiver_changed"

    shipment_id: Identifier = Field(description="The shipment for this order.")
    receiver: Receiver = personal_data("The new receiver.")


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


class Delivered(LogisticsEvent):
    """The parcel was signed for."""

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

# Upcasters of older versions of the events above; empty while every event is at v1.
UPCASTERS: tuple[Upcaster, ...] = ()
