"""Reads of the customer-care read models for the API: a shop's ratings (newest first) and its
queue (soonest due first), each one keyset page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from order_service.projections.tables import order_rating, shop_queue


@dataclass(frozen=True, slots=True)
class RatingFilter:
    """A shop's ratings: all, only those needing a follow-up, only the unanswered ones among
    them (`open`), or only those past due (`overdue`, against `now`)."""

    shop_id: str
    follow_up: str = "all"
    now: datetime | None = None
    after: tuple[datetime, str] | None = None  # keyset: (rated_at, order_id), newest first


async def list_ratings(
    connection: AsyncConnection, scope: RatingFilter, limit: int
) -> Sequence[Row[Any]]:
    r = order_rating.c
    conditions: list[ColumnElement[bool]] = [r.shop_id == scope.shop_id]
    if scope.follow_up != "all":
        conditions.append(r.follow_up_due_at.is_not(None))
    if scope.follow_up in ("open", "overdue"):
        conditions.append(r.answered_at.is_(None))
    if scope.follow_up == "overdue" and scope.now is not None:
        conditions.append(r.follow_up_due_at < scope.now)
    if scope.after is not None:
        rated_at, order_id = scope.after
        conditions.append(
            or_(r.rated_at < rated_at, and_(r.rated_at == rated_at, r.order_id < order_id))
        )
    statement = (
        select(order_rating)
        .where(*conditions)
        .order_by(r.rated_at.desc(), r.order_id.desc())
        .limit(limit)
    )
    return (await connection.execute(statement)).all()


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """A shop's queue entries: open, overdue (open and past due at `now`) or closed, of some
    kinds (none: every kind)."""

    shop_id: str
    status: str
    now: datetime
    kinds: tuple[str, ...] = ()
    after: tuple[datetime, str, str] | None = None  # keyset: (due_at, order_id, kind)


async def list_queue(
    connection: AsyncConnection, scope: QueueFilter, limit: int
) -> Sequence[Row[Any]]:
    q = shop_queue.c
    conditions: list[ColumnElement[bool]] = [q.shop_id == scope.shop_id]
    if scope.status == "closed":
        conditions.append(q.closed_at.is_not(None))
    else:
        conditions.append(q.closed_at.is_(None))
    if scope.status == "overdue":
        conditions.append(q.due_at < scope.now)
    if scope.kinds:
        conditions.append(q.kind.in_(scope.kinds))
    if scope.after is not None:
        due_at, order_id, kind = scope.after
        conditions.append(
            or_(
                q.due_at > due_at,
                and_(q.due_at == due_at, q.order_id > order_id),
                and_(q.due_at == due_at, q.order_id == order_id, q.kind > kind),
            )
        )
    statement = (
        select(shop_queue).where(*conditions).order_by(q.due_at, q.order_id, q.kind).limit(limit)
    )
    return (await connection.execute(statement)).all()
