"""Reads of the complaint read model: one complaint, lists with keyset cursors, the shop's queue
by deadline, the platform's escalated queue, a shop's complaint figures."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from aftersales_service.domain.complaints import ComplaintStatus
from aftersales_service.projections.tables import complaints, refund_orders

_WITH_SELLER = (
    ComplaintStatus.WAIT_SELLER_ACCEPT.value,
    ComplaintStatus.WAIT_SELLER_ANALYSE.value,
    ComplaintStatus.WAIT_SELLER_HANDLE.value,
    ComplaintStatus.WAIT_SELLER_REPLY.value,
)


@dataclass(frozen=True, slots=True)
class ComplaintFilter:
    """Which complaints a list shows; `buyer_id`/`shop_id` also carry the caller's visibility."""

    order_id: str | None = None
    shop_id: str | None = None
    buyer_id: str | None = None
    status: str | None = None


def _columns() -> list[Any]:
    return [*complaints.c, refund_orders.c.stream_version]


def _joined() -> Any:
    return complaints.join(refund_orders, refund_orders.c.order_id == complaints.c.order_id)


async def get_complaint(connection: AsyncConnection, complaint_id: str) -> Row[Any] | None:
    statement = (
        select(*_columns()).select_from(_joined()).where(complaints.c.complaint_id == complaint_id)
    )
    return (await connection.execute(statement)).first()


def _visible(where: ComplaintFilter) -> list[ColumnElement[bool]]:
    c = complaints.c
    wanted = (
        (c.order_id, where.order_id), (c.shop_id, where.shop_id),
        (c.buyer_id, where.buyer_id), (c.status, where.status),
    )  # fmt: skip
    return [column == value for column, value in wanted if value is not None]


def _after(column: Any, position: tuple[Any, str] | None) -> ColumnElement[bool]:
    """Keyset condition: rows sorted after `position` on (column, complaint_id)."""
    if position is None:
        return true()
    value, complaint_id = position
    return or_(column > value, and_(column == value, complaints.c.complaint_id > complaint_id))


async def list_complaints(
    connection: AsyncConnection,
    where: ComplaintFilter,
    after: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Oldest first, by (filed_at, complaint_id); `limit + 1` rows so the caller knows of more."""
    statement = (
        select(*_columns())
        .select_from(_joined())
        .where(*_visible(where), _after(complaints.c.filed_at, after))
        .order_by(complaints.c.filed_at, complaints.c.complaint_id)
        .limit(limit + 1)
    )
    return (await connection.execute(statement)).all()


async def shop_queue(
    connection: AsyncConnection,
    shop_id: str | None,
    until: datetime,
    after: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Complaints waiting on the shop whose deadline falls before `until` (overdue ones first,
    then the soonest due)."""
    c = complaints.c
    conditions = [c.status.in_(_WITH_SELLER), c.next_deadline_at <= until]
    if shop_id is not None:
        conditions.append(c.shop_id == shop_id)
    statement = (
        select(*_columns())
        .select_from(_joined())
        .where(*conditions, _after(c.next_deadline_at, after))
        .order_by(c.next_deadline_at, c.complaint_id)
        .limit(limit + 1)
    )
    return (await connection.execute(statement)).all()


async def escalated_queue(
    connection: AsyncConnection, after: tuple[datetime, str] | None, limit: int
) -> Sequence[Row[Any]]:
    """Complaints the platform has to rule on, oldest escalation first."""
    c = complaints.c
    statement = (
        select(*_columns())
        .select_from(_joined())
        .where(c.status == ComplaintStatus.PLATFORM_INTERVENED.value, _after(c.escalated_at, after))
        .order_by(c.escalated_at, c.complaint_id)
        .limit(limit + 1)
    )
    return (await connection.execute(statement)).all()


@dataclass(frozen=True, slots=True)
class ComplaintFigures:
    """Counts behind a shop's complaint figures."""

    complaints: int
    resolved_within_deadline: int
    escalated: int
    responsibility: dict[str, int]


async def complaint_figures(connection: AsyncConnection, shop_id: str) -> ComplaintFigures:
    """Resolved within deadline: closed without the platform (the shop accepted and replied in
    time, since a late step is refused and escalates); escalated: ever taken over by the
    platform; responsibility: as last recorded (the shop's analysis, or the platform's ruling)."""
    c = complaints.c
    totals = (
        await connection.execute(
            select(
                func.count(),
                func.count().filter(and_(c.ended_at.is_not(None), c.escalated_at.is_(None))),
                func.count().filter(c.escalated_at.is_not(None)),
            ).where(c.shop_id == shop_id)
        )
    ).one()
    split = await connection.execute(
        select(c.responsibility, func.count())
        .where(c.shop_id == shop_id, c.responsibility.is_not(None))
        .group_by(c.responsibility)
    )
    responsibility = {str(party): int(count) for party, count in split}
    return ComplaintFigures(int(totals[0]), int(totals[1]), int(totals[2]), responsibility)


def json_of(value: Any) -> Any:
    """A JSONB column as read (decoded already, or text from a raw read)."""
    return json.loads(value) if isinstance(value, str) else value
