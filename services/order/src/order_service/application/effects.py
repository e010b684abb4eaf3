"""What the order's events change besides its stream: stock rows and durable deadlines.

Applied in the same transaction as the append (before it, since the append holds the store's
position lock until commit), so stock and timers move exactly when the events are recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.base import OrderEvent
from contracts.events.order import (
    AutoConfirmExtended,
    BalancePaid,
    DepositPaid,
    OrderCancelled,
    OrderClosed,
    OrderCompleted,
    OrderPaid,
    OrderPlaced,
    OrderShipped,
    StockReleased,
    StockReserved,
)
from eventing.deadlines import Deadline, DeadlineScheduler
from order_service.application import stock_store
from order_service.application.stock_store import Who
from order_service.domain.policy import ShopPolicy
from order_service.domain.state import OrderState

UNPAID_CLOSE = "order.unpaid_close"
BALANCE_REMINDER = "order.balance_reminder"
BALANCE_CLOSE = "order.balance_close"
AUTO_CONFIRM = "order.auto_confirm"
DEADLINE_KINDS = (UNPAID_CLOSE, BALANCE_REMINDER, BALANCE_CLOSE, AUTO_CONFIRM)


class OrderEffects:
    """Moves stock and schedules or cancels the order's deadlines for decided events."""

    def __init__(self, scheduler: DeadlineScheduler) -> None:
        self._scheduler = scheduler

    async def apply(
        self,
        connection: AsyncConnection,
        before: OrderState,
        after: OrderState,
        events: Sequence[OrderEvent],
        policy: ShopPolicy,
        who: Who,
        at: datetime,
    ) -> None:
        for event in events:
            await self._stock(connection, before, after, event, who, at)
            await self._deadlines(connection, after, event, policy)

    async def _stock(
        self,
        connection: AsyncConnection,
        before: OrderState,
        after: OrderState,
        event: OrderEvent,
        who: Who,
        at: datetime,
    ) -> None:
        if isinstance(event, StockReserved):
            quantities = {item.sku: item.quantity for item in event.items}
            await stock_store.move(
                connection, after.shop_id, quantities, "reserve", who, at, after.buyer_id
            )
        elif isinstance(event, StockReleased):
            quantities = {item.sku: item.quantity for item in event.items}
            await stock_store.move(
                connection, after.shop_id, quantities, "release", who, at, after.buyer_id
            )
        elif isinstance(event, OrderShipped) and before.reserved:
            quantities = {item.sku: item.quantity for item in before.reserved}
            await stock_store.move(connection, after.shop_id, quantities, "ship", who, at)

    async def _deadlines(
        self,
        connection: AsyncConnection,
        after: OrderState,
        event: OrderEvent,
        policy: ShopPolicy,
    ) -> None:
        order_id = after.order_id
        schedule = self._scheduler.schedule
        match event:
            case OrderPlaced():
                await schedule(
                    Deadline(UNPAID_CLOSE, order_id, event.payment_due_by), connection=connection
                )
            case OrderPaid():
                await self._cancel(connection, order_id, UNPAID_CLOSE)
            case DepositPaid():
                await self._cancel(connection, order_id, UNPAID_CLOSE)
                remind_at = event.balance_due_by - policy.balance_reminder_lead
                await schedule(
                    Deadline(BALANCE_REMINDER, order_id, max(remind_at, event.balance_starts_at)),
                    connection=connection,
                )
                await schedule(
                    Deadline(BALANCE_CLOSE, order_id, event.balance_due_by), connection=connection
                )
            case BalancePaid():
                await self._cancel(connection, order_id, BALANCE_REMINDER, BALANCE_CLOSE)
            case OrderShipped() | AutoConfirmExtended():
                await schedule(
                    Deadline(AUTO_CONFIRM, order_id, event.auto_confirm_at), connection=connection
                )
            case OrderCancelled() | OrderClosed() | OrderCompleted():
                await self._cancel(connection, order_id, *DEADLINE_KINDS)
            case _:
                pass

    async def _cancel(self, connection: AsyncConnection, order_id: str, *kinds: str) -> None:
        for kind in kinds:
            await self._scheduler.cancel(kind, order_id, connection=connection)
