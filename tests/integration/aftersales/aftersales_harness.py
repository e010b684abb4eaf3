"""Driving the aftersales service in-process on the real PostgreSQL and Kafka.

`aftersales` starts the app (relay, subscriptions, deadline worker) on a new database and new
order/logistics/aftersales topics, and offers helpers to publish upstream facts, call the API
as a role and move the service's clock.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from aftersales_service.main import create_app
from aftersales_service.settings import AftersalesSettings
from contracts import Actor
from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.logistics import Delivered, Shipped
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
from contracts.values import Address, LineItem, Money, Receiver, SkuQuantity, Waybill
from eventing.clock import advance_clock
from eventing.database import create_engine
from eventing.encoding import OutgoingRecord
from eventing.http.auth import Role, TokenIssuer
from eventing.settings import DEVELOPMENT_AUTH_SECRET
from eventing.testing import eventually
from eventing.testing.kafka import publish_records

SHOP = "shop-tea"
BUYER = "buyer-li"
PAID = 10_000
ITEMS = (
    LineItem(sku="TEA-001", title="Longjing 250g", unit_price=Money(amount=4_000, currency="CNY"),
             quantity=2),
    LineItem(sku="CUP-002", title="Tea cup", unit_price=Money(amount=2_000, currency="CNY"),
             quantity=1),
)  # fmt: skip
RECEIVER = Receiver(
    name="李雷", phone="13812345678",
    address=Address(province="Zhejiang", city="Hangzhou", street="8 West Lake Road"),
)  # fmt: skip
RETURNS = Address(province="Zhejiang", city="Hangzhou", street="1 Warehouse Road")


def cny(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "CNY"}


@dataclass
class Aftersales:
    """One running aftersales service and what a test needs to drive it."""

    client: httpx.AsyncClient
    engine: AsyncEngine
    bootstrap: str
    order_topic: str
    logistics_topic: str
    aftersales_topic: str
    tokens: TokenIssuer = field(default_factory=lambda: TokenIssuer(DEVELOPMENT_AUTH_SECRET))
    sequences: dict[tuple[str, str], int] = field(default_factory=dict)

    def auth(self, role: Role, subject: str, shop_id: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.issue(role, subject, shop_id)}"}

    @property
    def buyer(self) -> dict[str, str]:
        return self.auth(Role.BUYER, BUYER)

    @property
    def seller(self) -> dict[str, str]:
        return self.auth(Role.SELLER, "clerk-1", SHOP)

    @property
    def platform(self) -> dict[str, str]:
        return self.auth(Role.PLATFORM, "judge-1")

    async def command(
        self, path: str, body: dict[str, Any], headers: dict[str, str], **extra: str
    ) -> httpx.Response:
        """POST a command with a fresh Idempotency-Key (or the one in `extra`)."""
        sent = {"Idempotency-Key": str(uuid.uuid4()), **headers, **extra}
        return await self.client.post(path, json=body, headers=sent)

    async def publish(self, *events: EventPayload, at: datetime | None = None) -> None:
        """Publish upstream facts as their producers would (per-order sequences)."""
        records = []
        for event in events:
            topic = self.logistics_topic if event.event_type.startswith("logistics.") else (
                self.order_topic)  # fmt: skip
            key = (topic, event.order_id)
            self.sequences[key] = self.sequences.get(key, 0) + 1
            envelope = Envelope(
                data=event, time=at or datetime.now(UTC), sequence=self.sequences[key],
                correlationid=f"flow-{event.order_id}", actor=Actor.SYSTEM,
            )  # fmt: skip
            record = to_kafka(envelope)
            records.append(OutgoingRecord(topic, record.key, record.value, record.headers))
        await publish_records(self.bootstrap, records)

    async def advance(self, by: timedelta) -> None:
        await advance_clock(self.engine, by)

    async def case(self, case_id: str, headers: dict[str, str] | None = None,
                   min_version: int | None = None) -> dict[str, Any]:  # fmt: skip
        params = {"min_version": str(min_version)} if min_version else {}
        response = await self.client.get(
            f"/v1/refund-cases/{case_id}", headers=headers or self.platform, params=params
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def case_when(
        self, case_id: str, condition: Callable[[dict[str, Any]], bool], message: str
    ) -> dict[str, Any]:
        """Poll the case until `condition` holds (for what policies and deadlines do)."""

        async def probe() -> dict[str, Any] | None:
            response = await self.client.get(f"/v1/refund-cases/{case_id}", headers=self.platform)
            return response.json() if response.status_code == 200 else None

        found = await eventually(probe, lambda c: c is not None and condition(c), message=message)
        assert found is not None
        return found


def _cny(amount: int) -> Money:
    return Money(amount=amount, currency="CNY")


def placed(order_id: str, buyer: str = BUYER) -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id, shop_id=SHOP, buyer_id=buyer, channel=OrderChannel.BUYER,
        goods_kind=GoodsKind.PHYSICAL, items=ITEMS, receiver=RECEIVER,
        items_total=_cny(PAID), shipping_fee=_cny(0), discount=_cny(0), payable=_cny(PAID),
        payment_due_by=datetime.now(UTC) + timedelta(days=3),
    )  # fmt: skip


def paid(order_id: str) -> OrderPaid:
    return OrderPaid(
        order_id=order_id, shop_id=SHOP, payment_id=f"pay-{order_id}", method=PaymentMethod.ALIPAY,
        amount=Money(amount=PAID, currency="CNY"), paid_at=datetime.now(UTC),
    )  # fmt: skip


def shipped(order_id: str) -> Shipped:
    now = datetime.now(UTC)
    return Shipped(
        order_id=order_id, shop_id=SHOP, shipment_id=f"shp-{order_id}",
        waybill=Waybill(carrier="SF", tracking_number=f"SF{order_id[-8:]}0000"),
        items=tuple(SkuQuantity(sku=i.sku, quantity=i.quantity) for i in ITEMS),
        shipped_at=now, ship_by=now + timedelta(hours=24),
    )  # fmt: skip


def delivered(order_id: str) -> Delivered:
    return Delivered(
        order_id=order_id, shop_id=SHOP, shipment_id=f"shp-{order_id}",
        waybill=Waybill(carrier="SF", tracking_number=f"SF{order_id[-8:]}0000"),
        delivered_at=datetime.now(UTC),
    )  # fmt: skip


def cancelled(order_id: str, refund_due: int = PAID) -> OrderCancelled:
    return OrderCancelled(
        order_id=order_id, shop_id=SHOP, reason=CancellationReason.BUYER_CHANGED_MIND,
        refund_due=Money(amount=refund_due, currency="CNY"),
    )  # fmt: skip


def new_order_id() -> str:
    return f"ord-{uuid.uuid4().hex[:12]}"


TopicFactory = Callable[..., Awaitable[str]]
DatabaseFactory = Callable[[], Awaitable[str]]


@asynccontextmanager
async def running(settings: AftersalesSettings) -> AsyncIterator[Aftersales]:
    """One process of the service (app + workers) for the time of the block."""
    app = create_app(settings)
    engine = create_engine(settings.database_url)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://aftersales"
            ) as client:
                yield Aftersales(
                    client, engine, settings.kafka_bootstrap_servers, settings.topic_order,
                    settings.topic_logistics, settings.topic_aftersales,
                )  # fmt: skip
    finally:
        await engine.dispose()


async def paid_order(service: Aftersales, *, delivered_too: bool = False,
                     shipped_too: bool = False) -> str:  # fmt: skip
    """An order the service knows as paid (and shipped/delivered), facts visible."""
    order_id = new_order_id()
    await service.publish(placed(order_id), paid(order_id))
    if shipped_too or delivered_too:
        await service.publish(shipped(order_id))
    if delivered_too:
        await service.publish(delivered(order_id))
    return order_id


async def open_case(service: Aftersales, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Ask for a refund as the buyer, retrying while the payment is on its way (409 retryable)."""

    async def attempt() -> httpx.Response:
        return await service.command(f"/v1/orders/{order_id}/refund-cases", body, service.buyer)

    response = await eventually(
        attempt, lambda r: r.status_code != 409, message="payment known to aftersales"
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert response.headers["Location"] == f"/v1/refund-cases/{created['case_id']}"
    assert response.headers["ETag"] == f'"{created["version"]}"'
    return created


REFUND_ONLY = {"kind": "refund_only", "reason": "changed_mind", "amount": cny(10_000)}
RETURN_ONE_TEA = {
    "kind": "return_and_refund", "reason": "damaged", "amount": cny(4_000),
    "items": [{"sku": "TEA-001", "quantity": 1}], "description": "the tin was dented",
}  # fmt: skip
