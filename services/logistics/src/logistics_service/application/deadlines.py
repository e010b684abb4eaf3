"""Ship-by deadlines: scheduled when a shipment is requested, cancelled when it leaves or is
called off; when the target or the limit passes unshipped, it is recorded (once each)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import ShipDeadline, ShipmentCancelled, ShipmentRequested, Shipped
from eventing.deadlines import Deadline, DeadlineHandler, DeadlineScheduler
from eventing.handler import Acting, Given
from logistics_service.domain import MarkDeadlineMissed, Shipment, ShippingWindow

if TYPE_CHECKING:
    from logistics_service.api.context import LogisticsKit

DEADLINE_KINDS = {
    ShipDeadline.TARGET: "logistics.ship_by_target",
    ShipDeadline.LIMIT: "logistics.ship_by_limit",
}


async def apply_deadline_changes(
    scheduler: DeadlineScheduler,
    connection: AsyncConnection,
    order_id: str,
    events: Sequence[LogisticsEvent],
    acting: Acting,
) -> None:
    """Schedule or cancel the ship-by deadlines the decided events call for."""
    for event in events:
        match event:
            case ShipmentRequested():
                due = {ShipDeadline.TARGET: event.ship_by, ShipDeadline.LIMIT: event.ship_limit}
                correlation = acting.metadata.correlation_id or order_id
                for which, kind in DEADLINE_KINDS.items():
                    deadline = Deadline(
                        kind, order_id, due[which], payload={"correlation_id": correlation}
                    )
                    await scheduler.schedule(deadline, connection=connection)
            case Shipped() | ShipmentCancelled():
                for kind in DEADLINE_KINDS.values():
                    await scheduler.cancel(kind, order_id, connection=connection)


def deadline_handlers(kit: LogisticsKit) -> Mapping[str, DeadlineHandler]:
    """What each fired ship-by deadline does: record it missed (a shipment that left or was
    called off meanwhile decides nothing)."""

    def handler(which: ShipDeadline) -> DeadlineHandler:
        def missed(given: Given[Shipment, ShippingWindow]) -> MarkDeadlineMissed:
            # The worker fires at or after due_at by the same clock, so "now" is never early.
            return MarkDeadlineMissed(which, given.now)

        async def fire(deadline: Deadline, connection: AsyncConnection) -> None:
            await kit.commands.execute(connection, deadline.key, missed, Acting.deadline(deadline))

        return fire

    return {kind: handler(which) for which, kind in DEADLINE_KINDS.items()}
