"""The logistics harness: the test kit's `RunningService` plus dispatch, shipments, queues,
and the upstream order events (`placed`, `paid`, `cancelled`) the order service would publish."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from contracts.events.order import (
    CancellationReason,
    GoodsKind,
    OrderCancelled,
    OrderChannel,
    OrderPaid,
    OrderPlaced,
    PaymentMethod,
)
from contracts.sealing import Sealed
from contracts.values import LineItem, Money, Waybill
from eventing.encoding import ConsumedEvent
from eventing.http.auth import Role
from eventing.testing import eventually
from eventing.testing.service import RunningService
from logistics_service.examples import ITEMS, SEALED_RECEIVER, WAYBILL

SHOP = "shop-hz-tea"
BUYER = "buyer-42"


class Logistics(RunningService):
    """The logistics service running in-process, driven as its neighbours would."""

    def seller(self, shop_id: str = SHOP) -> dict[str, str]:
        return self.auth(Role.SELLER, "warehouse-1", shop_id)

    def carrier(self) -> dict[str, str]:
        return self.auth(Role.SYSTEM, "carrier-feed-sf")

    async def dispatch(
        self,
        order_id: str,
        caller: dict[str, str] | None = None,
        *,
        waybill: Waybill = WAYBILL,
        key: str | None = None,
        if_match: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = {"waybill": waybill.model_dump(), "items": [i.model_dump() for i in ITEMS]}
        return await self.command(
            f"/v1/shipments/{order_id}/dispatch",
            body,
            caller or self.seller(),
            key=key,
            if_match=if_match,
            headers=headers,
        )

    async def shipment(self, order_id: str, min_version: int | None = None) -> httpx.Response:
        params = {"min_version": min_version} if min_version else None
        return await self.client.get(
            f"/v1/shipments/{order_id}", params=params, headers=self.auth(Role.PLATFORM)
        )

    async def shipment_when(
        self, order_id: str, condition: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        path = f"/v1/shipments/{order_id}"
        return await self.read_when(path, self.auth(Role.PLATFORM), condition)

    async def queue(
        self, queue: str, caller: dict[str, str] | None = None, **params: Any
    ) -> httpx.Response:
        return await self.client.get(
            "/v1/shipments",
            params={"queue": queue, **params},
            headers=caller or self.auth(Role.PLATFORM),
        )

    async def order_applied(self, order_id: str) -> None:
        """Wait until the order reaction applied every order event published for `order_id`."""
        published = self.published(order_id, self.settings.topic_order)
        await eventually(lambda: self.applied("order-policy", order_id), lambda n: n >= published)

    async def paid_order(
        self, order_id: str | None = None, *, shop_id: str = SHOP, paid_at: datetime | None = None
    ) -> str:
        """Publish order.placed + order.paid and wait for the shipment to be awaiting dispatch."""
        order_id = order_id or f"ord-{uuid.uuid4().hex[:12]}"
        await self.publish(placed(order_id, shop_id), paid(order_id, shop_id, paid_at))
        await self.shipment_when(order_id, lambda s: s["status"] == "awaiting_dispatch")
        return order_id

    async def logistics_events(
        self, until: Callable[[Sequence[ConsumedEvent]], bool]
    ) -> list[ConsumedEvent]:
        return await self.own_events(until)


def placed(
    order_id: str,
    shop_id: str = SHOP,
    buyer_id: str = BUYER,
    receiver: Sealed = SEALED_RECEIVER,
) -> OrderPlaced:
    """The order as the order service publishes it, the receiver sealed for the buyer (by
    default under the examples' data key, which the test custodian holds)."""
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
        receiver=receiver,
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
