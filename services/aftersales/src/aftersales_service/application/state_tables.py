"""The working tables (not read models): the order facts the upstream reaction keeps, the case
and complaint indexes (case or complaint → order's stream, buyer, shop) written with the case's
opening or the complaint's filing, their statements."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Table,
    Text,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.domain.facts import OrderFacts
from aftersales_service.projections.tables import metadata
from contracts.events.aftersales import ComplaintFiled, RefundRequested
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
from eventing.http.access import Parties

order_facts = Table(
    "order_facts",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("shop_id", Text),
    Column("buyer_id", Text),
    Column("currency", Text),
    Column("ordered", JSONB),  # {sku: units ordered}
    Column("goods_kind", Text),
    Column("payable", BigInteger),
    Column("paid", BigInteger),  # minor units paid, NULL until a payment is seen
    Column("paid_at", DateTime(timezone=True)),
    Column("cancellation_refund_due", BigInteger, nullable=False, server_default="0"),
    Column("deposit_forfeited", BigInteger, nullable=False, server_default="0"),
    Column("closed", Boolean, nullable=False, server_default=text("false")),
    Column("close_reason", Text),
    Column("shipped_items", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("shipped_at", DateTime(timezone=True)),
    Column("delivered_at", DateTime(timezone=True)),
    Column("receipt_confirmed", Boolean, nullable=False, server_default=text("false")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)
Index("order_facts_shop_paid", order_facts.c.shop_id, order_facts.c.paid)

refund_case_index = Table(
    "refund_case_index",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("order_id", Text, nullable=False),
    Column("shop_id", Text, nullable=False),
    Column("buyer_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)
Index("refund_case_index_order", refund_case_index.c.order_id)

complaint_index = Table(
    "complaint_index",
    metadata,
    Column("complaint_id", Text, primary_key=True),
    Column("order_id", Text, nullable=False),
    Column("shop_id", Text, nullable=False),
    Column("buyer_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)
Index("complaint_index_order", complaint_index.c.order_id)

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
    enough is known yet, e.g. the placement has not arrived).

    The row is created by whichever fact arrives first (the topics are read independently, so
    a shipment may be seen before the placement). The upsert locks the order's row, so two
    handlers recording facts of one order at once (the cancellation and the shipment) run one
    after the other and the second sees both."""
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


@dataclass(frozen=True, slots=True)
class CaseRef:
    """Where a case lives (its order's stream) and whose it is."""

    case_id: str
    order_id: str
    shop_id: str
    buyer_id: str

    @property
    def parties(self) -> Parties:
        return Parties(self.buyer_id, self.shop_id)


@dataclass(frozen=True, slots=True)
class ComplaintRef:
    """Where a complaint lives (its order's stream) and whose it is."""

    complaint_id: str
    order_id: str
    shop_id: str
    buyer_id: str

    @property
    def parties(self) -> Parties:
        return Parties(self.buyer_id, self.shop_id)


async def find_case(connection: AsyncConnection, case_id: str) -> CaseRef | None:
    row = (
        await connection.execute(
            select(refund_case_index).where(refund_case_index.c.case_id == case_id)
        )
    ).first()
    if row is None:
        return None
    return CaseRef(row.case_id, row.order_id, row.shop_id, row.buyer_id)


async def find_complaint(connection: AsyncConnection, complaint_id: str) -> ComplaintRef | None:
    row = (
        await connection.execute(
            select(complaint_index).where(complaint_index.c.complaint_id == complaint_id)
        )
    ).first()
    if row is None:
        return None
    return ComplaintRef(row.complaint_id, row.order_id, row.shop_id, row.buyer_id)


async def index_new_cases(connection: AsyncConnection, events: Sequence[EventPayload]) -> None:
    """Add the cases `events` open to the case index, the complaints they file to the
    complaint index."""
    for event in events:
        if isinstance(event, ComplaintFiled):
            await connection.execute(
                insert(complaint_index)
                .values(complaint_id=event.complaint_id, order_id=event.order_id,
                        shop_id=event.shop_id, buyer_id=event.buyer_id)
                .on_conflict_do_nothing()
            )  # fmt: skip
        if isinstance(event, RefundRequested):
            await connection.execute(
                insert(refund_case_index)
                .values(case_id=event.case_id, order_id=event.order_id,
                        shop_id=event.shop_id, buyer_id=event.buyer_id)
                .on_conflict_do_nothing()
            )  # fmt: skip


def _ordered(event: OrderPlaced) -> dict[str, int]:
    ordered: dict[str, int] = {}
    for line in event.items:
        ordered[line.sku] = ordered.get(line.sku, 0) + line.quantity
    return ordered


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
