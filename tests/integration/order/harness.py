"""The order harness: the test kit's `RunningService` plus the order's callers and verbs, and the
upstream logistics and aftersales facts built from the contracts' examples."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from contracts.events.base import EventPayload
from contracts.values import Money, SkuQuantity, Waybill
from eventing.http.auth import Role
from eventing.testing.service import Headers, RunningService, example_event

SHOP = "shop-tea"
OTHER_SHOP = "shop-cups"
BUYER = "buyer-li"
OTHER_BUYER = "buyer-wang"
TEA, CUP = "TEA-250", "CUP-01"
WAYBILL = Waybill(carrier="SF", tracking_number="SF1234567890")


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


def shipped(
    order_id: str, *, tea: int = 2, cup: int = 1, waybill: Waybill = WAYBILL
) -> EventPayload:
    """`logistics.shipped` for the order's parcel, shipped now."""
    now = datetime.now(UTC)
    items = [SkuQuantity(sku=sku, quantity=n) for sku, n in ((TEA, tea), (CUP, cup)) if n]
    return example_event(
        "logistics.shipped",
        order_id=order_id,
        shop_id=SHOP,
        shipment_id=f"shp-{order_id}",
        waybill=waybill,
        items=tuple(items),
        shipped_at=now,
        ship_by=now + timedelta(hours=24),
    )


def delivered(order_id: str, waybill: Waybill = WAYBILL) -> EventPayload:
    """`logistics.delivered` of the order's parcel, now (no signer: the example's is sealed
    under the published example key, which this custodian does not hold)."""
    return example_event(
        "logistics.delivered",
        order_id=order_id,
        shop_id=SHOP,
        shipment_id=f"shp-{order_id}",
        waybill=waybill,
        delivered_at=datetime.now(UTC),
        signed_by=None,
    )


def refunded(order_id: str, case_id: str, amount: int) -> EventPayload:
    """`aftersales.refunded`: `amount` fen refunded by case `case_id`, now."""
    return example_event(
        "aftersales.refunded",
        order_id=order_id,
        shop_id=SHOP,
        case_id=case_id,
        amount=Money(amount=amount, currency="CNY"),
        refunded_at=datetime.now(UTC),
    )


class Orders(RunningService):
    """The order service running in-process, driven by its buyers, sellers and neighbours."""

    @property
    def buyer(self) -> Headers:
        return self.auth(Role.BUYER, BUYER)

    @property
    def other_buyer(self) -> Headers:
        return self.auth(Role.BUYER, OTHER_BUYER)

    @property
    def seller(self) -> Headers:
        return self.auth(Role.SELLER, "clerk-1", SHOP)

    @property
    def other_seller(self) -> Headers:
        return self.auth(Role.SELLER, "clerk-9", OTHER_SHOP)

    @property
    def platform(self) -> Headers:
        return self.auth(Role.PLATFORM, "judge-1")

    @property
    def ops(self) -> Headers:
        return self.auth(Role.OPS, "oncall-1")

    @property
    def payment_provider(self) -> Headers:
        """The payment provider's integration: the only caller, with the platform, that
        records a successful payment."""
        return self.auth(Role.SYSTEM, "alipay-gateway")

    async def set_stock(self, sku: str, on_hand: int, **limits: int | None) -> httpx.Response:
        path = f"/v1/shops/{SHOP}/skus/{sku}/stock"
        body = {"on_hand": on_hand, **limits}
        response = await self.command(path, body, self.seller, method="PUT")
        assert response.status_code == 200, response.text
        return response

    async def stocked(self, tea: int = 10, cup: int = 5) -> None:
        await self.set_stock(TEA, tea)
        await self.set_stock(CUP, cup)

    async def stock(self, sku: str) -> dict[str, Any]:
        response = await self.client.get(f"/v1/shops/{SHOP}/skus/{sku}/stock", headers=self.seller)
        assert response.status_code == 200, response.text
        level: dict[str, Any] = response.json()
        return level

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
        return await self.command(f"/v1/orders/{order_id}/payments", body, self.payment_provider)

    async def paid_order(self) -> str:
        """A stocked, placed and paid order (2 tea, 1 cup)."""
        await self.stocked()
        order_id: str = (await self.place())["order_id"]
        assert (await self.pay(order_id, payable())).status_code == 200
        return order_id

    async def order(
        self, order_id: str, caller: Headers | None = None, min_version: int | None = None
    ) -> httpx.Response:
        params = {"min_version": str(min_version)} if min_version else {}
        return await self.client.get(
            f"/v1/orders/{order_id}", headers=caller or self.platform, params=params
        )

    async def order_when(
        self, order_id: str, condition: Callable[[dict[str, Any]], bool], message: str
    ) -> dict[str, Any]:
        """The order's read model (as the platform sees it) once `condition` holds."""
        return await self.read_when(f"/v1/orders/{order_id}", self.platform, condition, message)
