"""The shipment's rules beyond the decider: who may act on it, and what commits with its events.

Whatever must commit with the events (the waybill index, the ship-by deadlines) is written in
the same transaction before the append, which comes last because it holds the store's position
lock until commit.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import ExceptionResolved, Shipped
from eventing.deadlines import DeadlineScheduler
from eventing.decider import Decider
from eventing.handler import Acting, Change, CommandHandler, Given
from eventing.http.auth import Caller, Role
from eventing.runtime import ServiceRuntime
from logistics_service.application import state_tables
from logistics_service.application.deadlines import apply_deadline_changes
from logistics_service.domain import Shipment, ShipmentCommand, ShippingWindow, shipment_decider
from logistics_service.domain.errors import ShipmentNotFound
from logistics_service.settings import LogisticsSettings

ShipmentCommands = CommandHandler[ShipmentCommand, LogisticsEvent, Shipment, ShippingWindow]


class ShipmentRules:
    """`AggregateRules` of the shipment of one order (stream id: the order id)."""

    decider: Decider[ShipmentCommand, LogisticsEvent, Shipment] = shipment_decider

    def __init__(self, scheduler: DeadlineScheduler) -> None:
        self.scheduler = scheduler

    def shop_of(self, state: Shipment) -> str | None:
        return state.shop_id

    def authorize(self, stream_id: str, state: Shipment, caller: Caller) -> None:
        """A seller acts on their own shop's shipments only (roles are checked per route); one
        of another shop answers 404 like one not requested yet, as a read does."""
        if caller.role is Role.SELLER and state.shop_id != caller.shop_id:
            raise ShipmentNotFound(f"no shipment of your shop is known for order {stream_id}")

    async def before_append(
        self,
        connection: AsyncConnection,
        change: Change[Shipment, LogisticsEvent],
        given: Given[Shipment, ShippingWindow],
        acting: Acting,
    ) -> None:
        for event in change.events:
            match event:
                case Shipped(waybill=waybill) | ExceptionResolved(new_waybill=waybill) if waybill:
                    await state_tables.assign_waybill(
                        connection, waybill, change.stream_id, given.now
                    )
        await apply_deadline_changes(
            self.scheduler, connection, change.stream_id, change.events, acting
        )


def shipment_rules(runtime: ServiceRuntime, _: LogisticsSettings) -> ShipmentRules:
    return ShipmentRules(runtime.deadlines)
