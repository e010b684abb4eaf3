"""Realistic event payloads, built and validated with the contracts models.

An `order.placed` with three lines and a receiver and the matching `order.paid`; every order
gets its own id so each one is its own stream. The placement comes in two shapes
(`Placements`): **sealed** (v2, what the order service records since issue 16: the receiver
sealed with the buyer's data key, a fresh nonce per order) and **clear** (v1, the receiver in
clear, what it recorded before), so each benchmark can put the cost of sealing next to it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.buyers import Buyers
from contracts.events.order import (
    GoodsKind,
    OrderChannel,
    OrderPaid,
    OrderPlaced,
    OrderPlacedV1,
    PaymentMethod,
)
from contracts.values import Address, LineItem, Money, Receiver
from eventing.events import EventMetadata, NewEvent, RecordedEvent

PLACED_AT = datetime(2026, 11, 11, 0, 0, 5, tzinfo=UTC)
RECEIVER = Receiver(
    name="张三",
    phone="13812345678",
    address=Address(
        province="浙江省",
        city="杭州市",
        district="余杭区",
        street="文一西路 969 号 阿里巴巴西溪园区 3 号楼 5 层",
        postal_code="311121",
    ),
)


def _cny(fen: int) -> Money:
    return Money(amount=fen, currency="CNY")


def _placed_v1_template() -> OrderPlacedV1:
    items = (
        LineItem(
            sku="TEA-LJ-250", title="明前龙井 特级 250g 礼盒装", unit_price=_cny(12800), quantity=2
        ),
        LineItem(sku="CUP-GL-01", title="双层玻璃茶杯 350ml", unit_price=_cny(3990), quantity=1),
        LineItem(sku="TRAY-BM-3", title="竹制干泡茶盘 小号", unit_price=_cny(8900), quantity=1),
    )
    total = sum(item.unit_price.amount * item.quantity for item in items)
    return OrderPlacedV1(
        order_id="O-template",
        shop_id="S-42",
        buyer_id="B-88",
        channel=OrderChannel.BUYER,
        goods_kind=GoodsKind.PHYSICAL,
        items=items,
        receiver=RECEIVER,
        items_total=_cny(total),
        shipping_fee=_cny(0),
        discount=_cny(1000),
        payable=_cny(total - 1000),
        payment_due_by=PLACED_AT + timedelta(hours=72),
        buyer_note="请用顺丰, 工作日白天送货",
    )


def _paid_template(placed: OrderPlacedV1) -> OrderPaid:
    return OrderPaid(
        order_id=placed.order_id,
        shop_id=placed.shop_id,
        payment_id="ALI-2026111100001",
        method=PaymentMethod.ALIPAY,
        amount=placed.payable,
        paid_at=PLACED_AT + timedelta(minutes=3),
    )


def _json_bytes(document: dict[str, Any]) -> int:
    return len(json.dumps(document, ensure_ascii=False).encode())


_PLACED_CLEAR = _placed_v1_template().model_dump(mode="json")
_PAID = _paid_template(_placed_v1_template()).model_dump(mode="json")
# The v2 shape is validated once against its contract, with a throwaway buyer's key.
_PLACED_SEALED_EXAMPLE = OrderPlaced.model_validate(
    {**_PLACED_CLEAR, "receiver": Buyers(1).sealer(0).seal(RECEIVER).model_dump(mode="json")}
).model_dump(mode="json")
PLACED_BYTES = _json_bytes(_PLACED_CLEAR)
SEALED_PLACED_BYTES = _json_bytes(_PLACED_SEALED_EXAMPLE)


def order_id(run: str, n: int) -> str:
    return f"O-{run}-{n:08d}"


def paid(order: str) -> dict[str, Any]:
    """The `order.paid` payload (JSON form) of one order."""
    return {**_PAID, "order_id": order, "payment_id": f"ALI-{order}"}


@dataclass(frozen=True, slots=True)
class StoredRow:
    """One event as a row of `eventing.events` (for bulk loads that bypass the store); the
    projectors also wrap the events they apply in it, `data` as the event has it (not copied)."""

    stream_id: str
    stream_version: int
    event_type: str
    data: Mapping[str, Any]
    schema_version: int = 1


@dataclass(frozen=True, slots=True)
class Placements:
    """How the `order.placed` of a run are built: `sealed` for their buyer (v2), or clear (v1)."""

    buyers: Buyers
    sealed: bool = True

    @classmethod
    def for_orders(cls, orders: int, *, sealed: bool = True) -> Placements:
        return cls(Buyers(orders), sealed)

    @property
    def schema_version(self) -> int:
        return OrderPlaced.event_version if self.sealed else 1

    @property
    def label(self) -> str:
        return "receiver sealed (v2)" if self.sealed else "receiver in clear (v1)"

    def placed(self, order: str, n: int) -> dict[str, Any]:
        """The `order.placed` payload (JSON form) of the run's order `n`; sealing it costs what
        it costs the service: the buyer's key unwrapped, then the receiver sealed."""
        buyer = self.buyers.of(n)
        document = {**_PLACED_CLEAR, "order_id": order, "buyer_id": f"B-{buyer}"}
        if self.sealed:
            document["receiver"] = self.buyers.sealer(buyer).seal(RECEIVER).model_dump(mode="json")
        return document

    def new_event(self, order: str, n: int) -> NewEvent:
        """What a command handler appends when an order is placed."""
        return NewEvent(
            OrderPlaced.event_type,
            self.placed(order, n),
            schema_version=self.schema_version,
            metadata=metadata(n),
        )

    def lifecycles(self, run: str, orders: int) -> Iterator[StoredRow]:
        """`orders` streams of placed then paid, interleaved as a busy shop would record them."""
        for n in range(orders):
            order = order_id(run, n)
            yield StoredRow(
                order, 1, OrderPlaced.event_type, self.placed(order, n), self.schema_version
            )
            yield StoredRow(order, 2, OrderPaid.event_type, paid(order))


def order_lifecycles(run: str, orders: int) -> Iterator[StoredRow]:
    """`orders` streams of placed (sealed, as the service records it) then paid."""
    return Placements.for_orders(orders).lifecycles(run, orders)


def metadata(n: int) -> EventMetadata:
    return EventMetadata(correlation_id=str(uuid.UUID(int=n)), actor="buyer", actor_id=f"B-{n}")


def recorded(row: StoredRow, position: int, topic: str) -> RecordedEvent:
    """The row as the store would hand it to the relay (for in-memory baselines)."""
    return RecordedEvent(
        position=position,
        stream_id=row.stream_id,
        stream_version=row.stream_version,
        event_id=uuid.uuid4(),
        event_type=row.event_type,
        schema_version=row.schema_version,
        topic=topic,
        data=row.data,
        metadata=metadata(position),
        occurred_at=PLACED_AT,
        recorded_at=PLACED_AT,
    )
