"""Reads of the order read model, for the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from order_service.projections.tables import order_timeline, order_view


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order's row with its cross-service timeline."""

    row: Row[Any]
    timeline: Sequence[Row[Any]]

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


async def order_record(connection: AsyncConnection, order_id: str) -> OrderRecord | None:
    row = (
        await connection.execute(select(order_view).where(order_view.c.order_id == order_id))
    ).first()
    if row is None:
        return None
    timeline = (
        await connection.execute(
            select(order_timeline)
            .where(order_timeline.c.order_id == order_id)
            .order_by(order_timeline.c.occurred_at, order_timeline.c.entry_id)
        )
    ).all()
    return OrderRecord(row, timeline)


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
