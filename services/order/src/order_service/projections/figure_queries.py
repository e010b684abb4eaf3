"""Reads of `order_figures`: the totals of one shop (or the whole platform) over a period, each
fact counted by its own time. Each total is one range filter on that fact's time index."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.order import OrderCloseReason
from order_service.projections.tables import order_figures

AUTO_CLOSE_REASONS = (OrderCloseReason.UNPAID_TIMEOUT.value, OrderCloseReason.BALANCE_TIMEOUT.value)
"""Closes by the system for a payment not made in time (the deposit or the balance)."""

PerCurrency = dict[str, int]


@dataclass(frozen=True, slots=True)
class Interval:
    """`start` inclusive, `end` exclusive; None is unbounded on that side."""

    start: datetime | None
    end: datetime | None


@dataclass(slots=True)
class Tally:
    """How many facts, and their money and count per currency."""

    count: int = 0
    amount: PerCurrency = field(default_factory=dict)
    counts: PerCurrency = field(default_factory=dict)


@dataclass(slots=True)
class Ratings:
    """Sums of the scores of the ratings counted (averages are taken by the API), and of those
    medium or bad ratings that opened a follow-up: how many, how many answered so far, and how
    many answered by the follow-up's due time."""

    count: int = 0
    description: int = 0
    service: int = 0
    shipping_speed: int = 0
    follow_ups: int = 0
    follow_ups_answered: int = 0
    follow_ups_answered_in_time: int = 0


@dataclass(frozen=True, slots=True)
class FigureTotals:
    """The raw totals behind the `orders` and `ratings` figures."""

    placed: int = 0
    placed_then_paid: int = 0
    first_paid: Tally = field(default_factory=Tally)
    """Orders first paid in the period, with the sum of their payable."""
    gmv: PerCurrency = field(default_factory=dict)
    cancelled: int = 0
    auto_closed_unpaid: int = 0
    presale_deposits: Tally = field(default_factory=Tally)
    presale_balances: Tally = field(default_factory=Tally)
    deposits_forfeited: Tally = field(default_factory=Tally)
    ratings: Ratings = field(default_factory=Ratings)


def _during(column: ColumnElement[datetime], interval: Interval) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [column.is_not(None)]
    if interval.start is not None:
        conditions.append(column >= interval.start)
    if interval.end is not None:
        conditions.append(column < interval.end)
    return conditions


@dataclass(frozen=True, slots=True)
class _Reader:
    """One figures request: its connection, the shop (None: every shop) and the period."""

    connection: AsyncConnection
    shop_id: str | None
    period: Interval

    def where(
        self, time: ColumnElement[datetime], interval: Interval | None = None
    ) -> list[ColumnElement[bool]]:
        """Rows of the shop whose `time` lies in `interval` (default the period)."""
        shop = [] if self.shop_id is None else [order_figures.c.shop_id == self.shop_id]
        return [*shop, *_during(time, interval or self.period)]

    async def placed(self) -> tuple[int, int]:
        """Orders placed, and how many of them have a first payment."""
        f = order_figures.c
        statement = select(func.count(), func.count(f.first_paid_at)).where(
            *self.where(f.placed_at)
        )
        placed, paid = (await self.connection.execute(statement)).one()
        return int(placed), int(paid)

    async def count(self, time: ColumnElement[datetime]) -> int:
        statement = select(func.count()).where(*self.where(time))
        return int((await self.connection.execute(statement)).scalar_one())

    async def taken(self, amount: ColumnElement[int], time: ColumnElement[datetime]) -> Tally:
        """Rows with `time` in the period, and their `amount` per currency."""
        f = order_figures.c
        statement = (
            select(f.currency, func.count(), func.coalesce(func.sum(amount), 0))
            .where(*self.where(time))
            .group_by(f.currency)
        )
        return await _tally(self.connection, statement)

    async def closes(self) -> tuple[int, Tally]:
        """Automatic closes for a missed payment, and the deposits kept by closes."""
        f = order_figures.c
        statement = (
            select(
                f.currency,
                func.count().filter(f.close_reason.in_(AUTO_CLOSE_REASONS)),
                func.count(f.deposit_forfeited),
                func.coalesce(func.sum(f.deposit_forfeited), 0),
            )
            .where(*self.where(f.closed_at))
            .group_by(f.currency)
        )
        auto_closed, forfeited = 0, Tally()
        for currency, closed, kept, amount in await self.connection.execute(statement):
            auto_closed += closed
            if kept:
                forfeited.count += kept
                forfeited.amount[currency] = int(amount)
                forfeited.counts[currency] = kept
        return auto_closed, forfeited

    async def ratings(self, window: Interval) -> Ratings:
        f = order_figures.c
        statement = select(
            func.count(),
            func.coalesce(func.sum(f.description_score), 0),
            func.coalesce(func.sum(f.service_score), 0),
            func.coalesce(func.sum(f.shipping_speed_score), 0),
            func.count(f.rating_follow_up_due_at),
            func.count(f.rating_answered_at).filter(f.rating_follow_up_due_at.is_not(None)),
            func.count().filter(f.rating_answered_at <= f.rating_follow_up_due_at),
        ).where(*self.where(f.rated_at, window))
        row = (await self.connection.execute(statement)).one()
        return Ratings(*(int(value) for value in row))


async def figure_totals(
    connection: AsyncConnection, shop_id: str | None, period: Interval, ratings: Interval
) -> FigureTotals:
    """The totals of `shop_id` (None: every shop) over `period`, ratings over `ratings`."""
    f = order_figures.c
    read = _Reader(connection, shop_id, period)
    placed, placed_then_paid = await read.placed()
    deposits = await read.taken(f.deposit_amount, f.deposit_paid_at)
    balances = await read.taken(f.balance_amount, f.balance_paid_at)
    full = await read.taken(f.paid_amount, f.paid_at)
    auto_closed, forfeited = await read.closes()
    return FigureTotals(
        placed=placed,
        placed_then_paid=placed_then_paid,
        first_paid=await read.taken(f.payable, f.first_paid_at),
        gmv=_added(full.amount, deposits.amount, balances.amount),
        cancelled=await read.count(f.cancelled_at),
        auto_closed_unpaid=auto_closed,
        presale_deposits=deposits,
        presale_balances=balances,
        deposits_forfeited=forfeited,
        ratings=await read.ratings(ratings),
    )


async def _tally(connection: AsyncConnection, statement: Select[Any]) -> Tally:
    tally = Tally()
    for currency, count, amount in await connection.execute(statement):
        tally.count += count
        tally.amount[currency] = int(amount)
        tally.counts[currency] = count
    return tally


def _added(*amounts: PerCurrency) -> PerCurrency:
    total: PerCurrency = {}
    for per_currency in amounts:
        for currency, amount in per_currency.items():
            total[currency] = total.get(currency, 0) + amount
    return total
