"""Realistic event payloads, built and validated with the contracts models.

An `order.placed` with three lines and a receiver (about 900 bytes of JSON) and the matching
`order.paid`; every order gets its own id so each one is its own stream.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.events.order import GoodsKind, OrderChannel, OrderPaid, OrderPlaced, PaymentMethod
from contracts.values import Address, LineItem, Money, Receiver
from eventing.events import EventMetadata, NewEvent, RecordedEvent

PLACED_AT = datetime(2026, 11, 11, 0, 0, 5, tzinfo=UTC)


def _cny(fen: int) -> Money:
    return Money(amount=fen, currency="CNY")


def _placed_template() -> OrderPlaced:
    items = (
        LineItem(
            sku="TEA-LJ-250", title="明前龙井 特级 250g 礼盒装", unit_price=_cny(12800), quantity=2
        ),
        LineItem(sku="CUP-GL-01", title="双层玻璃茶杯 350ml", unit_price=_cny(3990), quantity=1),
        LineItem(sku="TRAY-BM-3", title="竹制干泡茶盘 小号", unit_price=_cny(8900), quantity=1),
    )
    total = sum(item.unit_price.amount * item.quantity for item in items)
    return OrderPlaced(
        order_id="O-template",
        shop_id="S-42",
        buyer_id="B-88",
        channel=OrderChannel.BUYER,
        goods_kind=GoodsKind.PHYSICAL,
        items=items,
        receiver=Receiver(
            name="张三",
            phone="13812345678",
            address=Address(
                province="浙江省",
                city="杭州市",
                district="余杭区",
                street="文一西路 969 号 阿里巴巴西溪园区 3 号楼 5 层",
                postal_code="311121",
            ),
        ),
        items_total=_cny(total),
        shipping_fee=_cny(0),
        discount=_cny(1000),
        payable=_cny(total - 1000),
        payment_due_by=PLACED_AT + timedelta(hours=72),
        buyer_note="请用顺丰, 工作日白天送货",
    )


def _paid_template(placed: OrderPlaced) -> OrderPaid:
    return OrderPaid(
        order_id=placed.order_id,
        shop_id=placed.shop_id,
        payment_id="ALI-2026111100001",
        method=PaymentMethod.ALIPAY,
        amount=placed.payable,
        paid_at=PLACED_AT + timedelta(minutes=3),
    )


_PLACED = _placed_template().model_dump(mode="json")
_PAID = _paid_template(_placed_template()).model_dump(mode="json")
PLACED_BYTES = len(json.dumps(_PLACED, ensure_ascii=False).encode())


def order_id(run: str, n: int) -> str:
    return f"O-{run}-{n:08d}"


def placed(order: str, buyer: int) -> dict[str, Any]:
    """The `order.placed` payload (JSON form) of one order."""
    return {**_PLACED, "order_id": order, "buyer_id": f"B-{buyer % 50_000}"}


def paid(order: str) -> dict[str, Any]:
    """The `order.paid` payload (JSON form) of one order."""
    return {**_PAID, "order_id": order, "payment_id": f"ALI-{order}"}


@dataclass(frozen=True, slots=True)
class StoredRow:
    """One event as a row of `eventing.events` (for bulk loads that bypass the store)."""

    stream_id: str
    stream_version: int
    event_type: str
    data: dict[str, Any]


def order_lifecycles(run: str, orders: int) -> Iterator[StoredRow]:
    """`orders` streams of placed then paid, interleaved as a busy shop would record them."""
    for n in range(orders):
        order = order_id(run, n)
        yield StoredRow(order, 1, OrderPlaced.event_type, placed(order, n))
        yield StoredRow(order, 2, OrderPaid.event_type, paid(order))


def metadata(n: int) -> EventMetadata:
    return EventMetadata(correlation_id=str(uuid.UUID(int=n)), actor="buyer", actor_id=f"B-{n}")


def new_placed_event(order: str, n: int) -> NewEvent:
    """What a command handler appends when an order is placed."""
    return NewEvent(OrderPlaced.event_type, placed(order, n), metadata=metadata(n))


def recorded(row: StoredRow, position: int, topic: str) -> RecordedEvent:
    """The row as the store would hand it to the relay (for in-memory baselines)."""
    return RecordedEvent(
        position=position,
        stream_id=row.stream_id,
        stream_version=row.stream_version,
        event_id=uuid.uuid4(),
        event_type=row.event_type,
        schema_version=1,
        topic=topic,
        data=row.data,
        metadata=metadata(position),
        occurred_at=PLACED_AT,
        recorded_at=PLACED_AT,
    )
