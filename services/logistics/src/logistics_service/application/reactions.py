"""The order-topic reaction: order facts in, shipments requested, re-addressed and called off.

Agreements 2 and 4: `order.placed` and `order.address_changed` keep the order's facts;
`order.paid` (or `order.balance_paid` for presale) requests the shipment with the shop's ship-by
window; `order.cancelled` and `order.closed` cancel a shipment that has not left. Events of
orders logistics never heard of are ignored, never dead-lettered. Receivers are kept sealed as
they come; `order.personal_data_erased` drops the erased buyer's data keys from memory.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.logistics import ShipmentCancellationReason
from contracts.events.order import (
    AddressChanged,
    BalancePaid,
    OrderCancelled,
    OrderClosed,
    OrderPaid,
    OrderPlaced,
    PersonalDataErased,
)
from contracts.parties import Service
from eventing.encoding import ConsumedEvent
from eventing.handler import Acting
from eventing.service import Reaction
from eventing.subscriptions import Handler
from logistics_service.application import state_tables
from logistics_service.domain import CancelShipment, ChangeReceiver, RequestShipment
from logistics_service.domain.errors import (
    OrderAlreadyCancelled,
    ReceiverChangeAfterDispatch,
    ShipmentNotRequested,
)

if TYPE_CHECKING:
    from logistics_service.api.context import LogisticsKit

log = structlog.get_logger(__name__)

HANDLED = frozenset(
    event.event_type
    for event in (
        OrderPlaced,
        AddressChanged,
        OrderPaid,
        BalancePaid,
        OrderCancelled,
        OrderClosed,
        PersonalDataErased,
    )
)


class OrderReaction:
    """Subscription handler for the order topic (group `logistics.order-policy`)."""

    def __init__(self, kit: LogisticsKit) -> None:
        self.kit = kit

    async def __call__(self, event: ConsumedEvent, connection: AsyncConnection) -> None:
        if event.event_type not in HANDLED:
            return
        envelope = self.kit.runtime.codec.envelope(event)
        acting = Acting.reaction(envelope)
        match envelope.data:
            case OrderPlaced() as placed:
                await state_tables.record_placed(connection, placed, envelope.time)
            case AddressChanged() as changed:
                await self._address_changed(changed, acting, connection)
            case OrderPaid() | BalancePaid() as paid:
                await self._paid(paid, acting, connection)
            case OrderCancelled() | OrderClosed() as ended:
                await self._called_off(ended, envelope.time, acting, connection)
            case PersonalDataErased() as erased:
                # Everything stored is sealed: forgetting the keys is the whole erasure here.
                self.kit.personal_data.keys.forget(erased.key_ids)

    async def _address_changed(
        self, changed: AddressChanged, acting: Acting, connection: AsyncConnection
    ) -> None:
        await state_tables.record_receiver(connection, changed.order_id, changed.receiver)
        try:
            await self.kit.commands.execute(
                connection, changed.order_id, ChangeReceiver(changed.receiver), acting
            )
        except ShipmentNotRequested:
            return  # not paid yet: the request will carry the new receiver from the facts
        except (ReceiverChangeAfterDispatch, OrderAlreadyCancelled) as refused:
            # The order service accepted the change before it learned of the dispatch (or the
            # order is off): the parcel keeps its label; nothing to retry.
            log.warning(
                "logistics.receiver_change_ignored",
                order_id=changed.order_id,
                reason=refused.code,
            )

    async def _paid(
        self, paid: OrderPaid | BalancePaid, acting: Acting, connection: AsyncConnection
    ) -> None:
        facts = await state_tables.facts_of(connection, paid.order_id)
        if facts is None:
            log.warning("logistics.payment_of_unknown_order", order_id=paid.order_id)
            return
        await state_tables.record_paid(connection, paid.order_id, paid.paid_at)
        window = await self.kit.policies.domain_for(connection, facts.shop_id)
        command = RequestShipment(
            order_id=facts.order_id,
            shop_id=facts.shop_id,
            items=facts.items,
            receiver=facts.receiver,
            paid_at=paid.paid_at,
            window=window,
        )
        await self.kit.commands.execute(connection, paid.order_id, command, acting)

    async def _called_off(
        self,
        ended: OrderCancelled | OrderClosed,
        ended_at: datetime,
        acting: Acting,
        connection: AsyncConnection,
    ) -> None:
        if await state_tables.facts_of(connection, ended.order_id) is None:
            return  # an order logistics never heard of
        reason = (
            ShipmentCancellationReason.ORDER_CANCELLED
            if isinstance(ended, OrderCancelled)
            else ShipmentCancellationReason.ORDER_CLOSED
        )
        command = CancelShipment(
            order_id=ended.order_id, shop_id=ended.shop_id, reason=reason, cancelled_at=ended_at
        )
        await self.kit.commands.execute(connection, ended.order_id, command, acting)


def _order_reaction(kit: LogisticsKit) -> Handler:
    return OrderReaction(kit)


REACTIONS = (Reaction("order-policy", (Service.ORDER,), _order_reaction),)
