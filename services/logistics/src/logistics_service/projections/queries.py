"""Reads of the shipments read model: one shipment, its history, the queues and the figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, Row, and_, case, cast, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from logistics_service.application.state_tables import order_facts
from logistics_service.domain.state import ShipmentStatus
from logistics_service.projections.tables import shipment_exceptions, shipment_tracking, shipments


class Queue(StrEnum):
    """The work lists of the warehouse and of customer service."""

    AWAITING_DISPATCH = "awaiting-dispatch"
    OVERDUE = "overdue"
    EXCEPTIONS = "exceptions"


async def shipment(connection: AsyncConnection, order_id: str) -> Row[Any] | None:
    """The shipment row with the buyer (from the order facts) for access checks."""
    joined = shipments.outerjoin(order_facts, order_facts.c.order_id == shipments.c.order_id)
    statement = (
        select(shipments, order_facts.c.buyer_id)
        .select_from(joined)
        .where(shipments.c.order_id == order_id)
    )
    return (await connection.execute(statement)).first()


async def tracking(connection: AsyncConnection, order_id: str) -> list[Row[Any]]:
    """Every scan of the shipment's parcels, by the carrier's own clock."""
    t = shipment_tracking.c
    statement = (
        select(shipment_tracking)
        .where(t.order_id == order_id)
        .order_by(t.occurred_at, t.carrier, t.tracking_number, t.status)
    )
    return list((await connection.execute(statement)).all())


async def exceptions(connection: AsyncConnection, order_id: str) -> list[Row[Any]]:
    e = shipment_exceptions.c
    statement = select(shipment_exceptions).where(e.order_id == order_id).order_by(e.id)
    return list((await connection.execute(statement)).all())


async def queue(
    connection: AsyncConnection,
    which: Queue,
    *,
    now: datetime,
    shop_id: str | None,
    after: dict[str, Any] | None,
    limit: int,
) -> list[Row[Any]]:
    """One page (`limit + 1` rows) of a queue, after the cursor position `after`.

    Awaiting dispatch and overdue are sorted by ship-by deadline (most urgent first); the
    exceptions queue by shipment, oldest first.
    """
    s = shipments.c
    statement = select(shipments)
    if shop_id is not None:
        statement = statement.where(s.shop_id == shop_id)
    if which is Queue.EXCEPTIONS:
        statement = statement.where(s.open_exceptions > 0).order_by(s.id)
        if after is not None:
            statement = statement.where(s.id > int(after["id"]))
    else:
        statement = statement.where(s.status == ShipmentStatus.AWAITING_DISPATCH.value)
        if which is Queue.OVERDUE:
            statement = statement.where(s.ship_by <= now)
        statement = statement.order_by(s.ship_by, s.id)
        if after is not None:
            ship_by = datetime.fromisoformat(after["ship_by"])
            statement = statement.where(
                or_(s.ship_by > ship_by, and_(s.ship_by == ship_by, s.id > int(after["id"])))
            )
    return list((await connection.execute(statement.limit(limit + 1))).all())


def _share(part: Any, whole: Any) -> Any:
    return case((whole > 0, cast(part, Float) / whole), else_=None)


# The handbooks' metric "share shipped within 24 h / 48 h of payment" is a fixed reporting
# convention, unlike each shop's ship-by window (which the on-target figures measure against).
_METRIC_WINDOWS = (timedelta(hours=24), timedelta(hours=48))
_WITH_PAYMENT = shipments.outerjoin(order_facts, order_facts.c.order_id == shipments.c.order_id)


def _figures(now: datetime) -> list[Any]:
    s = shipments.c
    requested = func.count(s.ship_by)
    shipped = func.count(s.shipped_at)
    within_24h, within_48h = (
        func.count().filter(s.shipped_at - order_facts.c.paid_at <= window)
        for window in _METRIC_WINDOWS
    )
    on_target = func.count().filter(s.shipped_at <= s.ship_by)
    within_limit = func.count().filter(s.shipped_at <= s.ship_limit)
    with_exceptions = func.count().filter(s.exceptions_raised > 0)
    hours_to_delivery = func.avg(extract("epoch", s.delivered_at - s.shipped_at) / 3600.0)
    return [
        requested.label("requested"),
        func.count().filter(s.status == ShipmentStatus.AWAITING_DISPATCH.value).label("awaiting"),
        func.count()
        .filter(s.status == ShipmentStatus.AWAITING_DISPATCH.value, s.ship_by <= now)
        .label("overdue"),
        shipped.label("shipped"),
        on_target.label("shipped_on_target"),
        within_limit.label("shipped_within_limit"),
        _share(on_target, shipped).label("on_target_share"),
        _share(within_limit, shipped).label("within_limit_share"),
        _share(within_24h, shipped).label("within_24h_of_payment_share"),
        _share(within_48h, shipped).label("within_48h_of_payment_share"),
        func.count(s.target_missed).label("target_missed"),
        func.count(s.limit_missed).label("limit_missed"),
        # A shipment is cancelled only if it was requested: an order cancelled or closed before
        # payment leaves a cancelled row that never had a parcel to send (no `ship_by`).
        func.count()
        .filter(s.status == ShipmentStatus.CANCELLED.value, s.ship_by.is_not(None))
        .label("cancelled"),
        func.count(s.delivered_at).label("delivered"),
        with_exceptions.label("with_exceptions"),
        _share(with_exceptions, shipped).label("exception_rate"),
        func.coalesce(func.sum(s.open_exceptions), 0).label("open_exceptions"),
        hours_to_delivery.label("average_hours_to_delivery"),
    ]


async def carrier_figures(
    connection: AsyncConnection, *, now: datetime, shop_id: str | None
) -> list[Row[Any]]:
    """Figures per carrier over every shipment that left (optionally of one shop)."""
    s = shipments.c
    statement = (
        select(s.carrier, *_figures(now))
        .select_from(_WITH_PAYMENT)
        .where(s.carrier.is_not(None))
        .group_by(s.carrier)
        .order_by(s.carrier)
    )
    if shop_id is not None:
        statement = statement.where(s.shop_id == shop_id)
    return list((await connection.execute(statement)).all())


async def shop_figures(connection: AsyncConnection, *, now: datetime, shop_id: str) -> Row[Any]:
    """Figures of one shop over all its shipments."""
    statement = (
        select(*_figures(now)).select_from(_WITH_PAYMENT).where(shipments.c.shop_id == shop_id)
    )
    row = (await connection.execute(statement)).first()
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return row
