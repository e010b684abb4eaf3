"""The figures projector: applies one event of any of the three topics to the figures rows.

What an event changes is decided in `fold` (pure); here the row is read (locked), the change
written and the shop's latest event noted. An event at or below the sequence a row shows was
applied already (redelivery, a rebuild's overlap with the live subscription) and is skipped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.aftersales import (
    ComplaintEvent,
    ComplaintFiled,
    RefundCaseEvent,
    RefundRequested,
)
from contracts.events.base import EventPayload, LogisticsEvent, OrderEvent
from dashboard_service.projections import fold
from dashboard_service.projections.tables import (
    dashboard_cases,
    dashboard_complaints,
    dashboard_orders,
    dashboard_payments,
    dashboard_shipments,
    dashboard_shops,
)
from eventing.codec import ContractsCodec
from eventing.encoding import ConsumedEvent
from eventing.rebuild import TableNames, table_for

_codec = ContractsCodec()


async def project_figures(
    event: ConsumedEvent, connection: AsyncConnection, tables: TableNames
) -> None:
    """Apply one consumed event to the figures tables named in `tables` (idempotent)."""
    envelope = _codec.envelope(event)
    payload, at = envelope.data, envelope.time
    if isinstance(payload, OrderEvent):
        fresh = await _order_event(connection, tables, payload, event.sequence, at)
    elif isinstance(payload, LogisticsEvent):
        fresh = await _shipment_event(connection, tables, payload, event.sequence, at)
    elif isinstance(payload, RefundCaseEvent):
        fresh = await _case_event(connection, tables, payload, event.sequence, at)
    elif isinstance(payload, ComplaintEvent):
        fresh = await _complaint_event(connection, tables, payload, event.sequence)
    else:
        return
    if fresh:
        await _note_shop(connection, table_for(dashboard_shops, tables), payload, at)


async def _locked_row(connection: AsyncConnection, table: Table, column: str, key: str) -> Any:
    statement = select(table).where(table.c[column] == key).with_for_update()
    row = (await connection.execute(statement)).first()
    return None if row is None else row._mapping


async def _write(
    connection: AsyncConnection,
    table: Table,
    key: dict[str, Any],
    exists: bool,
    values: dict[str, Any],
) -> None:
    if exists:
        (column, value), = key.items()  # fmt: skip
        await connection.execute(table.update().where(table.c[column] == value).values(**values))
    else:
        await connection.execute(insert(table).values(**key, **values))


async def _order_event(
    connection: AsyncConnection, tables: TableNames, event: OrderEvent, sequence: int, at: datetime
) -> bool:
    orders = table_for(dashboard_orders, tables)
    row = await _locked_row(connection, orders, "order_id", event.order_id)
    if row is not None and row["version"] >= sequence:
        return False
    columns = fold.order_columns(row, event, at)
    await _write(
        connection, orders, {"order_id": event.order_id}, row is not None,
        {"shop_id": event.shop_id, "version": sequence, **columns},
    )  # fmt: skip
    payment = fold.payment_row(event)
    if payment is not None:
        payments = table_for(dashboard_payments, tables)
        await connection.execute(
            insert(payments)
            .values(order_id=event.order_id, sequence=sequence, **payment)
            .on_conflict_do_nothing()
        )
    return True


async def _shipment_event(
    connection: AsyncConnection,
    tables: TableNames,
    event: LogisticsEvent,
    sequence: int,
    at: datetime,
) -> bool:
    shipments = table_for(dashboard_shipments, tables)
    row = await _locked_row(connection, shipments, "order_id", event.order_id)
    if row is not None and row["version"] >= sequence:
        return False
    columns = fold.shipment_columns(row, event, at)
    await _write(
        connection, shipments, {"order_id": event.order_id}, row is not None,
        {"shop_id": event.shop_id, "version": sequence, **columns},
    )  # fmt: skip
    return True


async def _case_event(
    connection: AsyncConnection,
    tables: TableNames,
    event: RefundCaseEvent,
    sequence: int,
    at: datetime,
) -> bool:
    cases = table_for(dashboard_cases, tables)
    if isinstance(event, RefundRequested):
        opened = fold.opened_case(event, at) | {"last_sequence": sequence}
        result = await connection.execute(insert(cases).values(**opened).on_conflict_do_nothing())
        return bool(result.rowcount)
    row = await _locked_row(connection, cases, "case_id", event.case_id)
    if row is None or row["last_sequence"] >= sequence:
        return False
    columns = fold.case_columns(row, event, at)
    await connection.execute(
        cases.update()
        .where(cases.c.case_id == event.case_id)
        .values(last_sequence=sequence, **columns)
    )
    return True


async def _complaint_event(
    connection: AsyncConnection, tables: TableNames, event: ComplaintEvent, sequence: int
) -> bool:
    complaints = table_for(dashboard_complaints, tables)
    if isinstance(event, ComplaintFiled):
        filed = fold.filed_complaint(event) | {"last_sequence": sequence}
        inserted = insert(complaints).values(**filed).on_conflict_do_nothing()
        return bool((await connection.execute(inserted)).rowcount)
    row = await _locked_row(connection, complaints, "complaint_id", event.complaint_id)
    if row is None or row["last_sequence"] >= sequence:
        return False
    await connection.execute(
        complaints.update()
        .where(complaints.c.complaint_id == event.complaint_id)
        .values(last_sequence=sequence, **fold.complaint_columns(event))
    )
    return True


async def _note_shop(
    connection: AsyncConnection, shops: Table, event: EventPayload, at: datetime
) -> None:
    """The shop's latest event by business time (events of three topics arrive in any order)."""
    statement = insert(shops).values(
        shop_id=event.shop_id, last_event_at=at, last_event_type=event.event_type,
        applied_at=func.now(),
    )  # fmt: skip
    newer = or_(
        shops.c.last_event_at.is_(None),
        statement.excluded.last_event_at > shops.c.last_event_at,
    )
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=[shops.c.shop_id],
            set_={
                "last_event_type": case(
                    (newer, statement.excluded.last_event_type), else_=shops.c.last_event_type
                ),
                "last_event_at": func.greatest(
                    shops.c.last_event_at, statement.excluded.last_event_at
                ),
                "applied_at": statement.excluded.applied_at,
            },
        )
    )
