"""The order-topic policy: order facts in, shipments requested, re-addressed and called off.

Agreements 2 and 4: `order.placed` and `order.address_changed` keep the order's facts;
`order.paid` (or `order.balance_paid` for presale) requests the shipment with the shop's ship-by
window; `order.cancelled` and `order.closed` cancel a shipment that has not left. Events of
orders logistics never heard of are ignored, never dead-lettered.
"""

from __future__ import annotations

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
)
from contracts.parties import Actor
from eventing.codec import ContractsCodec
from eventing.encoding import ConsumedEvent
from eventing.events import EventMetadata
from logistics_service.application.order_facts import OrderFactsTable
from logistics_service.application.shipments import Acting, ShipmentCommands
from logistics_service.application.shop_policies import ShippingPolicies
from logistics_service.domain import CancelShipment, ChangeReceiver, RequestShipment
from logistics_service.domain.errors import (
    OrderAlreadyCancelled,
    ReceiverChangeAfterDispatch,
    ShipmentNotRequested,
)

log = structlog.get_logger(__name__)

HANDLED = frozenset(
    event.event_type
    for event in (OrderPlaced, AddressChanged, OrderPaid, BalancePaid, OrderCancelled, OrderClosed)
)


class OrderPolicy:
    """Subscription handler for the order topic (group `logistics.order-policy`)."""

    def __init__(
        self,
        shipments: ShipmentCommands,
        facts: OrderFactsTable,
        policies: ShippingPolicies,
        codec: ContractsCodec | None = None,
    ) -> None:
        self.shipments = shipments
        self.facts = facts
        self.policies = policies
        self.codec = codec or ContractsCodec()

    async def __call__(self, event: ConsumedEvent, connection: AsyncConnection) -> None:
        if event.event_type not in HANDLED:
            return
        envelope = self.codec.envelope(event)
        acting = Acting(
            EventMetadata(
                correlation_id=envelope.correlationid,
                causation_id=str(envelope.id),
                actor=Actor.SYSTEM.value,
            )
        )
        match envelope.data:
            case OrderPlaced() as placed:
                await self.facts.record_placed(placed, envelope.time, connection=connection)
            case AddressChanged() as changed:
                await self._address_changed(changed, acting, connection)
            case OrderPaid() | BalancePaid() as paid:
                await self._paid(paid, acting, connection)
            case OrderCancelled() | OrderClosed() as ended:
                await self._called_off(ended, acting, connection)

    async def _address_changed(
        self, changed: AddressChanged, acting: Acting, connection: AsyncConnection
    ) -> None:
        await self.facts.record_receiver(changed.order_id, changed.receiver, connection=connection)
        try:
            await self.shipments.execute(
                changed.order_id, ChangeReceiver(changed.receiver), acting, connection=connection
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
        facts = await self.facts.get(paid.order_id, connection=connection)
        if facts is None:
            log.warning("logistics.payment_of_unknown_order", order_id=paid.order_id)
            return
        await self.facts.record_paid(paid.order_id, paid.paid_at, connection=connection)
        policy = (await self.policies.get(connection, facts.shop_id)).policy
        command = RequestShipment(
            order_id=facts.order_id,
            shop_id=facts.shop_id,
            items=facts.items,
            receiver=facts.receiver,
            paid_at=paid.paid_at,
            window=policy.window,
        )
        await self.shipments.execute(paid.order_id, command, acting, connection=connection)

    async def _called_off(
        self, ended: OrderCancelled | OrderClosed, acting: Acting, connection: AsyncConnection
    ) -> None:
        if await self.facts.get(ended.order_id, connection=connection) is None:
            return  # an order logistics never heard of
        reason = (
            ShipmentCancellationReason.ORDER_CANCELLED
            if isinstance(ended, OrderCancelled)
            else ShipmentCancellationReason.ORDER_CLOSED
        )
        command = CancelShipment(order_id=ended.order_id, shop_id=ended.shop_id, reason=reason)
        await self.shipments.execute(ended.order_id, command, acting, connection=connection)
