"""The shipments read model, fed from the logistics topic (or the event store, for a rebuild).

One projector keeps three tables: a row per shipment (queues and figures read it), the
tracking history and the exceptions. Each shipment row stores the stream version it shows, and
an event at or below that version is skipped, so replays and redeliveries change nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
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
from logistics_service.domain.state import ShipmentStatus
from logistics_service.projections.tables import shipment_exceptions, shipment_tracking, shipments

_CODEC = ContractsCodec()


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
    envelope = _CODEC.envelope(event)
    payload = envelope.data
    if not isinstance(payload, LogisticsEvent):
        return
    target = Target(tables)
    shown = await connection.scalar(
        select(target.shipments.c.version).where(target.shipments.c.order_id == payload.order_id)
    )
    if shown is not None and event.sequence <= shown:
        return
    apply = _APPLY.get(type(payload))
    if apply is not None:
        await apply(_Step(payload, envelope.time, event.sequence, connection, target))


class _Step:
    """One event being applied: the event, when it happened, its version, where to write."""

    def __init__(
        self,
        event: Any,
        at: datetime,
        version: int,
        connection: AsyncConnection,
        target: Target,
    ) -> None:
        self.event = event
        self.at = at
        self.version = version
        self.connection = connection
        self.target = target

    async def update_shipment(self, **values: Any) -> None:
        table = self.target.shipments
        await self.connection.execute(
            table.update()
            .where(table.c.order_id == self.event.order_id)
            .values(version=self.version, updated_at=self.at, **values)
        )

    async def upsert_shipment(self, **values: Any) -> None:
        table = self.target.shipments
        event = self.event
        row = {
            "order_id": event.order_id,
            "shop_id": event.shop_id,
            "shipment_id": event.shipment_id,
            "version": self.version,
            "updated_at": self.at,
            **values,
        }
        statement = insert(table).values(**row)
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.order_id],
                set_={key: value for key, value in row.items() if key != "order_id"},
            )
        )


async def _requested(step: _Step) -> None:
    event: ShipmentRequested = step.event
    await step.upsert_shipment(
        status=ShipmentStatus.AWAITING_DISPATCH.value,
        items=[item.model_dump(mode="json") for item in event.items],
        receiver=event.receiver.model_dump(mode="json"),
        ship_by=event.ship_by,
        ship_limit=event.ship_limit,
        requested_at=step.at,
    )


async def _cancelled(step: _Step) -> None:
    event: ShipmentCancelled = step.event
    await step.upsert_shipment(
        status=ShipmentStatus.CANCELLED.value, cancel_reason=event.reason.value
    )


async def _receiver_changed(step: _Step) -> None:
    event: ShipmentReceiverChanged = step.event
    await step.update_shipment(receiver=event.receiver.model_dump(mode="json"))


async def _shipped(step: _Step) -> None:
    event: Shipped = step.event
    await step.update_shipment(
        status=ShipmentStatus.SHIPPED.value,
        carrier=event.waybill.carrier,
        tracking_number=event.waybill.tracking_number,
        shipped_at=event.shipped_at,
    )


async def _tracking_updated(step: _Step) -> None:
    event: TrackingUpdated = step.event
    scan = event.checkpoint
    await step.connection.execute(
        insert(step.target.tracking)
        .values(
            order_id=event.order_id,
            carrier=event.waybill.carrier,
            tracking_number=event.waybill.tracking_number,
            occurred_at=scan.occurred_at,
            status=scan.status.value,
            location=scan.location,
            description=scan.description,
            version=step.version,
        )
        .on_conflict_do_nothing()
    )
    table = step.target.shipments
    latest = await step.connection.scalar(
        select(table.c.last_checkpoint_at).where(table.c.order_id == event.order_id)
    )
    # The current status follows the carrier's clock: an older scan arriving late adds to the
    # history but leaves the status alone.
    if latest is None or scan.occurred_at >= latest:
        await step.update_shipment(
            tracking_status=scan.status.value, last_checkpoint_at=scan.occurred_at
        )
    else:
        await step.update_shipment()


async def _exception_raised(step: _Step) -> None:
    event: ExceptionRaised = step.event
    await step.connection.execute(
        insert(step.target.exceptions)
        .values(
            order_id=event.order_id,
            shop_id=event.shop_id,
            exception_id=event.exception_id,
            kind=event.kind.value,
            description=event.description,
            opened_at=step.at,
        )
        .on_conflict_do_nothing()
    )
    table = step.target.shipments
    await step.update_shipment(
        open_exceptions=table.c.open_exceptions + 1,
        exceptions_raised=table.c.exceptions_raised + 1,
    )


async def _exception_resolved(step: _Step) -> None:
    event: ExceptionResolved = step.event
    exceptions = step.target.exceptions
    await step.connection.execute(
        exceptions.update()
        .where(
            exceptions.c.order_id == event.order_id,
            exceptions.c.exception_id == event.exception_id,
        )
        .values(
            resolution=event.resolution.value,
            resolved_at=step.at,
            new_waybill=event.new_waybill.model_dump() if event.new_waybill else None,
            claim_amount=event.claim_amount.model_dump() if event.claim_amount else None,
            note=event.note,
        )
    )
    table = step.target.shipments
    values: dict[str, Any] = {"open_exceptions": table.c.open_exceptions - 1}
    if event.new_waybill is not None:
        values.update(
            status=ShipmentStatus.SHIPPED.value,
            carrier=event.new_waybill.carrier,
            tracking_number=event.new_waybill.tracking_number,
            delivered_at=None,
            signed_by=None,
        )
    await step.update_shipment(**values)


async def _delivered(step: _Step) -> None:
    event: Delivered = step.event
    await step.update_shipment(
        status=ShipmentStatus.DELIVERED.value,
        delivered_at=event.delivered_at,
        signed_by=event.signed_by.model_dump(mode="json") if event.signed_by else None,
    )


async def _deadline_missed(step: _Step) -> None:
    event: ShipDeadlineMissed = step.event
    column = "target_missed" if event.deadline is ShipDeadline.TARGET else "limit_missed"
    await step.update_shipment(**{column: event.due_at})


_APPLY: dict[type[LogisticsEvent], Callable[[_Step], Awaitable[None]]] = {
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
