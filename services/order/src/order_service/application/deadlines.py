"""Deadline handlers: unpaid auto-close, presale balance reminder and close, auto-confirm.

Each fires in the deadline worker's transaction (which deletes the timer), so it acts once. A
timer whose reason has gone (the order was paid, cancelled, completed...) finds the rules
refusing the command and records nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from eventing.clock import Clock
from eventing.deadlines import Deadline, DeadlineHandler
from eventing.decider import DomainError
from eventing.events import EventMetadata
from order_service.application.effects import (
    AUTO_CONFIRM,
    BALANCE_CLOSE,
    BALANCE_REMINDER,
    UNPAID_CLOSE,
)
from order_service.application.orders import OrderCommands
from order_service.domain.commands import (
    CloseForMissedBalance,
    CloseUnpaidOrder,
    ConfirmReceipt,
    OrderCommand,
    RemindBalance,
)
from order_service.domain.policy import ShopPolicy
from order_service.domain.state import OrderState

log = structlog.get_logger(__name__)

_COMMANDS: dict[str, Callable[[ShopPolicy, Clock], OrderCommand]] = {
    UNPAID_CLOSE: lambda _policy, clock: CloseUnpaidOrder(at=clock.now()),
    BALANCE_REMINDER: lambda _policy, clock: RemindBalance(at=clock.now()),
    BALANCE_CLOSE: lambda policy, clock: CloseForMissedBalance(
        at=clock.now(), forfeit_deposit=policy.forfeit_deposit_on_missed_balance
    ),
    AUTO_CONFIRM: lambda _policy, clock: ConfirmReceipt(at=clock.now(), automatic=True),
}


def deadline_handlers(commands: OrderCommands) -> Mapping[str, DeadlineHandler]:
    """The handler of every order deadline kind, for the `DeadlineWorker`."""

    def handler(kind: str) -> DeadlineHandler:
        async def fire(deadline: Deadline, connection: AsyncConnection) -> None:
            def command(_state: OrderState, policy: ShopPolicy) -> OrderCommand:
                return _COMMANDS[kind](policy, commands.clock)

            metadata = EventMetadata(
                correlation_id=deadline.key, actor="system", actor_id=f"deadline:{kind}"
            )
            try:
                await commands.execute(connection, deadline.key, command, metadata)
            except DomainError as refused:
                log.info("order.deadline_obsolete", kind=kind, order_id=deadline.key,
                         code=refused.code)  # fmt: skip

        return fire

    return {kind: handler(kind) for kind in _COMMANDS}
