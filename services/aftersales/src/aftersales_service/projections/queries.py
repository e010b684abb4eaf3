"""Reads of the refund-case read model: one case, lists with keyset cursors, figures per shop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from aftersales_service.application.state_tables import order_facts
from aftersales_service.domain.state import CaseStatus
from aftersales_service.projections.tables import refund_cases, refund_orders

_ENDED = (CaseStatus.REFUNDED.value, CaseStatus.CLOSED.value)


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """Which cases a list shows; `buyer_id`/`shop_id` also carry the caller's visibility."""

    order_id: str | None = None
    shop_id: str | None = None
    buyer_id: str | None = None
    status: str | None = None


def _case_columns() -> list[Any]:
    return [*refund_cases.c, refund_orders.c.stream_version]


def _joined() -> Any:
    return refund_cases.join(refund_orders, refund_orders.c.order_id == refund_cases.c.order_id)


async def get_case(connection: AsyncConnection, case_id: str) -> Row[Any] | None:
    statement = (
        select(*_case_columns()).select_from(_joined()).where(refund_cases.c.case_id == case_id)
    )
    return (await connection.execute(statement)).first()


def _visible(where: CaseFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.order_id is not None:
        conditions.append(refund_cases.c.order_id == where.order_id)
    if where.shop_id is not None:
        conditions.append(refund_cases.c.shop_id == where.shop_id)
    if where.buyer_id is not None:
        conditions.append(refund_cases.c.buyer_id == where.buyer_id)
    if where.status is not None:
        conditions.append(refund_cases.c.status == where.status)
    return conditions


def _after(column: Any, position: tuple[Any, str] | None) -> ColumnElement[bool]:
    """Keyset condition: rows sorted after `position` on (column, case_id)."""
    if position is None:
        return true()
    value, case_id = position
    return or_(column > value, and_(column == value, refund_cases.c.case_id > case_id))


async def list_cases(
    connection: AsyncConnection,
    where: CaseFilter,
    after: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Newest last, by (opened_at, case_id); `limit + 1` rows so the caller knows of more."""
    statement = (
        select(*_case_columns())
        .select_from(_joined())
        .where(*_visible(where), _after(refund_cases.c.opened_at, after))
        .order_by(refund_cases.c.opened_at, refund_cases.c.case_id)
        .limit(limit + 1)
    )
    return (await connection.execute(statement)).all()


async def dispute_queue(
    connection: AsyncConnection, after: tuple[datetime, str] | None, limit: int
) -> Sequence[Row[Any]]:
    """Open disputes, oldest escalation first (the platform works the queue in order)."""
    statement = (
        select(*_case_columns())
        .select_from(_joined())
        .where(
            refund_cases.c.status == CaseStatus.DISPUTED.value,
            _after(refund_cases.c.disputed_at, after),
        )
        .order_by(refund_cases.c.disputed_at, refund_cases.c.case_id)
        .limit(limit + 1)
    )
    return (await connection.execute(statement)).all()


async def due_soon(
    connection: AsyncConnection,
    where: CaseFilter,
    until: datetime,
    after: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Open cases whose next deadline falls before `until`, soonest first."""
    statement = (
        select(*_case_columns())
        .select_from(_joined())
        .where(
            *_visible(where),
            refund_cases.c.status.not_in(_ENDED),
            refund_cases.c.next_deadline_at <= until,
            _after(refund_cases.c.next_deadline_at, after),
        )
        .order_by(refund_cases.c.next_deadline_at, refund_cases.c.case_id)
        .limit(limit + 1)
    )
    return (await connection.execute(statement)).all()


@dataclass(frozen=True, slots=True)
class ShopFigures:
    """Counts and sums behind a shop's after-sales figures (buyer cases only)."""

    paid_orders: int
    paid_amount: int
    cases: int
    refunded_amount: int
    timeouts: int
    disputes: int
    rulings: int
    rulings_against_seller: int


async def paid_orders(connection: AsyncConnection, shop_id: str) -> int:
    """The shop's orders with a payment (the denominator of refund and complaint rates)."""
    statement = select(func.count()).where(order_facts.c.shop_id == shop_id, order_facts.c.paid > 0)
    return int((await connection.execute(statement)).scalar_one())


async def shop_figures(connection: AsyncConnection, shop_id: str) -> ShopFigures:
    paid = (
        await connection.execute(
            select(func.count(), func.coalesce(func.sum(order_facts.c.paid), 0)).where(
                order_facts.c.shop_id == shop_id, order_facts.c.paid > 0
            )
        )
    ).one()
    # The recovery cases of the cancel-vs-ship race are the system's, not buyers' requests.
    buyer_case = and_(refund_cases.c.shop_id == shop_id, refund_cases.c.intercept == false())
    c = refund_cases.c
    cases = (
        await connection.execute(
            select(
                func.count(),
                func.coalesce(func.sum(c.refunded_amount), 0),
                func.count().filter(c.seller_timed_out),
                func.count().filter(c.disputed),
                func.count().filter(c.ruling_outcome.is_not(None)),
                func.count().filter(c.responsible_party == "seller"),
            ).where(buyer_case)
        )
    ).one()
    return ShopFigures(int(paid[0]), int(paid[1]), *(int(value) for value in cases))
