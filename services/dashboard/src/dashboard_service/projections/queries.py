"""Reads of the figures read model: the counts behind one scope's figures, a day series, the
shops. A scope is a shop (or the whole platform) and a period `[start, end)`; an unbounded
period (all time) puts no condition on times, so its counts are the services' own."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, cast, false, func, literal, select, true
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from contracts.events.order import OrderCloseReason
from dashboard_service.projections.fold import CANCELLED
from dashboard_service.projections.tables import (
    dashboard_cases,
    dashboard_complaints,
    dashboard_orders,
    dashboard_payments,
    dashboard_shipments,
    dashboard_shops,
)

# The handbooks' "shipped within 24 h / 48 h of payment", as logistics reports it.
METRIC_WINDOWS = (timedelta(hours=24), timedelta(hours=48))
_UNPAID_CLOSES = (OrderCloseReason.UNPAID_TIMEOUT.value, OrderCloseReason.BALANCE_TIMEOUT.value)


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose figures (`shop_id` None: the platform's) over `[start, end)` (None: unbounded)."""

    shop_id: str | None
    start: datetime | None
    end: datetime | None

    def of_shop(self, column: Any) -> ColumnElement[bool]:
        return true() if self.shop_id is None else column == self.shop_id

    def during(self, column: Any) -> ColumnElement[bool]:
        """The fact happened in the period (it happened at all, for all time)."""
        conditions: list[ColumnElement[bool]] = [column.is_not(None)]
        if self.start is not None:
            conditions.append(column >= self.start)
        if self.end is not None:
            conditions.append(column < self.end)
        return and_(*conditions)

    @property
    def bounded(self) -> bool:
        return self.start is not None or self.end is not None


Amounts = dict[str, int]


@dataclass
class Counted:
    count: int = 0
    amount: Amounts = field(default_factory=dict)


@dataclass
class OrderCounts:
    placed: int = 0
    paid: int = 0
    placed_and_paid: int = 0
    cancelled: int = 0
    auto_closed_unpaid: int = 0
    gmv: Amounts = field(default_factory=dict)
    first_paid_payable: Amounts = field(default_factory=dict)
    first_paid_by_currency: Amounts = field(default_factory=dict)
    deposits: Counted = field(default_factory=Counted)
    balances: Counted = field(default_factory=Counted)
    forfeited: Counted = field(default_factory=Counted)


@dataclass(frozen=True, slots=True)
class RatingCounts:
    count: int
    description: int
    service: int
    shipping_speed: int
    follow_ups: int  # medium or bad ratings (order.rating_follow_up_opened)
    follow_ups_answered: int
    follow_ups_answered_in_time: int  # answered by the follow-up's due time


@dataclass(frozen=True, slots=True)
class ShippingCounts:
    requested: int
    shipped: int
    within_24h: int
    within_48h: int
    target_missed: int
    limit_missed: int
    with_exceptions: int
    cancelled: int


@dataclass(frozen=True, slots=True)
class CaseCounts:
    cases: int
    refunded: Amounts
    timeouts: int
    disputes: int
    rulings: int
    ruled_against_seller: int


@dataclass(frozen=True, slots=True)
class ComplaintCounts:
    """Complaints filed in the period and what became of them so far."""

    filed: int
    resolved_within_deadline: int
    escalated: int
    responsibility: dict[str, int]


@dataclass(frozen=True, slots=True)
class LatestEvent:
    at: datetime | None
    type: str | None
    applied_at: datetime | None


def _count(condition: ColumnElement[bool]) -> Any:
    return func.count().filter(condition)


def _sum(column: Any, condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(column).filter(condition), 0)


async def order_counts(connection: AsyncConnection, scope: Scope) -> OrderCounts:
    o = dashboard_orders.c
    placed, first_paid = scope.during(o.placed_at), scope.during(o.first_paid_at)
    closed = scope.during(o.closed_at)
    forfeited = and_(closed, o.deposit_forfeited > 0)
    rows = await connection.execute(
        select(
            o.currency,
            _count(placed),
            _count(first_paid),
            _count(and_(placed, o.first_paid_at.is_not(None))),
            _count(scope.during(o.cancelled_at)),
            _count(and_(closed, o.close_reason.in_(_UNPAID_CLOSES))),
            _sum(o.payable, first_paid),
            _count(forfeited),
            _sum(o.deposit_forfeited, forfeited),
        )
        .where(scope.of_shop(o.shop_id))
        .group_by(o.currency)
    )
    counts = OrderCounts()
    for currency, *numbers in rows:
        placed_n, paid_n, converted, cancelled, unpaid, payable, lost_n, lost = map(int, numbers)
        counts.placed += placed_n
        counts.paid += paid_n
        counts.placed_and_paid += converted
        counts.cancelled += cancelled
        counts.auto_closed_unpaid += unpaid
        counts.forfeited.count += lost_n
        if currency is not None and paid_n:
            counts.first_paid_payable[currency] = payable
            counts.first_paid_by_currency[currency] = paid_n
        if currency is not None and lost:
            counts.forfeited.amount[currency] = lost
    p = dashboard_payments.c
    taken = await connection.execute(
        select(p.currency, p.stage, func.count(), func.sum(p.amount))
        .where(scope.of_shop(p.shop_id), scope.during(p.paid_at))
        .group_by(p.currency, p.stage)
    )
    for currency, stage, number, amount in taken:
        counts.gmv[currency] = counts.gmv.get(currency, 0) + int(amount)
        staged = {"deposit": counts.deposits, "balance": counts.balances}.get(stage)
        if staged is not None:
            staged.count += int(number)
            staged.amount[currency] = staged.amount.get(currency, 0) + int(amount)
    return counts


async def rating_counts(
    connection: AsyncConnection, shop_id: str | None, window: tuple[datetime, datetime]
) -> RatingCounts:
    """Ratings given in `window`, `[start, end)` (`ReportingPeriod.ratings_window`)."""
    o = dashboard_orders.c
    window_scope = Scope(shop_id, *window)
    answered = o.rating_answered_at.is_not(None)
    row = (
        await connection.execute(
            select(
                func.count(),
                _sum(o.description_score, true()),
                _sum(o.service_score, true()),
                _sum(o.shipping_speed_score, true()),
                func.count(o.rating_follow_up_due_at),
                _count(and_(o.rating_follow_up_due_at.is_not(None), answered)),
                _count(o.rating_answered_at <= o.rating_follow_up_due_at),
            ).where(window_scope.of_shop(o.shop_id), window_scope.during(o.rated_at))
        )
    ).one()
    return RatingCounts(*(int(value) for value in row))


async def shipping_counts(connection: AsyncConnection, scope: Scope) -> ShippingCounts:
    s, o = dashboard_shipments.c, dashboard_orders.c
    shipped = scope.during(s.shipped_at)
    within = [_count(and_(shipped, s.shipped_at - o.fully_paid_at <= w)) for w in METRIC_WINDOWS]
    # Logistics counts every shipment that ever had an exception; one leaves only after an
    # exception can be raised, so in a period the shipments shipped in it are the ones counted.
    exceptions = and_(s.exceptions_raised > 0, shipped if scope.bounded else true())
    joined = dashboard_shipments.outerjoin(dashboard_orders, o.order_id == s.order_id)
    row = (
        await connection.execute(
            select(
                _count(and_(s.ship_by.is_not(None), scope.during(s.requested_at))),
                _count(shipped),
                *within,
                _count(scope.during(s.target_missed_at)),
                _count(scope.during(s.limit_missed_at)),
                _count(exceptions),
                # Requested shipments only: an order called off before payment leaves a
                # cancelled shipment that never had a parcel to send.
                _count(
                    and_(
                        s.status == CANCELLED, s.ship_by.is_not(None), scope.during(s.cancelled_at)
                    )
                ),
            )
            .select_from(joined)
            .where(scope.of_shop(s.shop_id))
        )
    ).one()
    return ShippingCounts(*(int(value) for value in row))


async def case_counts(connection: AsyncConnection, scope: Scope) -> CaseCounts:
    """Buyer cases only: the cancel-vs-ship recovery cases are the system's, not requests."""
    c = dashboard_cases.c
    buyers = and_(scope.of_shop(c.shop_id), c.intercept == false())
    ruled = scope.during(c.ruled_at)
    row = (
        await connection.execute(
            select(
                _count(scope.during(c.opened_at)),
                _count(scope.during(c.timed_out_at)),
                _count(scope.during(c.disputed_at)),
                _count(ruled),
                _count(and_(ruled, c.responsible_party == "seller")),
            ).where(buyers)
        )
    ).one()
    refunds = await connection.execute(
        select(c.refunded_currency, func.sum(c.refunded_amount))
        .where(buyers, scope.during(c.refunded_at))
        .group_by(c.refunded_currency)
    )
    refunded = {currency: int(amount) for currency, amount in refunds if amount}
    cases, timeouts, disputes, rulings, against = (int(value) for value in row)
    return CaseCounts(cases, refunded, timeouts, disputes, rulings, against)


async def complaint_counts(connection: AsyncConnection, scope: Scope) -> ComplaintCounts:
    """As the order service counts them: resolved within deadline = closed without the
    platform; responsibility = the last found (the shop's analysis, or the ruling)."""
    c = dashboard_complaints.c
    filed = and_(scope.of_shop(c.shop_id), scope.during(c.filed_at))
    row = (
        await connection.execute(
            select(
                func.count(),
                _count(and_(c.ended_at.is_not(None), c.escalated_at.is_(None))),
                _count(c.escalated_at.is_not(None)),
            ).where(filed)
        )
    ).one()
    split = await connection.execute(
        select(c.responsibility, func.count())
        .where(filed, c.responsibility.is_not(None))
        .group_by(c.responsibility)
    )
    found = {str(party): int(count) for party, count in split}
    return ComplaintCounts(int(row[0]), int(row[1]), int(row[2]), found)


async def latest_event(connection: AsyncConnection, shop_id: str | None) -> LatestEvent:
    """The latest event (by business time) of the shop or platform, and when the dashboard
    last applied one."""
    s = dashboard_shops.c
    where = Scope(shop_id, None, None).of_shop(s.shop_id)
    latest = (
        await connection.execute(
            select(s.last_event_at, s.last_event_type)
            .where(where)
            .order_by(s.last_event_at.desc().nulls_last())
            .limit(1)
        )
    ).first()
    applied = await connection.scalar(select(func.max(s.applied_at)).where(where))
    if latest is None:
        return LatestEvent(None, None, None)
    return LatestEvent(latest.last_event_at, latest.last_event_type, applied)


@dataclass
class DayBucket:
    placed: int = 0
    paid: int = 0
    shipped: int = 0
    gmv: Amounts = field(default_factory=dict)
    refunded: Amounts = field(default_factory=dict)


async def day_series(
    connection: AsyncConnection, scope: Scope, time_zone: str, days: list[date]
) -> dict[date, DayBucket]:
    """Counts per day (in `time_zone`) of `days`, every day present."""
    buckets = {day: DayBucket() for day in days}

    def day_of(column: Any) -> Any:
        return cast(func.timezone(literal(time_zone), column), Date).label("day")

    o, p, s, c = dashboard_orders.c, dashboard_payments.c, dashboard_shipments.c, dashboard_cases.c
    for attribute, column, table_shop in (
        ("placed", o.placed_at, o.shop_id),
        ("paid", o.first_paid_at, o.shop_id),
        ("shipped", s.shipped_at, s.shop_id),
    ):
        day = day_of(column)
        statement = (
            select(day, func.count())
            .where(scope.during(column), scope.of_shop(table_shop))
            .group_by(day)
        )
        for when, number in await connection.execute(statement):
            if when in buckets:
                setattr(buckets[when], attribute, int(number))
    money: list[tuple[str, Any, Any, list[Any]]] = [
        ("gmv", p.paid_at, p.currency, [scope.of_shop(p.shop_id)]),
        ("refunded", c.refunded_at, c.refunded_currency,
         [scope.of_shop(c.shop_id), c.intercept == false()]),
    ]  # fmt: skip
    amount_of = {"gmv": p.amount, "refunded": c.refunded_amount}
    for attribute, column, currency, where in money:
        day = day_of(column)
        statement = (
            select(day, currency, func.sum(amount_of[attribute]))
            .where(scope.during(column), *where)
            .group_by(day, currency)
        )
        totals: defaultdict[date, Amounts] = defaultdict(dict)
        for when, unit, amount in await connection.execute(statement):
            if amount:
                totals[when][unit] = int(amount)
        for when, amounts in totals.items():
            if when in buckets:
                setattr(buckets[when], attribute, amounts)
    return buckets


async def shops(connection: AsyncConnection, shop_id: str | None) -> list[Any]:
    s = dashboard_shops.c
    statement = select(s.shop_id, s.last_event_at).order_by(s.shop_id)
    if shop_id is not None:
        statement = statement.where(s.shop_id == shop_id)
    return list((await connection.execute(statement)).all())
