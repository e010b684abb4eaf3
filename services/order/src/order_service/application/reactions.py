"""Reactions: the order's cross-service rules (agreements 3 and 6), each an upstream event type
and the order command it leads to, run through the kit in the subscription's transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.aftersales import Refunded
from contracts.events.base import EventPayload, OrderEvent
from contracts.events.logistics import Shipped
from contracts.parties import Service
from eventing.decider import DomainError
from eventing.encoding import ConsumedEvent
from eventing.handler import Acting
from eventing.service import Reaction
from eventing.subscriptions import Handler
from order_service.application.commands import OrderCommandSource, OrderGiven, OrderKit
from order_service.domain.commands import OrderCommand, RecordRefund, RecordShipment
from order_service.domain.policy import ShopPolicy
from order_service.domain.state import OrderState
from order_service.settings import OrderSettings

log = structlog.get_logger(__name__)

P = TypeVar("P", bound=EventPayload)
NOTHING_TO_RECORD = "nothing-to-record"
"""The code `order.reaction_refused` carries when the rules decided no event."""
OrderReaction = Reaction[OrderCommand, OrderEvent, OrderState, ShopPolicy, OrderSettings]


def record_shipment(shipped: Shipped) -> OrderCommandSource:
    """`logistics.shipped` -> `order.shipped` with the shop's receipt window for the goods."""

    def command(given: OrderGiven) -> OrderCommand:
        return RecordShipment(
            waybill=shipped.waybill,
            shipped_at=shipped.shipped_at,
            receipt_window=given.policy.receipt_window(given.state.goods_kind),
            items=shipped.items,
        )

    return command


def record_refund(refunded: Refunded) -> OrderCommandSource:
    """`aftersales.refunded` -> `order.refund_recorded` (and `order.closed` when empty)."""
    return RecordRefund(
        case_id=refunded.case_id,
        amount=refunded.amount.amount,
        currency=refunded.amount.currency,
    )


def reacting_to(
    upstream: type[P], command_for: Callable[[P], OrderCommandSource]
) -> Callable[[OrderKit], Handler]:
    """The subscription handler that runs `command_for(event)` on the event's order for each
    `upstream` event (other types on the topic are skipped). Events about orders this service
    never placed, that the order's rules refuse, or that leave the rules nothing to record (a
    shipment already recorded) record nothing: they are logged (`order.reaction_refused`) and
    not retried (they would be refused again)."""

    def handler(kit: OrderKit) -> Handler:
        async def handle(consumed: ConsumedEvent, connection: AsyncConnection) -> None:
            if consumed.event_type != upstream.event_type:
                return
            envelope = kit.runtime.codec.envelope(consumed)
            event = envelope.data
            assert isinstance(event, upstream)
            acting = Acting.reaction(envelope)
            try:
                decision = await kit.commands.execute(
                    connection, event.order_id, command_for(event), acting
                )
            except DomainError as refused:
                # The order's rules are the authority here: a refused reaction records nothing.
                log.info(
                    "order.reaction_refused",
                    order_id=event.order_id,
                    upstream=envelope.type,
                    code=refused.code,
                    reason=refused.message,
                )
                return
            if not decision.events:
                # The rules accepted it with nothing to record (a second shipment, a refund
                # already recorded): to on-call that is a refusal too, and must be visible.
                log.info(
                    "order.reaction_refused",
                    order_id=event.order_id,
                    upstream=envelope.type,
                    code=NOTHING_TO_RECORD,
                    reason=f"the order is {decision.state.status}; nothing to record",
                )

        return handle

    return handler


# The consumer groups (`order.shipment-policy`, `order.refund-policy`) keep their deployed names.
REACTIONS: tuple[OrderReaction, ...] = (
    Reaction("shipment-policy", (Service.LOGISTICS,), reacting_to(Shipped, record_shipment)),
    Reaction("refund-policy", (Service.AFTERSALES,), reacting_to(Refunded, record_refund)),
)
