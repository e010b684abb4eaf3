"""The after-sales aggregate as the kit runs it: one stream per order (agreement 1), holding
every case of the order; the case index and the deadlines commit with the events."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.application.deadlines import keep_deadlines
from aftersales_service.application.state_tables import index_new_cases
from aftersales_service.domain.commands import Command
from aftersales_service.domain.decide import aftersales_decider
from aftersales_service.domain.facts import OrderFacts
from aftersales_service.domain.policy import RefundPolicy
from aftersales_service.domain.state import AftersalesState
from aftersales_service.settings import AftersalesSettings
from contracts.events.aftersales import AftersalesStreamEvent
from eventing.aggregate import Decision
from eventing.deadlines import DeadlineScheduler
from eventing.decider import Decider
from eventing.handler import Acting, Change, CommandSource, Given
from eventing.http.auth import Caller
from eventing.service import ServiceKit
from eventing.shop_policies import ShopPolicies

AftersalesGiven = Given[AftersalesState, RefundPolicy]
AftersalesCommandSource = CommandSource[Command, AftersalesState, RefundPolicy]
AftersalesDecision = Decision[AftersalesState, AftersalesStreamEvent]
AftersalesKit = ServiceKit[
    Command, AftersalesStreamEvent, AftersalesState, RefundPolicy, AftersalesSettings
]

_INTERCEPT_NAMESPACE = uuid.UUID("6f1d3c1e-4f0a-4c57-9a51-5e0b8c7d2a10")


def new_case_id() -> str:
    return f"rc-{uuid.uuid4().hex}"


def new_complaint_id() -> str:
    return f"cp-{uuid.uuid4().hex}"


def intercept_case_id(order_id: str) -> str:
    """The same id for the same order, so the recovery case can only ever be opened once."""
    return f"rc-{uuid.uuid5(_INTERCEPT_NAMESPACE, order_id).hex}"


class AftersalesRules:
    """`AggregateRules` of an order's after-sales (stream id = order id)."""

    def __init__(self, scheduler: DeadlineScheduler) -> None:
        self._scheduler = scheduler

    @property
    def decider(self) -> Decider[Command, AftersalesStreamEvent, AftersalesState]:
        return aftersales_decider

    def shop_of(self, state: AftersalesState) -> str | None:
        return state.shop_id

    def authorize(self, stream_id: str, state: AftersalesState, caller: Caller) -> None:
        """No rule at the order's level: a case route checks the case's parties when it finds
        the case's stream (api/commands.py), and a request is refused by the domain when the
        caller is not the order's buyer (403 `not-the-orders-buyer`)."""

    async def before_append(
        self,
        connection: AsyncConnection,
        change: Change[AftersalesState, AftersalesStreamEvent],
        given: AftersalesGiven,
        acting: Acting,
    ) -> None:
        await index_new_cases(connection, change.events)
        await keep_deadlines(self._scheduler, connection, change.stream_id, change.events, acting)


async def order_policy(
    policies: ShopPolicies[RefundPolicy], given: AftersalesGiven, facts: OrderFacts | None
) -> RefundPolicy:
    """The shop's policy for a command that opens a case: the one given once the order's
    stream names its shop; before the order's first case, that of the shop its facts name."""
    if given.state.shop_id is not None or facts is None:
        return given.policy
    return await policies.domain_for(given.connection, facts.shop_id)
