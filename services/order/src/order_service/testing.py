"""Driving a running order service in tests and demos: callers, commands, upstream facts, time.

Used by the service's integration tests and by cross-service tests; needs `httpx`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts import Actor
from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.kafka_binding import to_kafka
from eventing.clock import advance_clock
from eventing.encoding import OutgoingRecord
from eventing.http.auth import Role, TokenIssuer
from eventing.settings import DEVELOPMENT_AUTH_SECRET
from eventing.testing import eventually
from eventing.testing.kafka import publish_records

SHOP = "shop-tea"
OTHER_SHOP = "shop-cups"
BUYER = "buyer-li"
OTHER_BUYER = "buyer-wang"
TEA, CUP = "TEA-250", "CUP-01"


def cny(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "CNY"}


def order_body(
    *, tea: int = 2, cup: int = 1, shop_id: str = SHOP, **changes: Any
) -> dict[str, Any]:
    """A valid order: `tea` x 88.00 + `cup` x 35.00 + 10.00 shipping - 5.00 discount."""
    items = []
    if tea:
        items.append(
            {"sku": TEA, "title": "Longjing tea 250 g", "unit_price": cny(8800), "quantity": tea}
        )
    if cup:
        items.append({"sku": CUP, "title": "Celadon cup", "unit_price": cny(3500), "quantity": cup})
    body: dict[str, Any] = {
        "shop_id": shop_id,
        "items": items,
        "receiver": {
            "name": "李雷",
            "phone": "13812345678",
            "address": {"province": "浙江省", "city": "杭州市", "street": "文三路 90 号"},
        },
        "shipping_fee": 1000,
        "discount": 500,
    }
    body["payable"] = payable(tea, cup)
    body.update(changes)
    return body


def payable(tea: int = 2, cup: int = 1) -> int:
    return tea * 8800 + cup * 3500 + 1000 - 500


@dataclass
class OrderTestbed:
    """One running order service (in-process) and what a test needs to drive it."""

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
    def other_buyer(self) -> dict[str, str]:
        return self.auth(Role.BUYER, OTHER_BUYER)

    @property
    def seller(self) -> dict[str, str]:
        return self.auth(Role.SELLER, "clerk-1", SHOP)

    @property
    def other_seller(self) -> dict[str, str]:
        return self.auth(Role.SELLER, "clerk-9", OTHER_SHOP)

    @property
    def platform(self) -> dict[str, str]:
        return self.auth(Role.PLATFORM, "judge-1")

    @property
    def ops(self) -> dict[str, str]:
        return self.auth(Role.OPS, "oncall-1")

    async def command(
        self,
        path: str,
        body: dict[str, Any] | None,
        headers: dict[str, str],
        *,
        key: str | None = None,
        version: int | None = None,
        method: str = "POST",
    ) -> httpx.Response:
        """A command with a fresh Idempotency-Key (or `key`) and If-Match `version` if given."""
        sent = {"Idempotency-Key": key or str(uuid.uuid4()), **headers}
        if version is not None:
            sent["If-Match"] = f'"{version}"'
        return await self.client.request(method, path, json=body, headers=sent)

    async def set_stock(self, sku: str, on_hand: int, **limits: int | None) -> httpx.Response:
        response = await self.command(
            f"/v1/shops/{SHOP}/skus/{sku}/stock",
            {"on_hand": on_hand, **limits},
            self.seller,
            method="PUT",
        )
        assert response.status_code == 200, response.text
        return response

    async def place(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.command("/v1/orders", body or order_body(), self.buyer)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def pay(
        self, order_id: str, amount: int, stage: str = "full", payment_id: str | None = None
    ) -> httpx.Response:
        body = {
            "payment_id": payment_id or f"pay-{uuid.uuid4().hex[:12]}",
            "stage": stage,
            "method": "alipay",
            "amount": cny(amount),
        }
        return await self.command(f"/v1/orders/{order_id}/payments", body, self.buyer)

    async def order(
        self, order_id: str, headers: dict[str, str] | None = None, min_version: int | None = None
    ) -> httpx.Response:
        params = {"min_version": str(min_version)} if min_version else {}
        return await self.client.get(
            f"/v1/orders/{order_id}", headers=headers or self.platform, params=params
        )

    async def order_when(
        self, order_id: str, condition: Callable[[dict[str, Any]], bool], message: str
    ) -> dict[str, Any]:
        """Poll the order's read model until `condition` holds (policies, deadlines)."""

        async def probe() -> dict[str, Any] | None:
            response = await self.order(order_id)
            return response.json() if response.status_code == 200 else None

        found = await eventually(probe, lambda o: o is not None and condition(o), message=message)
        assert found is not None
        return found

    async def stock(self, sku: str) -> dict[str, Any]:
        response = await self.client.get(f"/v1/shops/{SHOP}/skus/{sku}/stock", headers=self.seller)
        assert response.status_code == 200, response.text
        level: dict[str, Any] = response.json()
        return level

    async def publish(self, *events: EventPayload) -> list[Envelope]:
        """Publish other services' facts as their producers would (per-order sequences)."""
        topics = {"logistics": self.logistics_topic, "aftersales": self.aftersales_topic}
        records = []
        envelopes = []
        for event in events:
            topic = topics[event.producer.value]
            self.sequences[(topic, event.order_id)] = sequence = (
                self.sequences.get((topic, event.order_id), 0) + 1
            )
            envelope = Envelope(
                data=event,
                time=datetime.now(UTC),
                sequence=sequence,
                correlationid=f"flow-{event.order_id}",
                actor=Actor.SYSTEM,
            )
            envelopes.append(envelope)
            record = to_kafka(envelope)
            records.append(OutgoingRecord(topic, record.key, record.value, record.headers))
        await publish_records(self.bootstrap, records)
        return envelopes

    async def advance(self, by: timedelta) -> None:
        """Move the service's (database) clock forward."""
        await advance_clock(self.engine, by)
