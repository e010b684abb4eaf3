"""The aftersales service's own facts about each order, from the order and logistics topics.

Rows are created by whichever fact arrives first (topics are read independently, so a shipment
may be seen before the placement); a request is answered only once the facts it needs are
there. Each change locks the order's row, so two handlers recording facts of one order at once
(e.g. the cancellation and the shipment) run one after the other and the second sees both.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.domain.facts import OrderFacts
from aftersales_service.projections.tables import order_facts
from contracts.events.base import EventPayload
from contracts.events.logistics import Delivered, Shipped
from contracts.events.order import (
    BalancePaid,
    DepositPaid,
    OrderCancelled,
    OrderClosed,
    OrderPaid,
    OrderPlaced,
    ReceiptConfirmed,
)
from contracts.values import SkuQuantity

FACT_EVENTS = (
    OrderPlaced, OrderPaid, DepositPaid, BalancePaid, OrderCancelled, OrderClosed,
    ReceiptConfirmed, Shipped, Delivered,
)  # fmt: skip


def fact_changes(event: EventPayload) -> dict[str, Any]:
    """The columns an upstream event sets (empty: the event is no fact of ours)."""
    match event:
        case OrderPlaced():
            return {
                "shop_id": event.shop_id, "buyer_id": event.buyer_id,
                "currency": event.payable.currency, "goods_kind": event.goods_kind.value,
                "payable": event.payable.amount, "ordered": _ordered(event),
            }  # fmt: skip
        case OrderPaid() | DepositPaid():
            return {"paid": event.amount.amount, "paid_at": event.paid_at}
        case BalancePaid():
            return {"paid": event.total_paid.amount, "paid_at": event.paid_at}
        case OrderCancelled():
            return {"cancellation_refund_due": event.refund_due.amount}
        case OrderClosed():
            forfeited = event.deposit_forfeited.amount if event.deposit_forfeited else 0
            return {"closed": True, "close_reason": event.reason.value,
                    "deposit_forfeited": forfeited}  # fmt: skip
        case ReceiptConfirmed():
            return {"receipt_confirmed": True}
        case Shipped():
            items = [item.model_dump() for item in event.items]
            return {"shipped_items": items, "shipped_at": event.shipped_at}
        case Delivered():
            return {"delivered_at": event.delivered_at}
    return {}


async def record_facts(connection: AsyncConnection, event: EventPayload) -> OrderFacts | None:
    """Record what `event` says about its order; the order's facts afterwards (None: not
    enough is known yet, e.g. the placement has not arrived)."""
    changes = fact_changes(event)
    if changes:
        changes["updated_at"] = text("now()")
        statement = insert(order_facts).values(order_id=event.order_id, **changes)
        await connection.execute(
            statement.on_conflict_do_update(index_elements=["order_id"], set_=changes)
        )
    return await load_facts(connection, event.order_id)


async def load_facts(connection: AsyncConnection, order_id: str) -> OrderFacts | None:
    """The order's facts as commands take them (a fresh read: sees other commits)."""
    row = (
        await connection.execute(select(order_facts).where(order_facts.c.order_id == order_id))
    ).first()
    if row is None or row.shop_id is None:
        return None
    return OrderFacts(
        order_id=row.order_id, shop_id=row.shop_id, buyer_id=row.buyer_id,
        currency=row.currency, ordered=_json(row.ordered), paid=row.paid,
        cancellation_refund_due=row.cancellation_refund_due,
        deposit_forfeited=row.deposit_forfeited, closed=row.closed,
        shipped_items=tuple(SkuQuantity.model_validate(i) for i in _json(row.shipped_items)),
        shipped=row.shipped_at is not None, delivered=row.delivered_at is not None,
        receipt_confirmed=row.receipt_confirmed,
    )  # fmt: skip


def _ordered(event: OrderPlaced) -> dict[str, int]:
    ordered: dict[str, int] = {}
    for line in event.items:
        ordered[line.sku] = ordered.get(line.sku, 0) + line.quantity
    return ordered


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
