"""Command handling for orders: load, authorise, decide, move stock and deadlines, append.

Every caller (HTTP endpoints, policies, deadline handlers) goes through `OrderCommands`, inside
a transaction it owns, so the same rules and effects apply whoever asks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.base import OrderEvent
from eventing.aggregate import AggregateRepository, Decision, VersionMismatch
from eventing.clock import Clock
from eventing.events import EventMetadata
from order_service.application import stock_store
from order_service.application.effects import OrderEffects
from order_service.application.policy_store import PolicyStore
from order_service.application.stock_store import Who
from order_service.domain.commands import OrderCommand, PlaceOrder
from order_service.domain.policy import ShopPolicy
from order_service.domain.state import OrderState

OrderRepository = AggregateRepository[OrderCommand, OrderEvent, OrderState]
CommandFor = Callable[[OrderState, ShopPolicy], OrderCommand]
Authorize = Callable[[OrderState], None]


class OrderCommands:
    """Runs order commands in the caller's transaction (see the module docstring)."""

    def __init__(
        self,
        repository: OrderRepository,
        effects: OrderEffects,
        policies: PolicyStore,
        clock: Clock,
    ) -> None:
        self.repository = repository
        self.effects = effects
        self.policies = policies
        self.clock = clock

    async def place(
        self, connection: AsyncConnection, command: PlaceOrder, metadata: EventMetadata
    ) -> Decision[OrderState, OrderEvent]:
        """Lock the SKUs' stock, decide with the levels and the shop's payment window, append."""
        skus = [line.sku for line in command.lines]
        rows = await stock_store.lock(connection, command.shop_id, skus)
        purchased = await stock_store.purchased_by(
            connection, command.shop_id, command.buyer_id, skus
        )
        policy = (await self.policies.get(connection, command.shop_id)).policy
        complete = replace(
            command,
            stock={sku: row.level for sku, row in rows.items()},
            purchased_by_buyer=purchased,
            payment_window=policy.payment_window,
        )
        return await self.execute(connection, command.order_id, lambda _s, _p: complete, metadata)

    async def execute(
        self,
        connection: AsyncConnection,
        order_id: str,
        command_for: CommandFor,
        metadata: EventMetadata,
        *,
        expected_version: int | None = None,
        authorize: Authorize | None = None,
    ) -> Decision[OrderState, OrderEvent]:
        """Run the command `command_for(state, shop policy)` against the order's stream."""
        loaded = await self.repository.load(order_id, connection=connection)
        if authorize is not None:
            authorize(loaded.state)
        if expected_version is not None and expected_version != loaded.version:
            raise VersionMismatch(order_id, expected_version, loaded.version)
        policy = self.policies.defaults
        if loaded.state.shop_id:
            policy = (await self.policies.get(connection, loaded.state.shop_id)).policy
        command = command_for(loaded.state, policy)
        who = Who(actor=metadata.actor or "system", actor_id=metadata.actor_id, order_id=order_id)

        async def move_stock_and_deadlines(
            before: OrderState, after: OrderState, events: tuple[OrderEvent, ...]
        ) -> None:
            await self.effects.apply(
                connection, before, after, list(events), policy, who, self.clock.now()
            )

        return await self.repository.execute(
            order_id,
            command,
            metadata=metadata,
            connection=connection,
            loaded=loaded,
            before_append=move_stock_and_deadlines,
        )
