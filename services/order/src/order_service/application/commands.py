"""The order's `AggregateRules` for the kit's command handler (every HTTP, reaction and deadline
command runs through it), and the facts placement is decided with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.base import OrderEvent
from contracts.events.order import OrderShipped, ShippedAfterClose, StockReleased, StockReserved
from eventing.deadlines import DeadlineScheduler
from eventing.decider import Decider
from eventing.handler import Acting, Change, CommandSource, Given
from eventing.http.access import Parties, may_see
from eventing.http.auth import Caller
from eventing.service import ServiceKit
from order_service.application import deadlines, state_tables
from order_service.application.state_tables import Who
from order_service.domain import order_decider
from order_service.domain.commands import OrderCommand
from order_service.domain.errors import OrderNotFound
from order_service.domain.policy import ShopPolicy
from order_service.domain.state import OrderState
from order_service.domain.stock import SkuStockLevel
from order_service.settings import OrderSettings

OrderKit = ServiceKit[OrderCommand, OrderEvent, OrderState, ShopPolicy, OrderSettings]
OrderGiven = Given[OrderState, ShopPolicy]
OrderChange = Change[OrderState, OrderEvent]
OrderCommandSource = CommandSource[OrderCommand, OrderState, ShopPolicy]


class OrderRules:
    """What the order service says about its aggregate beyond the pure decider."""

    def __init__(self, scheduler: DeadlineScheduler) -> None:
        self.scheduler = scheduler

    @property
    def decider(self) -> Decider[OrderCommand, OrderEvent, OrderState]:
        return order_decider

    def shop_of(self, state: OrderState) -> str | None:
        return state.shop_id or None

    def authorize(self, stream_id: str, state: OrderState, caller: Caller) -> None:
        """An order the caller may not see (or that does not exist) is refused as not found,
        so it does not leak; placement creates its stream and is not authorised here."""
        if not state.exists or not may_see(caller, Parties(state.buyer_id, state.shop_id)):
            raise OrderNotFound("no such order")

    async def before_append(
        self,
        connection: AsyncConnection,
        change: OrderChange,
        given: OrderGiven,
        acting: Acting,
    ) -> None:
        """Move the stock and the deadlines the decided events call for."""
        who = Who(actor=acting.actor, actor_id=acting.metadata.actor_id, order_id=change.stream_id)
        for event in change.events:
            await _move_stock(connection, change, event, who, given.now)
            await deadlines.reschedule(
                self.scheduler, connection, change.after, event, given.policy, given.now
            )


async def _move_stock(
    connection: AsyncConnection, change: OrderChange, event: OrderEvent, who: Who, at: datetime
) -> None:
    after = change.after
    if isinstance(event, StockReserved | StockReleased):
        kind = "reserve" if isinstance(event, StockReserved) else "release"
        quantities = {item.sku: item.quantity for item in event.items}
        await state_tables.move(
            connection, after.shop_id, quantities, kind, who, at, after.buyer_id
        )
    elif isinstance(event, OrderShipped) and change.before.reserved:
        quantities = {item.sku: item.quantity for item in change.before.reserved}
        await state_tables.move(connection, after.shop_id, quantities, "ship", who, at)
    elif isinstance(event, ShippedAfterClose):
        quantities = {item.sku: item.quantity for item in event.items}
        await state_tables.move(connection, after.shop_id, quantities, "leave", who, at)


@dataclass(frozen=True, slots=True)
class PlacementFacts:
    """What placement is decided with, read in the deciding transaction: the SKUs' stock
    levels (rows locked until commit) and what the buyer already holds of them."""

    stock: dict[str, SkuStockLevel]
    purchased_by_buyer: dict[str, int]


async def placement_facts(
    given: OrderGiven, shop_id: str, buyer_id: str, skus: Iterable[str]
) -> PlacementFacts:
    """Lock the SKUs' rows (in SKU order) and read the buyer's purchases."""
    ordered = list(skus)
    rows, purchased = await state_tables.lock_with_holdings(
        given.connection, shop_id, buyer_id, ordered
    )
    return PlacementFacts({sku: row.level for sku, row in rows.items()}, purchased)
