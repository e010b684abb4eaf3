"""The aftersales service driven in-process (`eventing.testing.service`), with its own verbs:
an order it knows as paid, open a case, read a case; and the upstream facts it reacts to."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import text

from contracts.events.base import EventPayload
from contracts.values import Address, LineItem, Money, SkuQuantity
from eventing.http.auth import Role
from eventing.testing import eventually
from eventing.testing.service import Headers, RunningService, example_event

SHOP = "shop-tea"
BUYER = "buyer-li"
PAID = 10_000
ITEMS = (
    LineItem(sku="TEA-001", title="Longjing 250g", unit_price=Money(amount=4_000, currency="CNY"),
             quantity=2),
    LineItem(sku="CUP-002", title="Tea cup", unit_price=Money(amount=2_000, currency="CNY"),
             quantity=1),
)  # fmt: skip
RETURNS = Address(province="Zhejiang", city="Hangzhou", street="1 Warehouse Road")


def cny(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "CNY"}


REFUND_ONLY = {"kind": "refund_only", "reason": "changed_mind", "amount": cny(10_000)}
RETURN_ONE_TEA = {
    "kind": "return_and_refund", "reason": "damaged", "amount": cny(4_000),
    "items": [{"sku": "TEA-001", "quantity": 1}], "description": "the tin was dented",
}  # fmt: skip


class Aftersales(RunningService):
    """The running aftersales service and the steps of a refund case."""

    @property
    def buyer(self) -> Headers:
        return self.auth(Role.BUYER, BUYER)

    @property
    def seller(self) -> Headers:
        return self.auth(Role.SELLER, "clerk-1", SHOP)

    @property
    def platform(self) -> Headers:
        return self.auth(Role.PLATFORM, "judge-1")

    async def paid_order(self, *, shipped_too: bool = False, delivered_too: bool = False) -> str:
        """A new order published as placed and paid (and shipped, delivered)."""
        order_id = new_order_id()
        await self.publish(placed(order_id), paid(order_id))
        if shipped_too or delivered_too:
            await self.publish(shipped(order_id))
        if delivered_too:
            await self.publish(delivered(order_id))
        return order_id

    async def open_case(
        self, order_id: str, body: dict[str, Any], headers: Headers | None = None
    ) -> dict[str, Any]:
        """Ask for a refund as the buyer, retrying while the payment is on its way (409)."""

        async def attempt() -> httpx.Response:
            path = f"/v1/orders/{order_id}/refund-cases"
            return await self.command(path, body, self.buyer, headers=headers)

        response = await eventually(
            attempt, lambda r: r.status_code != 409, message="payment known to aftersales"
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        assert response.headers["Location"] == f"/v1/refund-cases/{created['case_id']}"
        assert response.headers["ETag"] == f'"{created["version"]}"'
        return created

    async def case(
        self, case_id: str, caller: Headers | None = None, min_version: int | None = None
    ) -> dict[str, Any]:
        """The case as `caller` (the platform by default) sees it, at `min_version` or later."""
        params = {"min_version": str(min_version)} if min_version else {}
        response = await self.client.get(
            f"/v1/refund-cases/{case_id}", headers=caller or self.platform, params=params
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def case_when(
        self, case_id: str, condition: Callable[[dict[str, Any]], bool], message: str
    ) -> dict[str, Any]:
        """The case once `condition` holds (for what reactions and deadlines do)."""
        return await self.read_when(
            f"/v1/refund-cases/{case_id}", self.platform, condition, message
        )

    async def recorded(self, order_id: str) -> list[tuple[str, dict[str, Any]]]:
        """Type and metadata (correlation, causation, actor) of each event of the order."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(_RECORDED, {"id": order_id})
            return [(row.event_type, dict(row.metadata)) for row in rows]

    async def cases_of(self, order_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/v1/refund-cases", params={"order_id": order_id}, headers=self.platform
        )
        items: list[dict[str, Any]] = response.json()["items"]
        return items


_RECORDED = text(
    "SELECT event_type, metadata FROM eventing.events WHERE stream_id = :id ORDER BY stream_version"
)


def new_order_id() -> str:
    return f"ord-{uuid.uuid4().hex[:12]}"


def placed(order_id: str, buyer: str = BUYER) -> EventPayload:
    total = Money(amount=PAID, currency="CNY")
    return example_event(
        "order.placed", order_id=order_id, shop_id=SHOP, buyer_id=buyer, items=ITEMS,
        items_total=total, payable=total,
    )  # fmt: skip


def paid(order_id: str) -> EventPayload:
    amount = Money(amount=PAID, currency="CNY")
    return example_event("order.paid", order_id=order_id, shop_id=SHOP, amount=amount)


def shipped(order_id: str, shipped_at: datetime | None = None) -> EventPayload:
    """`logistics.shipped`; the parcel left at `shipped_at` (now on the wall clock if not given:
    after anything the test did before)."""
    items = tuple(SkuQuantity(sku=item.sku, quantity=item.quantity) for item in ITEMS)
    return example_event(
        "logistics.shipped", order_id=order_id, shop_id=SHOP, shipment_id=f"shp-{order_id}",
        items=items, shipped_at=shipped_at or datetime.now(UTC),
    )  # fmt: skip


def delivered(order_id: str) -> EventPayload:
    return example_event(
        "logistics.delivered", order_id=order_id, shop_id=SHOP, shipment_id=f"shp-{order_id}"
    )


def cancelled(order_id: str, refund_due: int = PAID) -> EventPayload:
    due = Money(amount=refund_due, currency="CNY")
    return example_event("order.cancelled", order_id=order_id, shop_id=SHOP, refund_due=due)
