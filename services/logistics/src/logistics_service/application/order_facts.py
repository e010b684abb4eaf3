"""What logistics knows of each order from the order topic: who, what and where to ship."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.order import OrderPlaced
from contracts.values import Receiver, SkuQuantity
from logistics_service.domain.checks import merge_quantities
from logistics_service.projections.tables import order_facts


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """The order as logistics needs it to request a shipment."""

    order_id: str
    shop_id: str
    buyer_id: str
    items: tuple[SkuQuantity, ...]
    receiver: Receiver


class OrderFactsTable:
    """`order_facts`, written by the order-topic policy in its subscription transaction."""

    async def record_placed(
        self, placed: OrderPlaced, at: datetime, *, connection: AsyncConnection
    ) -> None:
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

    async def record_receiver(
        self, order_id: str, receiver: Receiver, *, connection: AsyncConnection
    ) -> None:
        await connection.execute(
            order_facts.update()
            .where(order_facts.c.order_id == order_id)
            .values(receiver=receiver.model_dump(mode="json"))
        )

    async def record_paid(
        self, order_id: str, at: datetime, *, connection: AsyncConnection
    ) -> None:
        await connection.execute(
            order_facts.update().where(order_facts.c.order_id == order_id).values(paid_at=at)
        )

    async def get(self, order_id: str, *, connection: AsyncConnection) -> OrderFacts | None:
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
            receiver=Receiver.model_validate(row.receiver),
        )
