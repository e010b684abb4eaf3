"""Request and response bodies of the logistics API, with the examples OpenAPI shows. Request
bodies are strict (no coercion between JSON types) and every value is bounded."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.events.logistics import (
    Checkpoint,
    CheckpointStatus,
    ExceptionKind,
    ExceptionResolution,
    ShipDeadline,
)
from contracts.sealing import ErasedValue
from contracts.values import Identifier, Line, Money, Receiver, SkuQuantity, Text, Waybill
from eventing.http.endpoints import CommandOutcome
from eventing.reported_time import ReportedTime
from logistics_service.domain.state import ShipmentStatus
from logistics_service.examples import (
    ITEMS,
    RECEIVER,
    RESHIP_WAYBILL,
    SEALED_RECEIVER,
    SHIPPED_AT,
    WAYBILL,
)

_WAYBILL = WAYBILL.model_dump()
_SCAN = {
    "occurred_at": (SHIPPED_AT + timedelta(hours=8)).isoformat(),
    "status": CheckpointStatus.ARRIVED_AT_HUB.value,
    "location": "杭州转运中心",
    "description": "快件已到达杭州转运中心",
}


MAX_LINES = 100
"""SKUs in one parcel (an order holds at most as many lines)."""


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    # FastAPI validates decoded JSON in Python mode, where strict enums and times would want
    # Python objects: those fields say `strict=False` (a time must still be a string).
    return ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": list(examples)})


class DispatchRequest(BaseModel):
    """The parcel as packed: its waybill and its contents (checked against the order)."""

    model_config = _examples({"waybill": _WAYBILL, "items": [item.model_dump() for item in ITEMS]})

    waybill: Waybill = Field(description="Carrier code and tracking number from the catalogue.")
    items: list[SkuQuantity] = Field(
        min_length=1,
        max_length=MAX_LINES,
        description="What was packed: must equal the order's SKUs and quantities.",
    )


class ScanBody(BaseModel):
    """One scan as the carrier reports it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    occurred_at: ReportedTime = Field(strict=False)
    status: CheckpointStatus = Field(strict=False, description="What the scan means.")
    location: Line | None = Field(default=None, max_length=128, description="Where, if known.")
    description: Text = Field(description="The carrier's own wording.")

    def checkpoint(self) -> Checkpoint:
        return Checkpoint(**self.model_dump())


class CheckpointRequest(BaseModel):
    """One carrier scan of a parcel."""

    model_config = _examples({"waybill": _WAYBILL, "checkpoint": _SCAN})

    waybill: Waybill = Field(description="The waybill the scan is for.")
    checkpoint: ScanBody = Field(
        description="The scan, with the carrier's own timestamp (not before the dispatch nor "
        "more than 5 minutes after the service's clock)."
    )


class CheckpointBatchRequest(BaseModel):
    """Scans of many parcels, as a carrier feed posts them (any order, duplicates allowed)."""

    model_config = _examples({"checkpoints": [{"waybill": _WAYBILL, "checkpoint": _SCAN}]})

    checkpoints: list[CheckpointRequest] = Field(
        min_length=1, max_length=10_000, description="The scans (at most the service's limit)."
    )


class CheckpointOutcome(BaseModel):
    """What became of one scan of a batch."""

    index: int = Field(description="Position of the scan in the request.")
    order_id: str | None = Field(description="The order the waybill belongs to, if known.")
    outcome: Literal["recorded", "duplicate", "rejected"]
    code: str | None = Field(default=None, description="Problem code when rejected.")
    detail: str | None = Field(default=None, description="Why it was rejected.")
    retryable: bool = Field(default=False, description="Worth sending again later.")
    version: int | None = Field(default=None, description="Shipment version after the scan.")


class CheckpointBatchResult(BaseModel):
    """Per-scan results of a batch; a rejected scan does not stop the others."""

    recorded: int
    duplicates: int
    rejected: int
    results: list[CheckpointOutcome]


class OpenExceptionRequest(BaseModel):
    """A delivery problem to follow up with the carrier."""

    model_config = _examples({"kind": "delayed", "description": "no scan for 72 hours"})

    kind: ExceptionKind = Field(
        strict=False, description="delayed, lost, damaged or address_problem."
    )
    description: Text = Field(min_length=1, description="What was observed.")
    exception_id: Identifier | None = Field(
        default=None, description="Your id for the exception; generated when omitted."
    )


class ResolveExceptionRequest(BaseModel):
    """How a delivery problem was settled."""

    model_config = _examples(
        {"resolution": "traced", "note": "parcel found at the Hangzhou hub"},
        {"resolution": "claimed", "claim_amount": {"amount": 5800, "currency": "CNY"}},
        {"resolution": "reshipped", "new_waybill": RESHIP_WAYBILL.model_dump()},
    )

    resolution: ExceptionResolution = Field(strict=False)
    new_waybill: Waybill | None = Field(default=None, description="Required when reshipped.")
    claim_amount: Money | None = Field(default=None, description="Required when claimed.")
    note: Text | None = None


class DeliveryRequest(BaseModel):
    """The parcel was signed for."""

    model_config = _examples({"signed_by": "本人", "delivered_at": "2026-11-12T09:30:00Z"})

    delivered_at: ReportedTime | None = Field(
        default=None,
        strict=False,
        description="When it was signed for (now when omitted): not before the dispatch nor "
        "more than 5 minutes after the service's clock.",
    )
    signed_by: Line | None = Field(default=None, max_length=64, description="Who signed.")
    waybill: Waybill | None = Field(
        default=None, description="If given, must be the shipment's current waybill."
    )


class ShipmentOutcome(CommandOutcome):
    """What a command did to the shipment; `version` (the shipment's) is also the ETag."""

    order_id: str
    status: ShipmentStatus
    exception_id: str | None = None


class ExceptionView(BaseModel):
    exception_id: str
    kind: ExceptionKind
    description: str
    opened_at: datetime
    resolution: ExceptionResolution | None
    resolved_at: datetime | None
    new_waybill: Waybill | None
    claim_amount: Money | None
    note: str | None


class ShipmentSummary(BaseModel):
    """A shipment in a queue."""

    order_id: str
    shop_id: str
    status: ShipmentStatus
    ship_by: datetime | None
    ship_limit: datetime | None
    overdue: bool = Field(description="Awaiting dispatch past its ship-by target.")
    waybill: Waybill | None
    tracking_status: CheckpointStatus | None
    open_exceptions: int
    version: int


class ShipmentView(ShipmentSummary):
    """A shipment with its receiver (masked unless the caller must ship or owns the order;
    `{"erased": true, "key_id": ...}` once the buyer's personal data was erased)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"receiver": RECEIVER.model_dump(mode="json")},
                {"receiver": ErasedValue(key_id=SEALED_RECEIVER.key_id).model_dump(mode="json")},
            ]
        }
    )

    shipment_id: str
    items: list[SkuQuantity]
    receiver: Receiver | ErasedValue | None = Field(
        description="Who and where the parcel goes to, masked or in full by the caller's role; "
        "the erased marker once the buyer was erased."
    )
    shipped_at: datetime | None
    delivered_at: datetime | None
    signed_by: str | ErasedValue | None = Field(
        description="Who signed, masked or in full by the caller's role; the erased marker "
        "once the buyer was erased."
    )
    last_checkpoint_at: datetime | None
    missed_deadlines: dict[ShipDeadline, datetime]
    cancel_reason: str | None
    exceptions: list[ExceptionView]


class TrackedCheckpointView(BaseModel):
    waybill: Waybill
    occurred_at: datetime
    status: CheckpointStatus
    location: str | None
    description: str


class TrackingView(BaseModel):
    """The tracking history by the carrier's clock; `current_status` is the latest scan's."""

    order_id: str
    current_status: CheckpointStatus | None
    checkpoints: list[TrackedCheckpointView]
    version: int


class Figures(BaseModel):
    """Shipping figures. On-target and within-limit shares measure each shipment against its
    shop's ship-by window; the `within_24h/48h_of_payment` shares are the handbooks' fixed
    metric. Shares are of shipments shipped (null when none)."""

    requested: int
    awaiting: int
    overdue: int
    shipped: int
    shipped_on_target: int
    shipped_within_limit: int
    on_target_share: float | None
    within_limit_share: float | None
    within_24h_of_payment_share: float | None
    within_48h_of_payment_share: float | None
    target_missed: int
    limit_missed: int
    cancelled: int = Field(
        description="Requested shipments cancelled before dispatch (an order cancelled or "
        "closed before payment never had a shipment and is not counted)."
    )
    delivered: int
    with_exceptions: int
    exception_rate: float | None
    open_exceptions: int
    average_hours_to_delivery: float | None


class CarrierFigures(Figures):
    carrier: str


class CarrierStats(BaseModel):
    carriers: list[CarrierFigures]


class ShopStats(Figures):
    shop_id: str
