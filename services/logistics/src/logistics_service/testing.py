"""Test kit for the logistics service: drive a running service as its neighbours would.

`Logistics` wraps an in-process service (see tests/integration/logistics/conftest.py): publish
order events as the order service does, call the API as a role, read the logistics topic, move
the database clock. `placed`, `paid` and `cancelled` build the upstream order events.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.order import (
    CancellationReason,
    GoodsKind,
    OrderCancelled,
    OrderChannel,
    OrderPaid,
    OrderPlaced,
    PaymentMethod,
)
from contracts.kafka_binding import to_kafka
from contracts.parties import Actor
from contracts.values import LineItem, Money, Waybill
from eventing.clock import advance_clock
from eventing.encoding import ConsumedEvent, OutgoingRecord
from eventing.http.auth import Role, TokenIssuer
from eventing.testing import eventually
from eventing.testing.kafka import publish_records, read_topic
from logistics_service.examples import ITEMS, RECEIVER, WAYBILL
from logistics_service.settings import LogisticsSettings

SHOP = "shop-hz-tea"
BUYER = "buyer-42"


class Logistics:
    """A running logistics service and the ways a test talks to it."""

    def __init__(
        self, client: httpx.AsyncClient, engine: AsyncEngine, settings: LogisticsSettings
    ) -> None:
        self.client = client
        self.engine = engine
        self.settings = settings
        self.tokens = TokenIssuer(settings.auth_secret.get_secret_value())
        self._sequences: dict[str, int] = {}

    # --- acting as callers -------------------------------------------------------------
    def auth(
        self, role: Role, subject: str = "someone", shop_id: str | None = None
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.issue(role, subject, shop_id)}"}

    def seller(self, shop_id: str = SHOP) -> dict[str, str]:
        return self.auth(Role.SELLER, "warehouse-1", shop_id)

    def carrier(self) -> dict[str, str]:
        return self.auth(Role.SYSTEM, "carrier-feed-sf")

    async def command(
        self,
        path: str,
        body: dict[str, Any],
        caller: dict[str, str],
        *,
        key: str | None = None,
        if_match: int | None = None,
    ) -> httpx.Response:
        headers = {**caller, "Idempotency-Key": key or str(uuid.uuid4())}
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        return await self.client.post(path, json=body, headers=headers)

    async def dispatch(
        self,
        order_id: str,
        caller: dict[str, str] | None = None,
        *,
        waybill: Waybill = WAYBILL,
        key: str | None = None,
        if_match: int | None = None,
    ) -> httpx.Response:
        body = {"waybill": waybill.model_dump(), "items": [i.model_dump() for i in ITEMS]}
        return await self.command(
            f"/v1/shipments/{order_id}/dispatch",
            body,
            caller or self.seller(),
            key=key,
            if_match=if_match,
        )

    async def shipment(self, order_id: str, min_version: int | None = None) -> httpx.Response:
        params = {"min_version": min_version} if min_version else None
        return await self.client.get(
            f"/v1/shipments/{order_id}", params=params, headers=self.auth(Role.PLATFORM)
        )

    async def shipment_when(
        self, order_id: str, condition: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            response = await self.shipment(order_id)
            return response.json() if response.status_code == 200 else None

        found = await eventually(probe, lambda body: body is not None and condition(body))
        assert found is not None
        return found

    async def queue(self, queue: str, caller: dict[str, str] | None = None,
                    **params: Any) -> httpx.Response:  # fmt: skip
        return await self.client.get(
            "/v1/shipments",
            params={"queue": queue, **params},
            headers=caller or self.auth(Role.PLATFORM),
        )

    # --- the order service, as seen on its topic ------------------------------------------
    async def publish(self, *payloads: EventPayload, at: datetime | None = None) -> None:
        records = []
        for payload in payloads:
            sequence = self._sequences.get(payload.order_id, 0) + 1
            self._sequences[payload.order_id] = sequence
            envelope = Envelope(
                data=payload,
                time=at or datetime.now(UTC),
                sequence=sequence,
                correlationid=f"corr-{payload.order_id}",
                actor=Actor.BUYER,
            )
            kafka = to_kafka(envelope)
            records.append(
                OutgoingRecord(self.settings.topic_order, kafka.key, kafka.value, kafka.headers)
            )
        await publish_records(self.settings.kafka_bootstrap_servers, records)

    async def order_applied(self, order_id: str) -> None:
        """Wait until the order policy applied every order event published for `order_id`."""
        group = self.settings.consumer_group_prefix + "logistics.order-policy"

        async def applied() -> int:
            async with self.engine.connect() as connection:
                sequence = await connection.scalar(
                    text("SELECT last_sequence FROM eventing.consumer_streams"
                         " WHERE consumer_group = :group AND stream_id = :order"),
                    {"group": group, "order": order_id},
                )  # fmt: skip
            return int(sequence or 0)

        await eventually(applied, lambda n: n >= self._sequences.get(order_id, 0))

    async def paid_order(self, order_id: str | None = None, *, shop_id: str = SHOP,
                         paid_at: datetime | None = None) -> str:  # fmt: skip
        """Publish order.placed + order.paid and wait for the shipment to be awaiting dispatch."""
        order_id = order_id or f"ord-{uuid.uuid4().hex[:12]}"
        await self.publish(placed(order_id, shop_id), paid(order_id, shop_id, paid_at))
        await self.shipment_when(order_id, lambda s: s["status"] == "awaiting_dispatch")
        return order_id

    # --- the logistics topic and the clock --------------------------------------------------
    async def logistics_events(
        self, until: Callable[[Sequence[ConsumedEvent]], bool]
    ) -> list[ConsumedEvent]:
        return await read_topic(
            self.settings.kafka_bootstrap_servers, self.settings.topic_logistics, until=until
        )

    async def advance(self, by: timedelta) -> None:
        await advance_clock(self.engine, by)

    async def deadlines(self, order_id: str) -> list[str]:
        """Kinds of the deadlines still pending for the order."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT kind FROM eventing.deadlines WHERE key = :id ORDER BY kind"),
                {"id": order_id},
            )
            return [row.kind for row in rows]

    async def stored_types(self, order_id: str) -> list[str]:
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT event_type FROM eventing.events WHERE stream_id = :id"
                     " ORDER BY stream_version"),
                {"id": order_id},
            )  # fmt: skip
            return [row.event_type for row in rows]


def placed(order_id: str, shop_id: str = SHOP, buyer_id: str = BUYER) -> OrderPlaced:
    price = Money(amount=8800, currency="CNY")
    lines = tuple(
        LineItem(sku=item.sku, title=item.sku.title(), unit_price=price, quantity=item.quantity)
        for item in ITEMS
    )
    total = Money(amount=8800 * sum(item.quantity for item in ITEMS), currency="CNY")
    zero = Money(amount=0, currency="CNY")
    return OrderPlaced(
        order_id=order_id,
        shop_id=shop_id,
        buyer_id=buyer_id,
        channel=OrderChannel.BUYER,
        goods_kind=GoodsKind.PHYSICAL,
        items=lines,
        receiver=RECEIVER,
        items_total=total,
        shipping_fee=zero,
        discount=zero,
        payable=total,
        payment_due_by=datetime.now(UTC) + timedelta(hours=72),
    )


def paid(order_id: str, shop_id: str = SHOP, paid_at: datetime | None = None) -> OrderPaid:
    return OrderPaid(
        order_id=order_id,
        shop_id=shop_id,
        payment_id=f"pay-{order_id}",
        method=PaymentMethod.ALIPAY,
        amount=Money(amount=26400, currency="CNY"),
        paid_at=paid_at or datetime.now(UTC),
    )


def cancelled(order_id: str, shop_id: str = SHOP) -> OrderCancelled:
    return OrderCancelled(
        order_id=order_id,
        shop_id=shop_id,
        reason=CancellationReason.BUYER_CHANGED_MIND,
        refund_due=Money(amount=26400, currency="CNY"),
    )
