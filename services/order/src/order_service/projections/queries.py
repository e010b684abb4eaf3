"""Reads of the order read model, for the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from order_service.projections.tables import order_timeline, order_view


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One entry of an order's timeline as `order_record` reads it."""

    source: str
    event_type: str
    sequence: int
    occurred_at: datetime
    actor: str | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order's row with its cross-service timeline."""

    row: Row[Any]
    timeline: Sequence[TimelineRow]

    @property
    def version(self) -> int:
        return int(self.row.version)


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders a list shows: the caller's scope plus the query's filters."""

    buyer_id: str | None = None
    shop_id: str | None = None
    platform_statuses: tuple[str, ...] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None
    after: tuple[datetime, str] | None = field(default=None)  # keyset: (created_at, order_id)


# The order's row and its timeline in one statement, so one snapshot: the timeline as a JSON
# array aggregated beside the row (a join would repeat the row's JSON detail per entry).
_TIMELINE = (
    select(
        func.coalesce(
            func.json_agg(
                aggregate_order_by(
                    func.json_build_array(
                        order_timeline.c.source,
                        order_timeline.c.event_type,
                        order_timeline.c.sequence,
                        order_timeline.c.occurred_at,
                        order_timeline.c.actor,
                        order_timeline.c.data,
                    ),
                    order_timeline.c.occurred_at,
                    order_timeline.c.entry_id,
                )
            ),
            text("'[]'::json"),
        )
    )
    .where(order_timeline.c.order_id == order_view.c.order_id)
    .scalar_subquery()
)
_ORDER_RECORD = select(order_view, _TIMELINE.label("timeline_entries")).where(
    order_view.c.order_id == bindparam("order_id")
)


async def order_record(connection: AsyncConnection, order_id: str) -> OrderRecord | None:
    """The order's row and timeline (oldest entry first), or None."""
    row = (await connection.execute(_ORDER_RECORD, {"order_id": order_id})).first()
    if row is None:
        return None
    timeline = [
        TimelineRow(source, event_type, sequence, _instant(at), actor, data)
        for source, event_type, sequence, at, actor, data in row.timeline_entries
    ]
    return OrderRecord(row, timeline)


def _instant(value: str) -> datetime:
    """A timestamptz as JSON renders it (in the session's time zone), as a UTC datetime."""
    return datetime.fromisoformat(value).astimezone(UTC)


async def list_orders(
    connection: AsyncConnection, scope: OrderFilter, limit: int
) -> Sequence[Row[Any]]:
    """Newest first; `limit` rows after the keyset position (fetch limit + 1 to page)."""
    conditions = []
    if scope.buyer_id is not None:
        conditions.append(order_view.c.buyer_id == scope.buyer_id)
    if scope.shop_id is not None:
        conditions.append(order_view.c.shop_id == scope.shop_id)
    if scope.platform_statuses:
        conditions.append(order_view.c.platform_status.in_(scope.platform_statuses))
    if scope.created_from is not None:
        conditions.append(order_view.c.created_at >= scope.created_from)
    if scope.created_to is not None:
        conditions.append(order_view.c.created_at < scope.created_to)
    if scope.after is not None:
        created_at, order_id = scope.after
        conditions.append(
            or_(
                order_view.c.created_at < created_at,
                and_(order_view.c.created_at == created_at, order_view.c.order_id < order_id),
            )
        )
    statement = (
        select(order_view)
        .where(*conditions)
        .order_by(order_view.c.created_at.desc(), order_view.c.order_id.desc())
        .limit(limit)
    )
    return (await connection.execute(statement)).all()
