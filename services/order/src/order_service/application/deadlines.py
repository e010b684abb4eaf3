"""The order's deadlines: their kinds, which decided events schedule or cancel them, and the
command each runs when it fires (reminders to pay, unpaid close, balance close, auto-confirm).

Reminders to pay are one mechanism: `domain.policy.reminder_time` says when, a deadline of kind
`order.payment_reminder` (the full payment or the deposit) or `order.balance_reminder` (the
presale balance) fires `RemindToPay` for its stage, and the decider sends it once, never after
the payment."""

from __future__ import annotations

import functools
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
    PaymentStage,
)
from eventing.deadlines import Deadline, DeadlineHandler, DeadlineScheduler
from eventing.decider import DomainError
from eventing.handler import Acting, Given
from order_service.domain.commands import (
    CloseForMissedBalance,
    CloseUnpaidOrder,
    ConfirmReceipt,
    OrderCommand,
    RemindToPay,
)
from order_service.domain.policy import ShopPolicy, reminder_time
from order_service.domain.state import OrderState

if TYPE_CHECKING:
    from order_service.application.commands import OrderKit

log = structlog.get_logger(__name__)

UNPAID_CLOSE = "order.unpaid_close"
PAYMENT_REMINDER = "order.payment_reminder"
BALANCE_REMINDER = "order.balance_reminder"
BALANCE_CLOSE = "order.balance_close"
AUTO_CONFIRM = "order.auto_confirm"
DEADLINE_KINDS = (UNPAID_CLOSE, PAYMENT_REMINDER, BALANCE_REMINDER, BALANCE_CLOSE, AUTO_CONFIRM)

_COMMANDS: dict[str, Callable[[Given[OrderState, ShopPolicy]], OrderCommand]] = {
    UNPAID_CLOSE: lambda given: CloseUnpaidOrder(at=given.now),
    PAYMENT_REMINDER: lambda given: RemindToPay(
        at=given.now,
        stage=PaymentStage.DEPOSIT if given.state.presale else PaymentStage.FULL,
    ),
    BALANCE_REMINDER: lambda given: RemindToPay(at=given.now, stage=PaymentStage.BALANCE),
    BALANCE_CLOSE: lambda given: CloseForMissedBalance(
        at=given.now, forfeit_deposit=given.policy.forfeit_deposit_on_missed_balance
    ),
    AUTO_CONFIRM: lambda given: ConfirmReceipt(at=given.now, automatic=True),
}


def deadline_command(kind: str, given: Given[OrderState, ShopPolicy]) -> OrderCommand:
    """The command a deadline of `kind` runs when it fires, given the order as it is then."""
    return _COMMANDS[kind](given)


async def reschedule(
    scheduler: DeadlineScheduler,
    connection: AsyncConnection,
    after: OrderState,
    event: OrderEvent,
    policy: ShopPolicy,
    now: datetime,
) -> None:
    """Schedule or cancel the deadlines `event`, decided at `now`, calls for (before it is
    appended)."""
    order_id = after.order_id

    async def schedule(*deadlines: tuple[str, datetime]) -> None:
        await scheduler.schedule_all(
            [Deadline(kind, order_id, due_at) for kind, due_at in deadlines],
            connection=connection,
        )

    async def cancel(*kinds: str) -> None:
        await scheduler.cancel_all(kinds, order_id, connection=connection)

    match event:
        case OrderPlaced():
            lead = policy.payment_reminder_lead
            await schedule(
                (UNPAID_CLOSE, event.payment_due_by),
                (PAYMENT_REMINDER, reminder_time(now, event.payment_due_by, lead)),
            )
        case OrderPaid():
            await cancel(UNPAID_CLOSE, PAYMENT_REMINDER)
        case DepositPaid():
            await cancel(UNPAID_CLOSE, PAYMENT_REMINDER)
            remind_at = reminder_time(
                event.balance_starts_at, event.balance_due_by, policy.balance_reminder_lead
            )
            await schedule((BALANCE_REMINDER, remind_at), (BALANCE_CLOSE, event.balance_due_by))
        case BalancePaid():
            await cancel(BALANCE_REMINDER, BALANCE_CLOSE)
        case OrderShipped() | AutoConfirmExtended():
            await schedule((AUTO_CONFIRM, event.auto_confirm_at))
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
                    connection,
                    deadline.key,
                    functools.partial(deadline_command, kind),
                    Acting.deadline(deadline),
                )
            except DomainError as refused:
                log.info("order.deadline_obsolete", kind=kind, order_id=deadline.key,
                         code=refused.code)  # fmt: skip

        return fire

    return {kind: handler(kind) for kind in _COMMANDS}
