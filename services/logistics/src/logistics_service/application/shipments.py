"""Running shipment commands: load the order's shipment, decide, keep what goes with it, append.

Whatever must commit with the events (the waybill index, the ship-by deadlines) is written in
the same transaction before the append, which comes last because it holds the store's position
lock until commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import (
    ExceptionResolved,
    ShipDeadline,
    ShipmentCancelled,
    ShipmentRequested,
    Shipped,
)
from eventing.aggregate import AggregateRepository, Decision, Loaded
from eventing.clock import Clock
from eventing.deadlines import Deadline, DeadlineScheduler
from eventing.events import EventMetadata
from logistics_service.application.waybills import WaybillIndex
from logistics_service.domain import Shipment, ShipmentCommand
from logistics_service.domain.errors import NotTheShopsShipment

ShipmentRepository = AggregateRepository[ShipmentCommand, LogisticsEvent, Shipment]
ShipmentDecision = Decision[Shipment, LogisticsEvent]

DEADLINE_KINDS = {
    ShipDeadline.TARGET: "logistics.ship_by_target",
    ShipDeadline.LIMIT: "logistics.ship_by_limit",
}


@dataclass(frozen=True, slots=True)
class Acting:
    """Who runs a command: the event metadata, and the shop a seller is limited to."""

    metadata: EventMetadata
    seller_shop_id: str | None = None


class ShipmentCommands:
    """The one way every command reaches an order's shipment (HTTP, policies, deadlines)."""

    def __init__(
        self,
        repository: ShipmentRepository,
        scheduler: DeadlineScheduler,
        waybills: WaybillIndex,
        clock: Clock,
    ) -> None:
        self.repository = repository
        self.scheduler = scheduler
        self.waybills = waybills
        self.clock = clock

    async def load(self, order_id: str, *, connection: AsyncConnection) -> Loaded[Shipment]:
        return await self.repository.load(order_id, connection=connection)

    async def execute(
        self,
        order_id: str,
        command: ShipmentCommand,
        acting: Acting,
        *,
        connection: AsyncConnection,
        expected_version: int | None = None,
    ) -> ShipmentDecision:
        """Decide and append in `connection`'s transaction; raises the domain's refusals."""
        loaded = await self.repository.load(order_id, connection=connection)
        shop_id = loaded.state.shop_id
        if acting.seller_shop_id is not None and shop_id not in (None, acting.seller_shop_id):
            raise NotTheShopsShipment(f"order {order_id} is not an order of your shop")

        async def accompany(_: Shipment, __: Shipment, events: tuple[LogisticsEvent, ...]) -> None:
            await self._accompany(order_id, events, acting.metadata, connection)

        return await self.repository.execute(
            order_id,
            command,
            metadata=acting.metadata,
            connection=connection,
            expected_version=expected_version,
            loaded=loaded,
            before_append=accompany,
        )

    async def _accompany(
        self,
        order_id: str,
        events: Sequence[LogisticsEvent],
        metadata: EventMetadata,
        connection: AsyncConnection,
    ) -> None:
        now = self.clock.now()
        for event in events:
            match event:
                case ShipmentRequested():
                    await self._schedule_deadlines(event, metadata, connection)
                case Shipped():
                    await self.waybills.assign(event.waybill, order_id, now, connection=connection)
                    await self._cancel_deadlines(order_id, connection)
                case ShipmentCancelled():
                    await self._cancel_deadlines(order_id, connection)
                case ExceptionResolved(new_waybill=new_waybill) if new_waybill is not None:
                    await self.waybills.assign(new_waybill, order_id, now, connection=connection)

    async def _schedule_deadlines(
        self, requested: ShipmentRequested, metadata: EventMetadata, connection: AsyncConnection
    ) -> None:
        due = {ShipDeadline.TARGET: requested.ship_by, ShipDeadline.LIMIT: requested.ship_limit}
        for deadline, kind in DEADLINE_KINDS.items():
            await self.scheduler.schedule(
                Deadline(
                    kind=kind,
                    key=requested.order_id,
                    due_at=due[deadline],
                    payload={"correlation_id": metadata.correlation_id or requested.order_id},
                ),
                connection=connection,
            )

    async def _cancel_deadlines(self, order_id: str, connection: AsyncConnection) -> None:
        for kind in DEADLINE_KINDS.values():
            await self.scheduler.cancel(kind, order_id, connection=connection)
