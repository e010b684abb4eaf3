"""Running commands on an order's after-sales: load, decide, keep deadlines and the case index
in step, append — all in the caller's transaction (HTTP command, policy or deadline)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.application.deadlines import (
    CancelDeadline,
    DeadlineKind,
    ScheduleDeadline,
    deadline_changes,
)
from aftersales_service.domain.commands import Command
from aftersales_service.domain.decide import aftersales_decider
from aftersales_service.domain.state import AftersalesState
from aftersales_service.projections.tables import refund_case_index
from contracts.events.aftersales import RefundCaseEvent, RefundRequested
from eventing.aggregate import AggregateRepository, Decision
from eventing.deadlines import Deadline, DeadlineScheduler
from eventing.events import EventMetadata
from eventing.store import EventStore

_INTERCEPT_NAMESPACE = uuid.UUID("6f1d3c1e-4f0a-4c57-9a51-5e0b8c7d2a10")


def new_case_id() -> str:
    return f"rc-{uuid.uuid4().hex}"


def intercept_case_id(order_id: str) -> str:
    """The same id for the same order, so the recovery case can only ever be opened once."""
    return f"rc-{uuid.uuid5(_INTERCEPT_NAMESPACE, order_id).hex}"


@dataclass(frozen=True, slots=True)
class CaseRef:
    """Where a case lives: its order's stream, and who may see it."""

    case_id: str
    order_id: str
    shop_id: str
    buyer_id: str


AftersalesDecision = Decision[AftersalesState, RefundCaseEvent]


class AftersalesCommands:
    """Executes after-sales commands against the event store (see module docstring)."""

    def __init__(self, store: EventStore, scheduler: DeadlineScheduler) -> None:
        self.repository: AggregateRepository[Command, RefundCaseEvent, AftersalesState] = (
            AggregateRepository(store, aftersales_decider)
        )
        self._scheduler = scheduler

    async def execute(
        self,
        connection: AsyncConnection,
        order_id: str,
        command: Command,
        metadata: EventMetadata,
        *,
        expected_version: int | None = None,
    ) -> AftersalesDecision:
        """Decide, record the side tables the events call for, then append (last)."""

        async def record_side_tables(
            _: AftersalesState, __: AftersalesState, events: tuple[RefundCaseEvent, ...]
        ) -> None:
            await self._index_new_cases(connection, events)
            await self._apply_deadlines(connection, order_id, events)

        return await self.repository.execute(
            order_id, command, metadata=metadata, connection=connection,
            expected_version=expected_version, before_append=record_side_tables,
        )  # fmt: skip

    async def _index_new_cases(
        self, connection: AsyncConnection, events: Sequence[RefundCaseEvent]
    ) -> None:
        for event in events:
            if isinstance(event, RefundRequested):
                await connection.execute(
                    insert(refund_case_index)
                    .values(case_id=event.case_id, order_id=event.order_id,
                            shop_id=event.shop_id, buyer_id=event.buyer_id)
                    .on_conflict_do_nothing()
                )  # fmt: skip

    async def _apply_deadlines(
        self, connection: AsyncConnection, order_id: str, events: Sequence[RefundCaseEvent]
    ) -> None:
        for change in deadline_changes(events):
            if isinstance(change, ScheduleDeadline):
                deadline = Deadline(
                    kind=change.kind.value, key=change.case_id, due_at=change.due_at,
                    payload={"order_id": order_id},
                )  # fmt: skip
                await self._scheduler.schedule(deadline, connection=connection)
            elif isinstance(change, CancelDeadline):
                await self._scheduler.cancel(
                    change.kind.value, change.case_id, connection=connection
                )


async def find_case(connection: AsyncConnection, case_id: str) -> CaseRef | None:
    row = (
        await connection.execute(
            select(refund_case_index).where(refund_case_index.c.case_id == case_id)
        )
    ).first()
    if row is None:
        return None
    return CaseRef(row.case_id, row.order_id, row.shop_id, row.buyer_id)


DEADLINE_KINDS = tuple(kind.value for kind in DeadlineKind)
