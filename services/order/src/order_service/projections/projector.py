"""The order read model's projector: one timeline row per event of any service, then the
order's row recomputed from its timeline. Idempotent per event id, so a redelivery, a replay
from the store or from the topics, and the live subscription can all feed it. The batch form
(`project_order_events`) inserts a batch's rows at once and recomputes each order once."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table, TableClause, bindparam, column, select, table
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.catalog import REGISTRY
from contracts.events.base import OrderEvent
from contracts.events.order import OrderPlaced, OrderRated
from contracts.parties import Service
from eventing.codec import ContractsCodec
from eventing.encoding import ConsumedEvent
from eventing.rebuild import TableNames
from order_service.domain import order_decider
from order_service.domain.state import OrderState
from order_service.domain.status import platform_status, timeout_at
from order_service.projections.care import queue_entries, rating_columns
from order_service.projections.complaint_figures import complaint_rows, write_complaint_rows
from order_service.projections.figures import TimedEvent, figure_columns
from order_service.projections.tables import (
    order_complaints,
    order_figures,
    order_rating,
    order_timeline,
    order_view,
    shop_queue,
)

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
    """Recompute the order's rows (view and figures) from its timeline (none until the order
    exists)."""
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
    complaints = tables.get(order_complaints.name, order_complaints.name)
    await write_complaint_rows(connection, complaints, complaint_rows(others))
    version = own[-1].sequence
    timed = [(row.occurred_at, event) for row, event in zip(own, events, strict=True)]
    values: dict[str, Any] = {
        **summary_columns(state),
        "created_at": own[0].occurred_at,
        "updated_at": max(row.occurred_at for row in rows),
        "version": version,
        "detail": order_detail(state, events, others, timed),
    }
    await _put(connection, tables, order_view, {"order_id": order_id, **values})
    figures = figure_columns(timed, version=version)
    await _put(connection, tables, order_figures, {"order_id": order_id, **figures})
    await _put_care(connection, tables, state, timed, version)


async def _put_care(
    connection: AsyncConnection,
    tables: TableNames,
    state: OrderState,
    timed: Sequence[TimedEvent],
    version: int,
) -> None:
    """The order's rating and queue rows, when it has any (most orders have none: no
    statement for them)."""
    rating = rating_columns(timed, state.buyer_id, version)
    if rating is not None:
        await _put(connection, tables, order_rating, {"order_id": state.order_id, **rating})
    for entry in queue_entries(timed, version):
        await _put(connection, tables, shop_queue, {"order_id": state.order_id, **entry})


async def _put(
    connection: AsyncConnection, tables: TableNames, live: Table, values: dict[str, Any]
) -> None:
    """Upsert one row of `live` (or of its shadow during a rebuild) by its primary key."""
    keys = tuple(column.name for column in live.primary_key.columns)
    columns = tuple(name for name in values if name not in keys)
    statement = _upsert(live, tables.get(live.name, live.name), keys, columns)
    await connection.execute(statement, values)


@functools.lru_cache(maxsize=32)
def _upsert(live: Table, name: str, keys: tuple[str, ...], columns: tuple[str, ...]) -> Insert:
    """`INSERT … ON CONFLICT (keys) DO UPDATE` of `columns` into `live` under `name` (itself
    or a rebuild's shadow), built once per name and column set and run with bound values:
    rebuilding the statement and its cache key for every order was a tenth of the projector's
    time (issue 19)."""
    inserted = insert(named(live, {live.name: name})).values(
        {column: bindparam(column) for column in (*keys, *columns)}
    )
    return inserted.on_conflict_do_update(
        index_elements=list(keys), set_={column: inserted.excluded[column] for column in columns}
    )


def _payload(row: Any) -> OrderEvent:
    payload = REGISTRY.load(row.event_type, row.schema_version, orjson.dumps(row.data))
    return cast(OrderEvent, payload)


def order_state(events: Sequence[OrderEvent]) -> OrderState:
    """The order as the read model shows it: its own events folded with the domain's `evolve`
    (one source of truth for status and time-out)."""
    return order_decider.fold(events)


def order_detail(
    state: OrderState,
    events: Sequence[OrderEvent],
    others: Sequence[Mapping[str, Any]],
    timed: Sequence[TimedEvent] = (),
) -> dict[str, Any]:
    """The JSON detail of an order; `others` are the timeline rows of other services, `timed`
    the order's own events with when they occurred (for the rating's answer and follow-up)."""
    placed = next(event for event in events if isinstance(event, OrderPlaced))
    currency = state.currency

    def money(amount: int) -> dict[str, Any]:
        return {"amount": amount, "currency": currency}

    delivered = [row for row in others if row["event_type"] == "logistics.delivered"]
    cases: dict[str, str] = {}
    for row in others:
        case_id = row["data"].get("case_id")
        if row["source"] == "aftersales" and case_id:
            cases[case_id] = row["event_type"].removeprefix("aftersales.")
    return {
        "channel": placed.channel.value,
        "goods_kind": placed.goods_kind.value,
        "items": [item.model_dump(mode="json") for item in placed.items],
        "receiver": state.receiver.model_dump(mode="json") if state.receiver else None,
        "buyer_note": placed.buyer_note,
        "amounts": {
            "items_total": placed.items_total.model_dump(mode="json"),
            "shipping_fee": placed.shipping_fee.model_dump(mode="json"),
            "discount": placed.discount.model_dump(mode="json"),
            "payable": money(state.payable),
            "paid": money(state.paid),
            "refunded": money(state.refunded),
            "refundable": money(state.refundable),
            "cancellation_refund_due": money(state.cancellation_refund_due),
            "duplicate_surplus": money(state.surplus),
        },
        "payment_due_by": placed.payment_due_by.isoformat(),
        "presale": placed.presale.model_dump(mode="json") if placed.presale else None,
        "payment_reminded": state.payment_reminded,
        "balance_reminded": state.balance_reminded,
        "shipment": None
        if state.waybill is None
        else {
            "waybill": state.waybill.model_dump(mode="json"),
            "shipped_at": _iso(state.shipped_at),
            "delivered_at": delivered[-1]["data"].get("delivered_at") if delivered else None,
            "auto_confirm_at": _iso(state.auto_confirm_at),
            "auto_confirm_extended": state.auto_confirm_extended,
        },
        "refund_cases": cases,
        "close_reason": state.close_reason.value if state.close_reason else None,
        "rating": _rating(events, timed),
    }


def _rating(events: Sequence[OrderEvent], timed: Sequence[TimedEvent]) -> dict[str, Any] | None:
    """The rating as the order shows it: scores and comment, the windows, the seller's answer,
    the follow-up a medium or bad rating opened and the buyer's follow-up comment."""
    rating = next((event for event in events if isinstance(event, OrderRated)), None)
    if rating is None:
        return None
    shown = rating.model_dump(mode="json", exclude={"order_id", "shop_id"})
    row = rating_columns(timed, "", 0) if timed else None
    if row is None:
        return shown
    return {
        **shown,
        "rated_at": _iso(row["rated_at"]),
        "follow_up_due_at": _iso(row["follow_up_due_at"]),
        "answer": row["answer"],
        "answered_at": _iso(row["answered_at"]),
        "appended_comment": row["appended_comment"],
        "appended_at": _iso(row["appended_at"]),
    }


def summary_columns(state: OrderState) -> dict[str, Any]:
    """The queryable columns of `order_view` for the state."""
    status = platform_status(state)
    assert status is not None  # only existing orders have a row
    return {
        "shop_id": state.shop_id,
        "buyer_id": state.buyer_id,
        "status": state.status.value,
        "platform_status": status.value,
        "timeout_at": timeout_at(state),
        "currency": state.currency,
        "payable": state.payable,
        "paid": state.paid,
        "refunded": state.refunded,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
