"""`REACTIONS`: the reaction to the order and logistics topics (one subscription, agreements 5
and 7)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.application.commands import (
    AftersalesGiven,
    AftersalesKit,
    intercept_case_id,
    order_policy,
)
from aftersales_service.application.state_tables import FACT_EVENTS, record_facts
from aftersales_service.domain.commands import (
    Command,
    OpenInterceptCase,
    RecordOrderDelivered,
    RecordOrderShipped,
)
from aftersales_service.domain.facts import OrderFacts
from aftersales_service.domain.policy import RefundPolicy
from aftersales_service.domain.state import AftersalesState
from aftersales_service.settings import AftersalesSettings
from contracts.events.aftersales import AftersalesStreamEvent
from contracts.events.logistics import Delivered, Shipped
from contracts.events.order import OrderCancelled
from contracts.parties import Service
from eventing.encoding import ConsumedEvent
from eventing.handler import Acting
from eventing.service import Reaction
from eventing.subscriptions import Handler

HANDLED_TYPES = frozenset(event.event_type for event in FACT_EVENTS)


def upstream_facts(kit: AftersalesKit) -> Handler:
    """Each upstream event first updates the order's facts; a shipment then closes refund-only
    requests for unshipped goods still awaiting an answer, and a shipment or cancellation opens
    the parcel-recovery case once both have been seen, whichever came first."""

    async def handle(consumed: ConsumedEvent, connection: AsyncConnection) -> None:
        if consumed.event_type not in HANDLED_TYPES:
            return  # other facts of the order: nothing in after-sales depends on them
        envelope = kit.runtime.codec.envelope(consumed)
        facts = await record_facts(connection, envelope.data)
        if facts is None:
            return  # the placement has not arrived yet; the facts wait in their row
        acting = Acting.reaction(envelope)
        if isinstance(envelope.data, Shipped):
            shipped = _record(RecordOrderShipped, envelope.data.shipped_at)
            await kit.commands.execute(connection, facts.order_id, shipped, acting)
        if isinstance(envelope.data, Delivered):
            delivered = _record(RecordOrderDelivered, envelope.data.delivered_at)
            await kit.commands.execute(connection, facts.order_id, delivered, acting)
        if isinstance(envelope.data, Shipped | OrderCancelled) and _parcel_to_recover(facts):
            await kit.commands.execute(
                connection, facts.order_id, _recovery_case(kit, facts), acting
            )

    return handle


def _record(
    fact: type[RecordOrderShipped | RecordOrderDelivered], since: datetime
) -> Callable[[AftersalesGiven], RecordOrderShipped | RecordOrderDelivered]:
    """Where the goods went at `since` (their business time), learnt now."""

    def build(given: AftersalesGiven) -> RecordOrderShipped | RecordOrderDelivered:
        return fact(given.now, since, given.policy)

    return build


def _parcel_to_recover(facts: OrderFacts) -> bool:
    """The cancel-vs-ship race: the order was cancelled with money due back and shipped."""
    return facts.shipped and facts.cancelled_with_refund


def _recovery_case(
    kit: AftersalesKit, facts: OrderFacts
) -> Callable[[AftersalesGiven], Awaitable[OpenInterceptCase]]:
    async def build(given: AftersalesGiven) -> OpenInterceptCase:
        policy = await order_policy(kit.policies, given, facts)
        return OpenInterceptCase(intercept_case_id(facts.order_id), facts, policy, given.now)

    return build


REACTIONS: tuple[
    Reaction[Command, AftersalesStreamEvent, AftersalesState, RefundPolicy, AftersalesSettings], ...
] = (Reaction("order-facts", (Service.ORDER, Service.LOGISTICS), upstream_facts),)
