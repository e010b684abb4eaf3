"""The refund-case read model: one row per case, plus each order's after-sales stream version.

Idempotent per stream sequence: a case row remembers the last sequence of its order's stream
it applied and ignores anything not newer, so redelivery and rebuild overlap are harmless.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import MetaData, Table, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.domain.state import CaseStatus
from aftersales_service.projections.case_rows import changed_columns, opened_row
from aftersales_service.projections.tables import refund_cases, refund_orders
from contracts.events.aftersales import Disputed, RefundCaseEvent, RefundRequested
from eventing.codec import ContractsCodec
from eventing.encoding import ConsumedEvent
from eventing.rebuild import ProjectionTables, TableNames

TABLES = (refund_cases.name, refund_orders.name)
_codec = ContractsCodec()
_ENDED = (CaseStatus.REFUNDED.value, CaseStatus.CLOSED.value)


@cache
def _table(template: Table, name: str) -> Table:
    """`template`'s columns under `name` (the live table or its rebuild shadow)."""
    if name == template.name:
        return template
    return Table(name, MetaData(), *(column._copy() for column in template.columns))


async def project_case_event(
    event: ConsumedEvent, connection: AsyncConnection, tables: TableNames
) -> None:
    envelope = _codec.envelope(event)
    payload = envelope.data
    if not isinstance(payload, RefundCaseEvent):
        return
    await _apply(connection, tables, payload, event.sequence, envelope.time)


async def _apply(
    connection: AsyncConnection,
    tables: TableNames,
    event: RefundCaseEvent,
    sequence: int,
    at: datetime,
) -> None:
    cases = _table(refund_cases, tables.get(refund_cases.name, refund_cases.name))
    orders = _table(refund_orders, tables.get(refund_orders.name, refund_orders.name))
    await _advance_order(connection, orders, event, sequence)
    if isinstance(event, RefundRequested):
        row = opened_row(event, at) | {"last_sequence": sequence}
        await connection.execute(insert(cases).values(**row).on_conflict_do_nothing())
        return
    current = (
        await connection.execute(
            select(cases).where(cases.c.case_id == event.case_id).with_for_update()
        )
    ).first()
    if current is None or current.last_sequence >= sequence:
        return
    changes = changed_columns(dict(current._mapping), event)
    if isinstance(event, Disputed):
        changes["disputed_at"] = at
    if changes.get("status") in _ENDED:
        changes.setdefault("ended_at", at)
    await connection.execute(
        cases.update()
        .where(cases.c.case_id == event.case_id)
        .values(**changes, updated_at=at, last_sequence=sequence)
    )


async def _advance_order(
    connection: AsyncConnection, orders: Table, event: RefundCaseEvent, sequence: int
) -> None:
    statement = insert(orders).values(
        order_id=event.order_id, shop_id=event.shop_id, stream_version=sequence
    )
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["order_id"],
            set_={"stream_version": func.greatest(orders.c.stream_version, sequence)},
        )
    )


REFUND_CASES: ProjectionTables[ConsumedEvent] = ProjectionTables(TABLES, project_case_event)
