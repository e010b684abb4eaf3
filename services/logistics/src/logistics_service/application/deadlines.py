"""Ship-by deadlines: when the target or the limit passes unshipped, record it (once each)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.logistics import ShipDeadline
from contracts.parties import Actor
from eventing.deadlines import Deadline, DeadlineHandler
from eventing.events import EventMetadata
from logistics_service.application.shipments import DEADLINE_KINDS, Acting, ShipmentCommands
from logistics_service.domain import MarkDeadlineMissed


def ship_deadline_handlers(shipments: ShipmentCommands) -> Mapping[str, DeadlineHandler]:
    """Handlers for the deadline worker, one per ship-by deadline kind."""

    def handler(which: ShipDeadline) -> DeadlineHandler:
        async def on_due(deadline: Deadline, connection: AsyncConnection) -> None:
            correlation_id = str(deadline.payload.get("correlation_id") or deadline.key)
            acting = Acting(EventMetadata(correlation_id=correlation_id, actor=Actor.SYSTEM.value))
            # The worker fires at or after due_at by the same clock, so "now" is never early;
            # a shipment that left or was called off meanwhile decides nothing.
            command = MarkDeadlineMissed(which, shipments.clock.now())
            await shipments.execute(deadline.key, command, acting, connection=connection)

        return on_due

    return {kind: handler(which) for which, kind in DEADLINE_KINDS.items()}
