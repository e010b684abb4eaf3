"""Reactions to the order and logistics topics (one subscription, agreements 5 and 7).

Each upstream event first updates the order's facts; a shipment then closes refund-only
requests for unshipped goods still awaiting an answer, and a shipment or cancellation opens the
parcel-recovery case once both have been seen, whichever came first.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.application.order_facts import FACT_EVENTS, record_facts
from aftersales_service.application.service import AftersalesCommands, intercept_case_id
from aftersales_service.application.shop_policies import RefundPolicies
from aftersales_service.domain.commands import OpenInterceptCase, RecordOrderShipped
from aftersales_service.domain.facts import OrderFacts
from contracts.envelope import Envelope
from contracts.events.logistics import Shipped
from contracts.events.order import OrderCancelled
from contracts.parties import Actor
from eventing.clock import Clock
from eventing.codec import ContractsCodec
from eventing.encoding import ConsumedEvent
from eventing.events import EventMetadata

HANDLED_TYPES = frozenset(event.event_type for event in FACT_EVENTS)


class UpstreamPolicies:
    """The subscription handler for the order and logistics topics."""

    def __init__(
        self,
        commands: AftersalesCommands,
        policies: RefundPolicies,
        clock: Clock,
        codec: ContractsCodec | None = None,
    ) -> None:
        self._commands = commands
        self._policies = policies
        self._clock = clock
        self._codec = codec or ContractsCodec()

    async def __call__(self, consumed: ConsumedEvent, connection: AsyncConnection) -> None:
        if consumed.event_type not in HANDLED_TYPES:
            return  # other facts of the order: nothing in after-sales depends on them
        envelope = self._codec.envelope(consumed)
        facts = await record_facts(connection, envelope.data)
        if facts is None:
            return  # the placement has not arrived yet; the facts wait in their row
        event = envelope.data
        if isinstance(event, Shipped):
            await self._commands.execute(
                connection, facts.order_id, RecordOrderShipped(self._clock.now()),
                _caused_by(envelope),
            )  # fmt: skip
        if isinstance(event, Shipped | OrderCancelled):
            await self._recover_parcel(connection, facts, envelope)

    async def _recover_parcel(
        self, connection: AsyncConnection, facts: OrderFacts, envelope: Envelope
    ) -> None:
        if not (facts.shipped and facts.cancelled_with_refund):
            return
        policy = await self._policies.refund_policy(connection, facts.shop_id)
        command = OpenInterceptCase(
            intercept_case_id(facts.order_id), facts, policy, self._clock.now()
        )
        await self._commands.execute(connection, facts.order_id, command, _caused_by(envelope))


def _caused_by(envelope: Envelope) -> EventMetadata:
    return EventMetadata(
        correlation_id=envelope.correlationid,
        causation_id=str(envelope.id),
        actor=Actor.SYSTEM.value,
    )
