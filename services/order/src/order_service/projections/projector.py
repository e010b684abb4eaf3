"""The order read model's projector: one timeline row per event of any service, then the
order's row recomputed from its timeline. Idempotent per event id, so a redelivery, a replay
from the store or from the topics, and the live subscription can all feed it. The batch form
(`project_order_events`) inserts a batch's rows at once and recomputes each order once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, TableClause, column, select, table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.catalog import REGISTRY
from contracts.events.base import OrderEvent
from contracts.parties import Service
from eventing.codec import ContractsCodec
from eventing.encoding import ConsumedEvent
from eventing.rebuild import TableNames
from order_service.projections.tables import order_timeline, order_view
from order_service.projections.views import order_detail, order_state, summary_columns

_codec = ContractsCodec()


def named(live: Table, tables: TableNames) -> TableClause:
    """`live` under the name the projector must write to (a shadow table during a rebuild)."""
    return table(tables.get(live.name, live.name), *(column(c.name, c.type) for c in live.c))


def _timeline_row(event: ConsumedEvent) -> dict[str, Any]:
    envelope = _codec.envelope(event)
    payload = envelope.data
    return {
        "order_id": payload.order_id,
        "event_id": str(envelope.id),
        "source": payload.producer.value,
        "event_type": envelope.type,
        "schema_version": envelope.dataversion,
        "sequence": envelope.sequence,
        "occurred_at": envelope.time,
        "actor": envelope.actor.value,
        "data": payload.model_dump(mode="json"),
    }


async def _record(
    connection: AsyncConnection, tables: TableNames, rows: Sequence[dict[str, Any]]
) -> list[str]:
    """Insert timeline rows (in order); the orders of those that were new (not seen before)."""
    timeline = named(order_timeline, tables)
    statement = (
        insert(timeline)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(timeline.c.order_id)
    )
    return list((await connection.execute(statement)).scalars())


async def project_order_event(
    event: ConsumedEvent, connection: AsyncConnection, tables: TableNames
) -> None:
    """Apply one consumed event of the order, logistics or aftersales topic."""
    for order_id in await _record(connection, tables, [_timeline_row(event)]):
        await refresh_order(connection, tables, order_id)


async def project_order_events(
    events: Sequence[ConsumedEvent], connection: AsyncConnection, tables: TableNames
) -> None:
    """Apply several events at once: their timeline rows in one statement, then each order that
    got a new row recomputed once (the row is a function of the whole timeline, so this is the
    same as applying the events one by one, with one recomputation instead of one per event)."""
    if not events:
        return
    changed = await _record(connection, tables, [_timeline_row(event) for event in events])
    for order_id in dict.fromkeys(changed):
        await refresh_order(connection, tables, order_id)


async def refresh_order(connection: AsyncConnection, tables: TableNames, order_id: str) -> None:
    """Recompute the order's row from its timeline (no row until the order exists)."""
    timeline = named(order_timeline, tables)
    rows = (
        await connection.execute(
            select(timeline)
            .where(timeline.c.order_id == order_id)
            .order_by(timeline.c.occurred_at, timeline.c.entry_id)
        )
    ).all()
    own = sorted((r for r in rows if r.source == Service.ORDER.value), key=lambda r: r.sequence)
    events = [_payload(row) for row in own]
    state = order_state(events)
    if not state.exists:
        return
    others = [dict(row._mapping) for row in rows if row.source != Service.ORDER.value]
    view = named(order_view, tables)
    values: dict[str, Any] = {
        **summary_columns(state),
        "created_at": own[0].occurred_at,
        "updated_at": max(row.occurred_at for row in rows),
        "version": own[-1].sequence,
        "detail": order_detail(state, events, others),
    }
    upsert = insert(view).values(order_id=order_id, **values)
    await connection.execute(upsert.on_conflict_do_update(index_elements=["order_id"], set_=values))


def _payload(row: Any) -> OrderEvent:
    payload = REGISTRY.load(row.event_type, row.schema_version, json.dumps(row.data))
    return cast(OrderEvent, payload)
