"""Logistics' side tables, written in the transactions that decide (not read models).

`order_facts` holds what logistics knows of each order from the order topic (who, what and
where to ship; the receiver sealed, as it came), written by the order reaction; `waybills`
says which order travels under which waybill, written with the dispatch or reshipment, so a
carrier feed finds the order of a waybill at once and one waybill never serves two orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, DateTime, String, Table, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.order import OrderPlaced
from contracts.sealing import Sealed
from contracts.values import SkuQuantity, Waybill
from logistics_service.domain.checks import merge_quantities
from logistics_service.domain.errors import WaybillInUse
from logistics_service.projections.tables import metadata

order_facts = Table(
    "order_facts",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("shop_id", String(64), nullable=False),
    Column("buyer_id", String(64), nullable=False),
    Column("goods_kind", String(16), nullable=False),
    Column("items", JSONB, nullable=False),
    Column("receiver", JSONB, nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("paid_at", DateTime(timezone=True)),
)

waybills = Table(
    "waybills",
    metadata,
    Column("carrier", String(16), primary_key=True),
    Column("tracking_number", String(64), primary_key=True),
    Column("order_id", String(64), nullable=False, index=True),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """The order as logistics needs it to request a shipment."""

    order_id: str
    shop_id: str
    buyer_id: str
    items: tuple[SkuQuantity, ...]
    receiver: Sealed


async def record_placed(connection: AsyncConnection, placed: OrderPlaced, at: datetime) -> None:
    items = merge_quantities(
        SkuQuantity(sku=line.sku, quantity=line.quantity) for line in placed.items
    )
    values = {
        "shop_id": placed.shop_id,
        "buyer_id": placed.buyer_id,
        "goods_kind": placed.goods_kind.value,
        "items": [item.model_dump() for item in items],
        "receiver": placed.receiver.model_dump(mode="json"),
        "placed_at": at,
    }
    statement = insert(order_facts).values(order_id=placed.order_id, **values)
    await connection.execute(
        statement.on_conflict_do_update(index_elements=[order_facts.c.order_id], set_=values)
    )


async def record_receiver(connection: AsyncConnection, order_id: str, receiver: Sealed) -> None:
    await connection.execute(
        order_facts.update()
        .where(order_facts.c.order_id == order_id)
        .values(receiver=receiver.model_dump(mode="json"))
    )


async def record_paid(connection: AsyncConnection, order_id: str, at: datetime) -> None:
    await connection.execute(
        order_facts.update().where(order_facts.c.order_id == order_id).values(paid_at=at)
    )


async def facts_of(connection: AsyncConnection, order_id: str) -> OrderFacts | None:
    row = (
        await connection.execute(select(order_facts).where(order_facts.c.order_id == order_id))
    ).first()
    if row is None:
        return None
    return OrderFacts(
        order_id=row.order_id,
        shop_id=row.shop_id,
        buyer_id=row.buyer_id,
        items=tuple(SkuQuantity.model_validate(item) for item in row.items),
        receiver=Sealed.model_validate(row.receiver),
    )


async def assign_waybill(
    connection: AsyncConnection, waybill: Waybill, order_id: str, at: datetime
) -> None:
    """Record that `order_id` travels under `waybill`; refuse one taken by another order."""
    await connection.execute(
        insert(waybills)
        .values(
            carrier=waybill.carrier,
            tracking_number=waybill.tracking_number,
            order_id=order_id,
            assigned_at=at,
        )
        .on_conflict_do_nothing()
    )
    if await order_of_waybill(connection, waybill) != order_id:
        raise WaybillInUse(
            f"{waybill.carrier} {waybill.tracking_number} already travels with another order",
            waybill=waybill.model_dump(),
        )


async def order_of_waybill(connection: AsyncConnection, waybill: Waybill) -> str | None:
    order_id: str | None = await connection.scalar(
        select(waybills.c.order_id).where(
            waybills.c.carrier == waybill.carrier,
            waybills.c.tracking_number == waybill.tracking_number,
        )
    )
    return order_id
