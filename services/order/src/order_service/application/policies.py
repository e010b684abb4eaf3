"""Policies: the order's reactions to the logistics and aftersales topics (agreements 3 and 6).

Each runs in its subscription's transaction, so the order's events and the consumer position
commit together. Events about orders this service never placed, or that the order's rules
refuse (e.g. a shipment of an order already cancelled), record nothing.
"""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.envelope import Envelope
from contracts.events.aftersales import Refunded
from contracts.events.logistics import Shipped
from eventing.codec import ContractsCodec
from eventing.decider import DomainError
from eventing.encoding import ConsumedEvent
from eventing.events import EventMetadata
from order_service.application.orders import CommandFor, OrderCommands
from order_service.domain.commands import RecordRefund, RecordShipment
from order_service.domain.policy import ShopPolicy
from order_service.domain.state import OrderState

log = structlog.get_logger(__name__)


def policy_metadata(envelope: Envelope) -> EventMetadata:
    """Events caused by another service's event: system actor, its correlation, it as cause."""
    return EventMetadata(
        correlation_id=envelope.correlationid,
        causation_id=str(envelope.id),
        actor="system",
        actor_id=f"policy:{envelope.type}",
    )


class OrderPolicies:
    """Subscription handlers for the logistics and aftersales topics."""

    def __init__(self, commands: OrderCommands, codec: ContractsCodec | None = None) -> None:
        self._commands = commands
        self._codec = codec or ContractsCodec()

    async def on_logistics_event(
        self, consumed: ConsumedEvent, connection: AsyncConnection
    ) -> None:
        """`logistics.shipped` -> `order.shipped` with the shop's receipt window."""
        if consumed.event_type != Shipped.event_type:
            return
        envelope = self._codec.envelope(consumed)
        shipped = envelope.data
        assert isinstance(shipped, Shipped)

        def command(state: OrderState, policy: ShopPolicy) -> RecordShipment:
            return RecordShipment(
                waybill=shipped.waybill,
                shipped_at=shipped.shipped_at,
                receipt_window=policy.receipt_window(state.goods_kind),
            )

        await self._run(connection, envelope, shipped.order_id, command)

    async def on_aftersales_event(
        self, consumed: ConsumedEvent, connection: AsyncConnection
    ) -> None:
        """`aftersales.refunded` -> `order.refund_recorded` (and `order.closed` when empty)."""
        if consumed.event_type != Refunded.event_type:
            return
        envelope = self._codec.envelope(consumed)
        refunded = envelope.data
        assert isinstance(refunded, Refunded)
        refund = RecordRefund(
            case_id=refunded.case_id,
            amount=refunded.amount.amount,
            currency=refunded.amount.currency,
        )
        await self._run(connection, envelope, refunded.order_id, lambda _s, _p: refund)

    async def _run(
        self,
        connection: AsyncConnection,
        envelope: Envelope,
        order_id: str,
        command: CommandFor,
    ) -> None:
        try:
            await self._commands.execute(connection, order_id, command, policy_metadata(envelope))
        except DomainError as refused:
            # The order's rules are the authority here: a refused reaction records nothing,
            # and the upstream event is not retried (it would be refused again).
            log.info(
                "order.policy_refused",
                order_id=order_id,
                upstream=envelope.type,
                code=refused.code,
                reason=refused.message,
            )
