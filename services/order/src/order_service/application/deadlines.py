"""The order's deadlines: their kinds, which decided events schedule or cancel them, and the
command each runs when it fires (unpaid close, balance reminder and close, auto-confirm)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

import structlog
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
)
from eventing.deadlines import Deadline, DeadlineHandler, DeadlineScheduler
from eventing.decider import DomainError
from eventing.handler import Acting, Given
from order_service.domain.commands import (
    CloseForMissedBalance,
    CloseUnpaidOrder,
    ConfirmReceipt,
    OrderCommand,
    RemindBalance,
)
from order_service.domain.policy import ShopPolicy
from order_service.domain.state import OrderState

if TYPE_CHECKING:
    from order_service.application.commands import OrderKit

log = structlog.get_logger(__name__)

UNPAID_CLOSE = "order.unpaid_close"
BALANCE_REMINDER = "order.balance_reminder"
BALANCE_CLOSE = "order.balance_close"
AUTO_CONFIRM = "order.auto_confirm"
DEADLINE_KINDS = (UNPAID_CLOSE, BALANCE_REMINDER, BALANCE_CLOSE, AUTO_CONFIRM)

_COMMANDS: dict[str, Callable[[Given[OrderState, ShopPolicy]], OrderCommand]] = {
    UNPAID_CLOSE: lambda given: CloseUnpaidOrder(at=given.now),
    BALANCE_REMINDER: lambda given: RemindBalance(at=given.now),
    BALANCE_CLOSE: lambda given: CloseForMissedBalance(
        at=given.now, forfeit_deposit=given.policy.forfeit_deposit_on_missed_balance
    ),
    AUTO_CONFIRM: lambda given: ConfirmReceipt(at=given.now, automatic=True),
}


async def reschedule(
    scheduler: DeadlineScheduler,
    connection: AsyncConnection,
    after: OrderState,
    event: OrderEvent,
    policy: ShopPolicy,
) -> None:
    """Schedule or cancel the deadlines `event` calls for (before it is appended)."""
    order_id = after.order_id

    async def schedule(kind: str, due_at: datetime) -> None:
        await scheduler.schedule(Deadline(kind, order_id, due_at), connection=connection)

    async def cancel(*kinds: str) -> None:
        for kind in kinds:
            await scheduler.cancel(kind, order_id, connection=connection)

    match event:
        case OrderPlaced():
            await schedule(UNPAID_CLOSE, event.payment_due_by)
        case OrderPaid():
            await cancel(UNPAID_CLOSE)
        case DepositPaid():
            await cancel(UNPAID_CLOSE)
            remind_at = event.balance_due_by - policy.balance_reminder_lead
            await schedule(BALANCE_REMINDER, max(remind_at, event.balance_starts_at))
            await schedule(BALANCE_CLOSE, event.balance_due_by)
        case BalancePaid():
            await cancel(BALANCE_REMINDER, BALANCE_CLOSE)
        case OrderShipped() | AutoConfirmExtended():
            await schedule(AUTO_CONFIRM, event.auto_confirm_at)
        case OrderCancelled() | OrderClosed() | OrderCompleted():
            await cancel(*DEADLINE_KINDS)
        case _:
            pass


def deadline_handlers(kit: OrderKit) -> Mapping[str, DeadlineHandler]:
    """The handler of every order deadline kind, for the deadline worker. It fires in the
    transaction that deletes the timer, so it acts once; a timer whose reason has gone (the
    order was paid, cancelled, completed...) finds the rules refusing: nothing is recorded."""

    def handler(kind: str) -> DeadlineHandler:
        async def fire(deadline: Deadline, connection: AsyncConnection) -> None:
            try:
                await kit.commands.execute(
                    connection, deadline.key, _COMMANDS[kind], Acting.deadline(deadline)
                )
            except DomainError as refused:
                log.info("order.deadline_obsolete", kind=kind, order_id=deadline.key,
                         code=refused.code)  # fmt: skip

        return fire

    return {kind: handler(kind) for kind in _COMMANDS}
