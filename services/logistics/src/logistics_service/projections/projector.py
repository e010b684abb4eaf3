"""The shipments read model, fed from the logistics topic (or the event store, for a rebuild).

One projector keeps three tables: a row per shipment (queues and figures read it), the
tracking history and the exceptions. Each shipment row stores the stream version it shows, and
an event at or below that version is skipped, so replays and redeliveries change nothing.

It is set-based: a batch of events is folded per order in Python from the rows it touches
(read in one statement), then each table is written once (`eventing.set_based`). One event is
a batch of one, so the live subscription, its per-event fallback and the rebuilds share one
logic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import (
    Delivered,
    ExceptionRaised,
    ExceptionResolved,
    ShipDeadline,
    ShipDeadlineMissed,
    ShipmentCancelled,
    ShipmentReceiverChanged,
    ShipmentRequested,
    Shipped,
    TrackingUpdated,
)
from eventing.codec import ContractsCodec
from eventing.encoding import ConsumedEvent
from eventing.rebuild import TableNames, table_for
from eventing.set_based import Row, current_rows, json_text, write_rows, written_columns
from logistics_service.domain.state import ShipmentStatus
from logistics_service.projections.tables import shipment_exceptions, shipment_tracking, shipments

_CODEC = ContractsCodec()
_EXCEPTION_EVENTS = (ExceptionRaised, ExceptionResolved)
_TRACKING_KEY = ("order_id", "carrier", "tracking_number", "occurred_at", "status")
_EXCEPTION_KEY = ("order_id", "exception_id")
# A shipment row's columns before any event set them (the table's defaults).
_NEW_SHIPMENT: Row = dict.fromkeys(written_columns(shipments)) | {
    "items": json_text([]),
    "open_exceptions": 0,
    "exceptions_raised": 0,
}


class Target:
    """The three tables under the names to write to (live, or shadow during a rebuild)."""

    def __init__(self, names: TableNames) -> None:
        self.shipments = table_for(shipments, names)
        self.tracking = table_for(shipment_tracking, names)
        self.exceptions = table_for(shipment_exceptions, names)


async def project_shipments(
    event: ConsumedEvent, connection: AsyncConnection, tables: TableNames
) -> None:
    """Apply one logistics event to the read model (idempotent per stream version)."""
    await project_shipment_events([event], connection, tables)


async def project_shipment_events(
    events: Sequence[ConsumedEvent], connection: AsyncConnection, tables: TableNames
) -> None:
    """Apply logistics events in order, as `project_shipments` applied to each would: the
    shipments (and exceptions, when the batch has exception events) read once, each table
    written once."""
    steps = [step for step in map(_decoded, events) if step is not None]
    if not steps:
        return
    target = Target(tables)
    orders = dict.fromkeys(step.event.order_id for step in steps)
    shown = await current_rows(connection, target.shipments, "order_id", orders)
    batch = _Batch({row["order_id"]: row for row in shown})
    troubled = dict.fromkeys(
        s.event.order_id for s in steps if isinstance(s.event, _EXCEPTION_EVENTS)
    )
    if troubled:
        opened = await current_rows(connection, target.exceptions, "order_id", troubled)
        batch.exceptions = {(row["order_id"], row["exception_id"]): row for row in opened}
    for step in steps:
        batch.apply(step)
    await write_rows(connection, target.shipments, list(batch.changed_shipments.values()),
                     ("order_id",), replace=True)  # fmt: skip
    await write_rows(connection, target.tracking, list(batch.tracking.values()), _TRACKING_KEY,
                     replace=False)  # fmt: skip
    changed = [batch.exceptions[key] for key in batch.changed_exceptions]
    await write_rows(connection, target.exceptions, changed, _EXCEPTION_KEY, replace=True)


class _Step:
    """One event to apply: the event, when it happened, its version in the order's stream."""

    __slots__ = ("at", "event", "version")

    def __init__(self, event: LogisticsEvent, at: datetime, version: int) -> None:
        self.event = event
        self.at = at
        self.version = version


def _decoded(consumed: ConsumedEvent) -> _Step | None:
    envelope = _CODEC.envelope(consumed)
    payload = envelope.data
    if not isinstance(payload, LogisticsEvent):
        return None
    return _Step(payload, envelope.time, consumed.sequence)


class _Batch:
    """The rows a batch touches, as they stand after the events applied so far."""

    def __init__(self, shipments_by_order: dict[str, Row]) -> None:
        self.shipments = shipments_by_order
        self.exceptions: dict[tuple[str, str], Row] = {}
        self.tracking: dict[tuple[Any, ...], Row] = {}  # first scan of a key wins, as in SQL
        self.changed_shipments: dict[str, Row] = {}
        self.changed_exceptions: dict[tuple[str, str], None] = {}
        self.row: Row | None = None  # the current event's shipment (None: no row yet)
        self.step: _Step

    def apply(self, step: _Step) -> None:
        self.step, self.row = step, self.shipments.get(step.event.order_id)
        if self.row is not None and step.version <= self.row["version"]:
            return
        apply = _APPLY.get(type(step.event))
        if apply is not None:
            apply(self, step.event)

    def update_shipment(self, **values: Any) -> None:
        """Change the shipment's row if it has one (an UPDATE of no row changes nothing)."""
        if self.row is None:
            return
        self.row.update(values, version=self.step.version, updated_at=self.step.at)
        self.changed_shipments[self.row["order_id"]] = self.row

    def upsert_shipment(self, shipment_id: str, **values: Any) -> None:
        """Create the shipment's row (with the table's defaults) or change it."""
        event = self.step.event
        if self.row is None:
            self.row = _NEW_SHIPMENT | {"order_id": event.order_id}
            self.shipments[event.order_id] = self.row
        self.update_shipment(shop_id=event.shop_id, shipment_id=shipment_id, **values)

    def record_scan(self, row: Row) -> None:
        self.tracking.setdefault(tuple(row[name] for name in _TRACKING_KEY), row)

    def open_exception(self, row: Row) -> None:
        key = (row["order_id"], row["exception_id"])
        if key not in self.exceptions:
            self.exceptions[key] = row
            self.changed_exceptions[key] = None

    def settle_exception(self, order_id: str, exception_id: str, **values: Any) -> None:
        key = (order_id, exception_id)
        row = self.exceptions.get(key)
        if row is not None:
            row.update(values)
            self.changed_exceptions[key] = None


def _requested(batch: _Batch, event: ShipmentRequested) -> None:
    batch.upsert_shipment(
        event.shipment_id,
        status=ShipmentStatus.AWAITING_DISPATCH.value,
        items=json_text([item.model_dump(mode="json") for item in event.items]),
        receiver=json_text(event.receiver.model_dump(mode="json")),
        ship_by=event.ship_by,
        ship_limit=event.ship_limit,
        requested_at=batch.step.at,
    )


def _cancelled(batch: _Batch, event: ShipmentCancelled) -> None:
    batch.upsert_shipment(
        event.shipment_id, status=ShipmentStatus.CANCELLED.value, cancel_reason=event.reason.value
    )


def _receiver_changed(batch: _Batch, event: ShipmentReceiverChanged) -> None:
    batch.update_shipment(receiver=json_text(event.receiver.model_dump(mode="json")))


def _shipped(batch: _Batch, event: Shipped) -> None:
    batch.update_shipment(
        status=ShipmentStatus.SHIPPED.value,
        carrier=event.waybill.carrier,
        tracking_number=event.waybill.tracking_number,
        shipped_at=event.shipped_at,
    )


def _tracking_updated(batch: _Batch, event: TrackingUpdated) -> None:
    scan = event.checkpoint
    batch.record_scan({
        "order_id": event.order_id, "carrier": event.waybill.carrier,
        "tracking_number": event.waybill.tracking_number, "occurred_at": scan.occurred_at,
        "status": scan.status.value, "location": scan.location,
        "description": scan.description, "version": batch.step.version,
    })  # fmt: skip
    latest = None if batch.row is None else batch.row["last_checkpoint_at"]
    # The current status follows the carrier's clock: an older scan arriving late adds to the
    # history but leaves the status alone.
    if latest is None or scan.occurred_at >= latest:
        batch.update_shipment(
            tracking_status=scan.status.value, last_checkpoint_at=scan.occurred_at
        )
    else:
        batch.update_shipment()


def _exception_raised(batch: _Batch, event: ExceptionRaised) -> None:
    batch.open_exception({
        "order_id": event.order_id, "shop_id": event.shop_id,
        "exception_id": event.exception_id, "kind": event.kind.value,
        "description": event.description, "opened_at": batch.step.at, "resolution": None,
        "resolved_at": None, "new_waybill": None, "claim_amount": None, "note": None,
    })  # fmt: skip
    if batch.row is not None:
        batch.update_shipment(
            open_exceptions=batch.row["open_exceptions"] + 1,
            exceptions_raised=batch.row["exceptions_raised"] + 1,
        )


def _exception_resolved(batch: _Batch, event: ExceptionResolved) -> None:
    batch.settle_exception(
        event.order_id,
        event.exception_id,
        resolution=event.resolution.value,
        resolved_at=batch.step.at,
        new_waybill=json_text(event.new_waybill.model_dump() if event.new_waybill else None),
        claim_amount=json_text(event.claim_amount.model_dump() if event.claim_amount else None),
        note=event.note,
    )
    if batch.row is None:
        return
    values: dict[str, Any] = {"open_exceptions": batch.row["open_exceptions"] - 1}
    if event.new_waybill is not None:
        values.update(
            status=ShipmentStatus.SHIPPED.value,
            carrier=event.new_waybill.carrier,
            tracking_number=event.new_waybill.tracking_number,
            delivered_at=None,
            signed_by=json_text(None),
        )
    batch.update_shipment(**values)


def _delivered(batch: _Batch, event: Delivered) -> None:
    batch.update_shipment(
        status=ShipmentStatus.DELIVERED.value,
        delivered_at=event.delivered_at,
        signed_by=json_text(event.signed_by.model_dump(mode="json") if event.signed_by else None),
    )


def _deadline_missed(batch: _Batch, event: ShipDeadlineMissed) -> None:
    column = "target_missed" if event.deadline is ShipDeadline.TARGET else "limit_missed"
    batch.update_shipment(**{column: event.due_at})


_APPLY: dict[type[LogisticsEvent], Callable[[_Batch, Any], None]] = {
    ShipmentRequested: _requested,
    ShipmentCancelled: _cancelled,
    ShipmentReceiverChanged: _receiver_changed,
    Shipped: _shipped,
    TrackingUpdated: _tracking_updated,
    ExceptionRaised: _exception_raised,
    ExceptionResolved: _exception_resolved,
    Delivered: _delivered,
    ShipDeadlineMissed: _deadline_missed,
}
