"""What a fired case deadline does: the system acts for the side that stayed silent."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.application.deadlines import DeadlineKind, deadline_command
from aftersales_service.application.service import AftersalesCommands, find_case
from aftersales_service.application.shop_policies import RefundPolicies
from contracts.parties import Actor
from eventing.clock import Clock
from eventing.deadlines import Deadline
from eventing.events import EventMetadata


class CaseDeadlines:
    """The deadline handler for every `DeadlineKind`."""

    def __init__(
        self, commands: AftersalesCommands, policies: RefundPolicies, clock: Clock
    ) -> None:
        self._commands = commands
        self._policies = policies
        self._clock = clock

    async def __call__(self, deadline: Deadline, connection: AsyncConnection) -> None:
        case = await find_case(connection, deadline.key)
        if case is None:
            return  # the case's request was rolled back; nothing waits for this deadline
        policy = await self._policies.refund_policy(connection, case.shop_id)
        command = deadline_command(
            DeadlineKind(deadline.kind), case.case_id, policy, self._clock.now()
        )
        metadata = EventMetadata(
            correlation_id=str(uuid.uuid4()), actor=Actor.SYSTEM.value, actor_id=deadline.kind
        )
        await self._commands.execute(connection, case.order_id, command, metadata)

    def handlers(self) -> dict[str, CaseDeadlines]:
        return {kind.value: self for kind in DeadlineKind}
